"""Errors of the REST API as problem details (RFC 9457, `application/problem+json`), in the
language of the request (French first, English second: Django's LocaleMiddleware has
already chosen it from the cookie or `Accept-Language`). Schema: any.

Every refusal of `/api/v1/` goes through `exception_handler` (REST_FRAMEWORK's
EXCEPTION_HANDLER): DRF's own exceptions (authentication, permission, throttling, parsing,
validation), Django's `Http404` and `PermissionDenied`, and the services' one error type,
`ApplicationError`, whose message is already translated. The body always holds `type`,
`title`, `status`, `detail` and `instance` (the path, without its query string: a query
may carry a search term), plus `code` and, for invalid input, `errors` — one entry per
field, so that a partner's tool can show them next to its own fields.

Anything else (a bug) is left to Django: the 500 page, the traceback in the server's log
only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from relier_platform.errors import ApplicationError

PROBLEM_JSON = "application/problem+json"
# `type` of each problem: a stable URI per kind, documented in the OpenAPI schema.
TYPE_BASE = "https://relier.example/problemes/"


def _titles() -> dict[int, str]:
    """The short, fixed title of each status (translated when called)."""
    return {
        400: _("Requête invalide"),
        401: _("Authentification requise"),
        403: _("Accès refusé"),
        404: _("Introuvable"),
        405: _("Méthode non autorisée"),
        406: _("Format de réponse non disponible"),
        409: _("Conflit"),
        412: _("Condition non remplie"),
        415: _("Format de requête non pris en charge"),
        428: _("Condition préalable requise"),
        429: _("Trop de requêtes"),
    }


def _flatten(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested validation errors as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        found: list[dict[str, str]] = []
        for key, value in detail.items():
            name = "" if key == "non_field_errors" else str(key)
            found += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return found
    if isinstance(detail, list):
        return [entry for item in detail for entry in _flatten(item, prefix)]
    return [{"field": prefix, "message": str(detail),
             "code": str(getattr(detail, "code", "invalid"))}]


def problem(*, status_code: int, detail: str, code: str, instance: str,
            errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """One problem details body."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + code.replace("_", "-"),
        "title": _titles().get(status_code, _("Erreur")),
        "status": status_code,
        "detail": detail,
        "instance": instance,
        "code": code,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_response(request: Any, *, status_code: int, detail: str, code: str,
                     errors: list[dict[str, str]] | None = None,
                     headers: dict[str, str] | None = None) -> Response:
    """A problem details response for a view that refuses without raising."""
    response = Response(problem(status_code=status_code, detail=detail, code=code,
                                instance=request.path, errors=errors),
                        status=status_code, headers=headers)
    return as_problem(request, response)


API_PREFIX = "/api/"


def is_api(request: Any) -> bool:
    """A call of the REST API: a middleware that refuses it answers with a problem, not
    with a page or a redirect to one."""
    return str(getattr(request, "path", "")).startswith(API_PREFIX)


def middleware_problem(request: Any, *, status_code: int, detail: str,
                       code: str) -> JsonResponse:
    """A problem details response for a middleware (before DRF: no renderer chosen)."""
    return JsonResponse(problem(status_code=status_code, detail=detail, code=code,
                                instance=request.path),
                        status=status_code, content_type=PROBLEM_JSON,
                        json_dumps_params={"ensure_ascii": False})


def as_problem(request: Any, response: Response) -> Response:
    """Served as `application/problem+json` when the client asked for JSON (a browser on
    the browsable API keeps its HTML page)."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or getattr(renderer, "format", "json") == "json":
        response.content_type = PROBLEM_JSON
    return response


def _detail_and_code(exc: exceptions.APIException) -> tuple[str, str, list[dict[str, str]] | None]:
    if isinstance(exc, exceptions.ValidationError):
        return _("Certaines valeurs sont invalides."), "invalid", _flatten(exc.detail)
    detail = exc.detail
    if isinstance(detail, (list, dict)):
        errors = _flatten(detail)
        return (errors[0]["message"] if errors else str(exc.default_detail),
                str(exc.default_code), None)
    return str(detail), str(getattr(detail, "code", exc.default_code)), None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    path = request.path if request is not None else ""
    if isinstance(exc, ApplicationError):
        body = problem(status_code=400, detail=str(exc.message), code=str(exc.code),
                       instance=path, errors=[{"field": exc.field or "",
                                               "message": str(exc.message),
                                               "code": str(exc.code)}])
        return as_problem(request, Response(body, status=status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Aucune ressource ici, ou vous n'y avez pas accès."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail, code, errors = _detail_and_code(exc)
    response.data = problem(status_code=response.status_code, detail=detail, code=code,
                            instance=path, errors=errors)
    return as_problem(request, response)
