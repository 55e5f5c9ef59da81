"""How an API call says who makes it: an association's key (`Authorization: Bearer
rlr_…`), or the signed-in session of a member (DRF's SessionAuthentication, CSRF checked,
listed after this class in settings.REST_FRAMEWORK).

A key is looked up in the schema of the host (the tenant middleware chose it): a key of
another association does not exist there and is refused like a wrong one (401). So is a
revoked or expired key, and the key of an admin who is no longer an active admin of the
association (whoever leaves takes their keys' access with them). Keys made by an operator
(`manage.py api_key_create`) have no such person and last until revoked or expired."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.models import Role
from tracking.api import selectors, services
from tracking.api.models import ApiKey


class KeyClient:
    """The caller of a key-authenticated request (DRF's `request.user`): no person, only
    the key. The actor it reads with is tracking.api.permissions.actor_for."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def __str__(self) -> str:
        return str(self.key)


def _refused() -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(
        _("Clé d'API invalide, expirée ou révoquée pour cette association."),
        code="invalid_api_key")


def _creator_still_admin(key: ApiKey) -> bool:
    if key.created_by_id is None:
        return True
    return tenant_selectors.member_list(schema_name=current_schema()).filter(
        user_id=key.created_by_id, role=Role.ADMIN).exists()


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None  # not a key: the session may authenticate the call
        if len(parts) != 2 or current_schema() == "public":
            raise _refused()  # the platform host has no association keys
        try:
            raw = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise _refused() from None
        key = selectors.api_key_find(raw)
        if key is None or not key.usable() or not _creator_still_admin(key):
            raise _refused()
        services.api_key_touch(key=key)
        return KeyClient(key), key

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) to a call without credentials."""
        return 'Bearer realm="api"'


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the keys (found by drf-spectacular once this
    module is imported, which DRF does to authenticate any call)."""

    target_class = ApiKeyAuthentication
    name = "cle_api"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "rlr_…",
                "description": "Clé d'API de l'association (paramètres → API), valable "
                               "sur l'adresse de l'association seulement."}
