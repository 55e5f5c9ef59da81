"""The subscription pages, under an association's host (included by tracking/urls.py, so
the isolation tests try each of them as an outsider)."""

from django.urls import path

from billing import views

urlpatterns = [
    path("parametres/abonnement/", views.plan_page, name="billing_plan"),
    path("parametres/abonnement/paiement-simule/", views.stub_checkout,
         name="billing_stub_checkout"),
    path("parametres/abonnement/portail-simule/", views.stub_portal,
         name="billing_stub_portal"),
]
