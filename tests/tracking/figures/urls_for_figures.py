"""Test urlconf of an association's host: the platform's tenant URLs plus the figures and
exports (listed first, so that these tests do not depend on how tracking.urls evolves)."""

from django.urls import include, path

from relier_platform.urls_tenant import urlpatterns as base

urlpatterns = [
    path("", include("tracking.figures.urls")),
    *base,
]
