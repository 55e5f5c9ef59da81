"""URLs of the employment programme, under an association's host root."""

from django.urls import path

from tracking.employment import views

urlpatterns = [
    path("dossiers/<int:case_id>/emploi/", views.milestone_add, name="milestone_add"),
]
