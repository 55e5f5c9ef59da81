"""URLs of the API room: the admins' key pages (`urlpatterns`, under an association's host
root, gathered by tracking.urls) and the endpoints (`endpoints`, under /api/v1/: included
by relier_platform.urls_tenant with the version in the path)."""

from django.urls import path

from tracking.api.views import cases, keys, referrals, whoami

urlpatterns = [
    path("parametres/api/", keys.api_keys, name="api_keys"),
    path("parametres/api/<int:key_id>/revoquer/", keys.api_key_revoke, name="api_key_revoke"),
]

endpoints = [
    path("whoami/", whoami.WhoAmIView.as_view(), name="api_whoami"),
    path("referrals/", referrals.ReferralCreateView.as_view(), name="api_referral_create"),
    path("cases/", cases.CaseListView.as_view(), name="api_case_list"),
    path("cases/<int:case_id>/", cases.CaseDetailView.as_view(), name="api_case_detail"),
]
