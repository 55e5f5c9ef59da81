"""URLs of the platform site (public host): landing, sign-in, operators' admin."""

from django.contrib import admin
from django.urls import include, path

from relier_platform import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("inscription/", include("onboarding.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
]
