"""URLs of the association's custom fields (admins), under an association's host root."""

from django.urls import path

from tracking import views_fields

urlpatterns = [
    path("parametres/champs/", views_fields.custom_fields, name="custom_fields"),
]
