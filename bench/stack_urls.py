"""The product's association URLs plus the routing ratio's trivial page (bench/trivial.py)."""

from django.urls import path
from trivial import trivial

from relier_platform.urls_tenant import urlpatterns as product

urlpatterns = [path("banc/trivial/", trivial), *product]
