"""URLs of the association's lists (admins), under an association's host root."""

from django.urls import path

from tracking import views_picklists

urlpatterns = [
    path("parametres/listes/", views_picklists.picklists, name="picklists"),
]
