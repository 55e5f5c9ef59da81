"""URLs of a young person's GDPR rights (access export, anonymisation)."""

from django.urls import path

from tracking import views_privacy

urlpatterns = [
    path("dossiers/<int:case_id>/rgpd/", views_privacy.privacy_index, name="privacy_index"),
    path("dossiers/<int:case_id>/rgpd/export.json", views_privacy.privacy_export_json,
         name="privacy_export_json"),
    path("dossiers/<int:case_id>/rgpd/export/", views_privacy.privacy_export_page,
         name="privacy_export_page"),
    path("dossiers/<int:case_id>/rgpd/anonymiser/", views_privacy.privacy_anonymise,
         name="privacy_anonymise"),
]
