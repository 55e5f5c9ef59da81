"""URLs of data imports (association admins), under an association's host root
(included by tracking/urls.py)."""

from django.urls import path

from onboarding.importing import views as import_views

urlpatterns = [
    path("parametres/import/", import_views.import_home, name="import_home"),
    path("parametres/import/exemple-monday.xlsx", import_views.import_sample,
         name="import_sample"),
    path("parametres/import/<int:run_id>/", import_views.import_run, name="import_run"),
    path("parametres/import/<int:run_id>/colonnes/", import_views.import_mapping,
         name="import_mapping"),
    path("parametres/import/<int:run_id>/valider/", import_views.import_commit,
         name="import_commit"),
    path("parametres/import/<int:run_id>/progression/", import_views.import_progress,
         name="import_progress"),
]
