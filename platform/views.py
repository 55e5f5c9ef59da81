"""Pages of the platform site (public host) and the shared error pages."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from relier_platform import health
from tenants.networks.selectors import is_coordinator


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "platform/landing.html",
                  {"coordinator": is_coordinator(request.user)})  # type: ignore[arg-type]


def unknown_host(request: HttpRequest) -> HttpResponse:
    """Any host that is neither the platform site nor an association's."""
    return render(request, "platform/unknown_host.html", status=404)


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every check passes, 503 naming the failed ones."""
    checks = health.readiness()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if ready else "error", "checks": checks},
                        status=200 if ready else 503)
