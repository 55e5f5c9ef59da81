"""Helpers of the API tests: keys made through the service in an association's schema,
clients that present them, problem bodies checked to be problems."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django_tenants.utils import schema_context

from tenants.models import Association
from tests.conftest import host_client
from tracking.api.models import ApiKey, ApiScope
from tracking.api.services import api_key_create

EVERY_SCOPE = tuple(ApiScope.values)


def make_key(association: Association, *scopes: str, expires_in_days: int | None = None,
             actor: Any = None, name: str = "Outil du partenaire") -> tuple[ApiKey, str]:
    with schema_context(association.schema_name):
        return api_key_create(actor=actor, name=name, scopes=scopes or EVERY_SCOPE,
                              expires_in_days=expires_in_days)


def key_client(association: Association | None, raw: str, **headers: Any) -> Client:
    """A client on `association`'s host (the platform's when None) presenting the key."""
    return host_client(association, HTTP_AUTHORIZATION=f"Bearer {raw}",
                       HTTP_ACCEPT="application/json", **headers)


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """The problem details body of a refusal, checked to be one."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "code"} <= set(body)
    return body


