"""URLs of cases, under an association's host root: the list, a case and what is added to
it, and the public referral form."""

from django.urls import path

from tracking.cases import views

urlpatterns = [
    path("dossiers/", views.case_list, name="case_list"),
    path("dossiers/nouveau/", views.case_create, name="case_create"),
    path("dossiers/<int:case_id>/", views.case_detail, name="case_detail"),
    path("dossiers/<int:case_id>/modifier/", views.case_edit, name="case_edit"),
    path("dossiers/<int:case_id>/cloturer/", views.case_close, name="case_close"),
    path("dossiers/<int:case_id>/impact/", views.impact_add, name="impact_add"),
    path("dossiers/<int:case_id>/consentement/", views.consent_add, name="consent_add"),
    path("dossiers/<int:case_id>/etape/", views.case_move, name="case_move"),
    path("dossiers/<int:case_id>/acces/", views.grant_add, name="grant_add"),
    path("dossiers/<int:case_id>/liens/", views.link_add, name="link_add"),
    path("signaler", views.referral, name="referral"),
]
