"""URLs of the platform site (public host): landing, sign-in, operators' admin."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path

from relier_platform import views
from relier_platform.apidocs import not_found_urls, schema_urls
from tenants.networks import console as views_console
from tenants.networks.urls import platform_endpoints

# Operators sign in through allauth (password, then their TOTP code), never through the
# Django admin's own form, which knows nothing of second factors.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", views.landing, name="landing"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("inscription/", include("onboarding.urls_public")),
    path("stripe/", include("billing.urls_public")),
    path("i18n/", include("django.conf.urls.i18n")),
    # The REST API (versioned in the path): its OpenAPI document and reference page, and
    # the network coordinators' endpoints (tenants/networks/api.py).
    re_path(r"^api/(?P<version>v1)/", include([*schema_urls(urlconf=__name__),
                                               *platform_endpoints, *not_found_urls()])),
    path("reseaux/", views_console.network_list, name="network_list"),
    path("reseaux/<int:network_id>/", views_console.network_dashboard, name="network_dashboard"),
    path("reseaux/<int:network_id>/export.csv", views_console.network_export,
         name="network_export"),
    path("reseaux/<int:network_id>/publier/", views_console.network_publish_now,
         name="network_publish_now"),
]

# A database outage answers 503 (platform/unavailable.py), other errors the 500 page.
handler500 = "relier_platform.unavailable.server_error"
