"""`GET /api/v1/whoami/`: what the credentials of the call are, here. An integrator's
first call: it proves the key works on this host and shows its scopes and expiry."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from tracking.api.permissions import key_of
from tracking.api.views.base import PROBLEMS, ApiView

WHOAMI = inline_serializer("WhoAmI", {
    "association": serializers.CharField(),
    "key": inline_serializer("WhoAmIKey", {
        "name": serializers.CharField(), "prefix": serializers.CharField(),
        "scopes": serializers.ListField(child=serializers.CharField()),
        "expires_at": serializers.DateTimeField(allow_null=True),
    }, allow_null=True),
    "role": serializers.CharField(allow_null=True),
})


class WhoAmIView(ApiView):
    scopes = {"GET": "*", "HEAD": "*"}
    audit_name = "whoami"

    @extend_schema(operation_id="whoami", responses={200: WHOAMI, **PROBLEMS},
                   summary="La clé (ou la personne) qui appelle, ici")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = key_of(request)
        return Response({
            "association": request.tenant.slug,
            "key": None if key is None else {
                "name": key.name, "prefix": key.prefix, "scopes": key.scopes,
                "expires_at": key.expires_at},
            "role": None if key is not None else self.actor().role,
        })
