"""URLs of the association's audit log, under an association's host root."""

from django.urls import path

from tracking.audit import views

urlpatterns = [
    path("journal/", views.audit_list, name="audit_list"),
]
