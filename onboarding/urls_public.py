"""Onboarding on the platform site, under /inscription/."""

from django.urls import path

from onboarding import views

urlpatterns = [
    path("", views.signup_start, name="signup"),
    path("<uuid:public_id>/", views.signup_progress, name="signup_progress"),
    path("<uuid:public_id>/etat/", views.signup_status, name="signup_status"),
    path("<uuid:public_id>/renvoyer/", views.signup_resend, name="signup_resend"),
    path("<uuid:public_id>/entrer/", views.signup_enter, name="signup_enter"),
    path("<uuid:public_id>/reessayer/", views.signup_retry, name="signup_retry"),
    path("verifier/<str:token>/", views.signup_verify, name="signup_verify"),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
