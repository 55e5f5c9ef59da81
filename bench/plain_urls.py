"""The plain Django server's only page (and its readiness check): bench/trivial.py."""

from django.urls import path
from trivial import trivial

urlpatterns = [path("banc/trivial/", trivial), path("healthz", trivial)]
