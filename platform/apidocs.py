"""The API's OpenAPI 3 document and its reference page, on every host (wiring: included
by both root URL confs under `/api/<version>/`). Schema: any.

Each host describes its own routes: an association's host the API of tracking/api/, the
platform host its own (smaller) API. The document and the page are open to everyone —
they describe, they hold no data. The page is Swagger UI served from our static files
(drf-spectacular-sidecar) with its start-up script as a file of its own, so that the
Content-Security-Policy (platform/headers.py: our origin only, no inline script or
style) lets it run.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path, re_path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView


def schema_urls(*, urlconf: str) -> list[URLPattern]:
    """`schema/` (YAML by default, JSON with `?format=json` or `Accept: application/json`)
    and `docs/`, describing the routes of `urlconf`."""
    return [
        path("schema/", SpectacularAPIView.as_view(
            urlconf=urlconf, authentication_classes=[], permission_classes=[AllowAny],
        ), name="api_schema"),
        path("docs/", SpectacularSwaggerSplitView.as_view(
            url_name="api_schema", template_name="api/swagger_ui.html",
            authentication_classes=[], permission_classes=[AllowAny],
            title="Relier API",
        ), name="api_docs"),
    ]


class NothingHere(APIView):
    """Any other path under /api/v1/: a problem details 404, not the HTML page."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        raise NotFound

    post = put = patch = delete = head = options = get


def not_found_urls() -> list[URLPattern]:
    """Last under /api/<version>/: whatever no route matched."""
    return [re_path(r"^", NothingHere.as_view(), name="api_not_found")]
