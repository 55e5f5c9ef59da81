"""URLs of the association's networks, under an association's host root: joining and
withdrawing (admins), and its own figures beside its networks' (FIGURES_READ)."""

from django.urls import path

from tenants.networks import api, views

urlpatterns = [
    path("parametres/reseaux/", views.association_networks, name="association_networks"),
    path("chiffres/reseaux/", views.network_figures, name="network_figures"),
]

# Under /api/v1/ on the platform host (relier_platform.urls_public): the coordinators' API.
platform_endpoints = [
    path("networks/<int:network_id>/indicators/", api.NetworkIndicatorsView.as_view(),
         name="api_network_indicators"),
]
