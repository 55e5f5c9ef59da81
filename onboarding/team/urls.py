"""Team pages, under an association's host (included by tracking/urls.py, so the
isolation tests try every one of them as an outsider)."""

from django.urls import path
from django.views.generic import RedirectView

from onboarding.team import views as views_team

urlpatterns = [
    path("equipe/", views_team.team_page, name="team"),
    path("equipe/action/", views_team.team_action, name="team_action"),
    # The first version's plan page: the subscription page took its place.
    path("abonnement/", RedirectView.as_view(pattern_name="billing_plan"), name="plan"),
    path("demarrage/", views_team.checklist_update, name="checklist_update"),
]
