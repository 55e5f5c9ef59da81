"""URLs of a young person's GDPR rights (access export, anonymisation) and of retention
(admins), under an association's host root."""

from django.urls import path

from tracking.privacy import views

urlpatterns = [
    path("dossiers/<int:case_id>/rgpd/", views.privacy_index, name="privacy_index"),
    path("dossiers/<int:case_id>/rgpd/export.json", views.privacy_export_json,
         name="privacy_export_json"),
    path("dossiers/<int:case_id>/rgpd/export/", views.privacy_export_page,
         name="privacy_export_page"),
    path("dossiers/<int:case_id>/rgpd/anonymiser/", views.privacy_anonymise,
         name="privacy_anonymise"),
    path("parametres/conservation/", views.retention_settings, name="retention_settings"),
    path("parametres/conservation/dossiers/<int:case_id>/", views.archived_case,
         name="archived_case"),
    path("parametres/conservation/dossiers/<int:case_id>/restaurer/",
         views.archived_case_restore, name="archived_case_restore"),
    path("parametres/conservation/dossiers/<int:case_id>/conserver/", views.case_keep,
         name="retention_case_keep"),
]
