"""URLs of the association's custom fields and lists (admins), under an association's host
root."""

from django.urls import path

from tracking.fields import views

urlpatterns = [
    path("parametres/champs/", views.custom_fields, name="custom_fields"),
]
