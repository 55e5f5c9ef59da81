"""URLs of interactions, contacts and partner organisations, under an association's host
root."""

from django.urls import path

from tracking.interactions import views

urlpatterns = [
    path("dossiers/<int:case_id>/echanges/", views.interaction_add, name="interaction_add"),
    path("dossiers/<int:case_id>/contacts/", views.contact_add, name="contact_add"),
    path("partenaires/", views.partner_list, name="partner_list"),
    path("partenaires/<int:partner_id>/", views.partner_detail, name="partner_detail"),
]
