"""URLs of the association's networks, under an association's host root: joining and
withdrawing (admins), and its own figures beside its networks' (FIGURES_READ)."""

from django.urls import path

from tenants.networks import views

urlpatterns = [
    path("parametres/reseaux/", views.association_networks, name="association_networks"),
    path("chiffres/reseaux/", views.network_figures, name="network_figures"),
]
