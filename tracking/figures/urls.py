"""URLs of the activity figures and of the exports, under an association's host root."""

from django.urls import path

from tracking.figures import views

urlpatterns = [
    path("chiffres/", views.figures, name="figures"),
    path("chiffres/export.csv", views.figures_csv, name="figures_csv"),
    path("chiffres/export.xlsx", views.figures_xlsx, name="figures_xlsx"),
    path("dossiers/export.csv", views.case_export_csv, name="case_export_csv"),
    path("dossiers/export.xlsx", views.case_export_xlsx, name="case_export_xlsx"),
]
