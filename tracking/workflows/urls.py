"""URLs of the workflow editor (admins), under an association's host root."""

from django.urls import path

from tracking.workflows import views

urlpatterns = [
    path("parametres/parcours/", views.workflow_editor, name="workflow_editor"),
]
