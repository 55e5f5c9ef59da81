"""URLs of case tracking, under an association's host."""

from django.urls import include, path

from tenants import views_network
from tracking import views, views_workflow

urlpatterns = [
    path("dossiers/", views.case_list, name="case_list"),
    path("dossiers/nouveau/", views.case_create, name="case_create"),
    path("dossiers/<int:case_id>/", views.case_detail, name="case_detail"),
    path("dossiers/<int:case_id>/modifier/", views.case_edit, name="case_edit"),
    path("dossiers/<int:case_id>/cloturer/", views.case_close, name="case_close"),
    path("dossiers/<int:case_id>/echanges/", views.interaction_add, name="interaction_add"),
    path("dossiers/<int:case_id>/contacts/", views.contact_add, name="contact_add"),
    path("dossiers/<int:case_id>/impact/", views.impact_add, name="impact_add"),
    path("dossiers/<int:case_id>/consentement/", views.consent_add, name="consent_add"),
    path("dossiers/<int:case_id>/etape/", views.case_move, name="case_move"),
    path("dossiers/<int:case_id>/acces/", views.grant_add, name="grant_add"),
    path("dossiers/<int:case_id>/liens/", views.link_add, name="link_add"),
    path("partenaires/", views.partner_list, name="partner_list"),
    path("partenaires/<int:partner_id>/", views.partner_detail, name="partner_detail"),
    path("groupes/", views.group_list, name="group_list"),
    path("groupes/<int:group_id>/", views.group_detail, name="group_detail"),
    path("groupes/<int:group_id>/seances/<int:session_id>/", views.group_session,
         name="group_session"),
    path("sensibilisation/", views.awareness_list, name="awareness_list"),
    path("journal/", views.audit_list, name="audit_list"),
    path("parametres/parcours/", views_workflow.workflow_editor, name="workflow_editor"),
    path("parametres/reseaux/", views_network.association_networks,
         name="association_networks"),
    path("signaler", views.referral, name="referral"),
    path("", include("tracking.urls_figures")),
    path("", include("tracking.urls_picklists")),
    path("", include("tracking.urls_fields")),
    path("", include("tracking.urls_privacy")),
    path("", include("tracking.urls_retention")),
    path("", include("onboarding.import_urls")),
    path("", include("onboarding.urls_team")),
    path("", include("billing.urls")),
    path("", include("tenants.urls_offboarding")),
]
