"""Test urlconf of an association's host: the platform's tenant URLs plus the lists page
(listed first, so that these tests pass before and after tracking.urls includes it)."""

from django.urls import include, path

from relier_platform.urls_tenant import urlpatterns as base

urlpatterns = [
    path("", include("tracking.lists.urls")),
    *base,
]
