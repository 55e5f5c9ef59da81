"""URLs of awareness sessions, under an association's host root."""

from django.urls import path

from tracking.awareness import views

urlpatterns = [
    path("sensibilisation/", views.awareness_list, name="awareness_list"),
]
