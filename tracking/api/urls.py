"""URLs of the API room: the admins' key pages (`urlpatterns`, under an association's host
root, gathered by tracking.urls) and the endpoints (`endpoints`, under /api/v1/: included
by relier_platform.urls_tenant with the version in the path)."""

from django.urls import path

from tracking.api.views import (
    cases,
    contacts,
    figures,
    groups,
    interactions,
    keys,
    referrals,
    whoami,
)

urlpatterns = [
    path("parametres/api/", keys.api_keys, name="api_keys"),
    path("parametres/api/<int:key_id>/revoquer/", keys.api_key_revoke, name="api_key_revoke"),
]

endpoints = [
    path("whoami/", whoami.WhoAmIView.as_view(), name="api_whoami"),
    path("referrals/", referrals.ReferralCreateView.as_view(), name="api_referral_create"),
    path("cases/", cases.CaseListView.as_view(), name="api_case_list"),
    path("cases/<int:case_id>/", cases.CaseDetailView.as_view(), name="api_case_detail"),
    path("cases/<int:case_id>/interactions/", interactions.CaseInteractionsView.as_view(),
         name="api_case_interactions"),
    path("cases/<int:case_id>/contacts/", contacts.CaseContactsView.as_view(),
         name="api_case_contacts"),
    path("contacts/", contacts.ContactListView.as_view(), name="api_contact_list"),
    path("contacts/<int:contact_id>/", contacts.ContactDetailView.as_view(),
         name="api_contact_detail"),
    path("groups/", groups.GroupListView.as_view(), name="api_group_list"),
    path("groups/<int:group_id>/", groups.GroupDetailView.as_view(), name="api_group_detail"),
    path("groups/<int:group_id>/sessions/", groups.GroupSessionListView.as_view(),
         name="api_group_sessions"),
    path("groups/<int:group_id>/sessions/<int:session_id>/attendance/",
         groups.AttendanceView.as_view(), name="api_group_attendance"),
    path("figures/", figures.FiguresView.as_view(), name="api_figures"),
]
