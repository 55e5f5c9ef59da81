"""URLs of retention (admins), under an association's host root (issue #8)."""

from django.urls import path

from tracking import views_retention

urlpatterns = [
    path("parametres/conservation/", views_retention.retention_settings,
         name="retention_settings"),
    path("parametres/conservation/dossiers/<int:case_id>/", views_retention.archived_case,
         name="archived_case"),
    path("parametres/conservation/dossiers/<int:case_id>/restaurer/",
         views_retention.archived_case_restore, name="archived_case_restore"),
    path("parametres/conservation/dossiers/<int:case_id>/conserver/",
         views_retention.case_keep, name="retention_case_keep"),
]
