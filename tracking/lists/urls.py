"""URLs of the association's lists (admins), under an association's host root."""

from django.urls import path

from tracking.lists import views

urlpatterns = [
    path("parametres/listes/", views.picklists, name="picklists"),
]
