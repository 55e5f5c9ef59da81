"""The Stripe webhook, on the platform's public host."""

from django.urls import path

from billing import views

urlpatterns = [
    path("webhook/", views.stripe_webhook, name="stripe_webhook"),
]
