"""URLs of the activity figures and of the exports, under an association's host root."""

from django.urls import path

from tracking import views_figures, views_network_figures

urlpatterns = [
    path("chiffres/", views_figures.figures, name="figures"),
    path("chiffres/reseaux/", views_network_figures.network_figures, name="network_figures"),
    path("chiffres/export.csv", views_figures.figures_csv, name="figures_csv"),
    path("chiffres/export.xlsx", views_figures.figures_xlsx, name="figures_xlsx"),
    path("dossiers/export.csv", views_figures.case_export_csv, name="case_export_csv"),
    path("dossiers/export.xlsx", views_figures.case_export_xlsx, name="case_export_xlsx"),
]
