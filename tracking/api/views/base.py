"""What every endpoint of the API shares: authentication (settings.REST_FRAMEWORK),
ApiAccess, the per-key rate limit, an audit entry per call, ETags on reads."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from relier_platform.problems import PROBLEM_JSON
from tracking.access import client_ip
from tracking.api.permissions import ApiAccess, actor_for, key_of, write_actor_for
from tracking.api.throttling import ApiRateThrottle
from tracking.audit.services import audit_record
from tracking.permissions import Actor, Capability

PROBLEM = inline_serializer("Problem", {
    "type": serializers.CharField(), "title": serializers.CharField(),
    "status": serializers.IntegerField(), "detail": serializers.CharField(),
    "instance": serializers.CharField(), "code": serializers.CharField(),
    "errors": serializers.ListField(required=False, child=inline_serializer("ProblemError", {
        "field": serializers.CharField(), "message": serializers.CharField(),
        "code": serializers.CharField()})),
})
# The refusals every endpoint may answer, as problem details (platform/problems.py).
PROBLEMS = {(code, PROBLEM_JSON): OpenApiResponse(PROBLEM, description=text) for code, text in (
    (400, "Requête invalide"), (401, "Clé absente, invalide, expirée ou révoquée"),
    (403, "Portée manquante, ou pas membre de l'association"),
    (404, "Introuvable, ou pas d'accès"), (429, "Trop de requêtes"))}
# What a conditional write may answer besides.
CONDITIONAL_PROBLEMS = {(code, PROBLEM_JSON): OpenApiResponse(PROBLEM, description=text)
                        for code, text in (
    (412, "Modifié entre-temps (ETag ou version périmés)"),
    (428, "Ni If-Match ni version"))}


def etag_of(data: Any) -> str:
    """A strong ETag of what a read returns, in the language of the request."""
    text = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(f"{get_language()}\n{text}".encode()).hexdigest()[:32]
    return f'"{digest}"'


class Pagination(PageNumberPagination):
    """`page` and `page_size` (at most 200) on every list."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def form_refusal(form: Any) -> exceptions.ValidationError:
    """A page's form refusing the input, as the API's 400 (one entry per field)."""
    return exceptions.ValidationError({
        field if field != "__all__" else "non_field_errors": [
            str(error["message"]) for error in errors]
        for field, errors in form.errors.get_json_data().items()})


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


class ApiView(APIView):
    """Declare `scopes` (method → the scope a key needs) and `capabilities` (method →
    capabilities a member needs, any one)."""

    permission_classes = [ApiAccess]
    throttle_classes = [ApiRateThrottle]
    scopes: dict[str, str] = {}
    capabilities: dict[str, tuple[Capability, ...]] = {}
    # What the audit entry of each call is named (`api.<name>`).
    audit_name = "call"

    def actor(self) -> Actor:
        return actor_for(self.request)

    def member_allowed(self, actor: Actor) -> bool:
        """May this member make the call (a key's scopes are checked instead)? As on the
        pages: otherwise 404."""
        needed = self.capabilities.get(self.request.method or "", ())
        return not needed or any(actor.can(c) for c in needed)

    def write_actor(self) -> Actor:
        """Whom a write is made as (tracking.api.permissions.write_actor_for); noted for the
        call's audit entry."""
        actor = write_actor_for(self.request)
        self._written_as = actor.id
        return actor

    def caller(self) -> str:
        """Who calls, for idempotency and per-caller limits: the key, or the account."""
        key = key_of(self.request)
        return f"key:{key.pk}" if key is not None else f"user:{self.request.user.pk}"

    def paged(self, rows: Any, serializer: Any) -> Response:
        """One page of `rows` (`page`, `page_size`), each through `serializer`; a page past
        the end is 404."""
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, self.request, view=self)
        return paginator.get_paginated_response(serializer(page, many=True).data)

    def finalize_response(self, request: Request, response: Any, *args: Any,
                          **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        if (request.method in ("GET", "HEAD") and response.status_code == status.HTTP_200_OK
                and isinstance(response, Response) and response.data is not None):
            response = self._conditional(request, response)
        patch_vary_headers(response, ["Authorization", "Cookie"])
        response["Cache-Control"] = "private, no-cache"
        self._audit(request, response)
        return response

    def _conditional(self, request: Request, response: Response) -> Response:
        etag = etag_of(response.data)
        if _matches(request.headers.get("If-None-Match", ""), etag):
            not_modified = Response(status=status.HTTP_304_NOT_MODIFIED)
            not_modified.accepted_renderer = response.accepted_renderer
            not_modified.accepted_media_type = response.accepted_media_type
            not_modified.renderer_context = response.renderer_context
            response = not_modified
        response["ETag"] = etag
        return response

    def _audit(self, request: Request, response: Any) -> None:
        """Every call that got past authentication is in the association's audit log, like a
        page: who (the member, or the key), what (method, path without its query), and
        the answer. A call refused before authentication ran (an unknown `?format=`, say)
        is not authenticated here: doing it now could raise (a wrong key) in the middle of
        sending the refusal."""
        if "_user" not in request.__dict__:
            return
        key = key_of(request)
        membership = getattr(request, "membership", None)
        if key is None and (membership is None or not request.user.is_authenticated):
            # Not authenticated here (no key; no session, or a session call that DRF
            # refused, a missing CSRF token say): the request log line is all there is.
            return
        django_request: HttpRequest = request._request
        audit_record(
            actor=None if key is not None else actor_for(request),
            action=f"api.{self.audit_name}", ip_address=client_ip(django_request),
            method=request.method, path=request.path, status=response.status_code,
            key=key.prefix if key is not None else None,
            **self._written_detail(),
        )

    def _written_detail(self) -> dict[str, Any]:
        """Whom a key's write was made as (its creator), in the call's audit entry."""
        written_as = getattr(self, "_written_as", None)
        return {"as_user": written_as} if written_as is not None else {}
