"""Closing the association, under its host (included by tracking/urls.py, so the isolation
tests try each route as an outsider)."""

from django.urls import path

from tenants.offboarding import views as views_offboarding

urlpatterns = [
    path("parametres/fermeture/", views_offboarding.closure_page, name="closure_page"),
    path("parametres/fermeture/export.zip", views_offboarding.export_download,
         name="closure_export"),
    # The psychologists' clinical notes (the export above leaves them out).
    path("parametres/fermeture/notes-cliniques.zip", views_offboarding.clinical_export_download,
         name="closure_clinical_export"),
]
