"""URLs of an association's host (its schema is active)."""

from django.urls import include, path, re_path

from relier_platform import views
from relier_platform.apidocs import not_found_urls, schema_urls
from tenants.accounts import views as tenant_views
from tracking.api.urls import endpoints as api_endpoints
from tracking.cases import views as tracking_views

urlpatterns = [
    path("", tracking_views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("changer/<slug:slug>/", tenant_views.switch, name="switch_association"),
    path("passage/", tenant_views.passage, name="handoff"),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The REST API (versioned in the path): its OpenAPI document, reference page and
    # endpoints (tracking/api/).
    re_path(r"^api/(?P<version>v1)/",
            include([*schema_urls(urlconf=__name__), *api_endpoints, *not_found_urls()])),
    path("", include("tracking.urls")),
]

# A database outage answers 503 (platform/unavailable.py), other errors the 500 page.
handler500 = "relier_platform.unavailable.server_error"
