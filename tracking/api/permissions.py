"""Who may make an API call: a key within its scopes, or a signed-in member through the
same permission matrix as the pages (tracking/permissions.py). Views declare what they
need as data: `scopes` (method → scope a key needs) and `capabilities` (method → the
capabilities a member needs, any of them; `member_allowed` when a role counts too). A
member without them gets 404, as on the pages; a key without the scope 403, saying which
scope is missing (the key's holder configured it and may ask their association for it)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from tenants.models import Role, User
from tracking.api.models import ApiKey
from tracking.permissions import Actor

# A key reads and writes as the association's coordinators do (every case not archived,
# never a clinical note), within its scopes. It is nobody: its audit entries name the key.
KEY_ROLE = Role.COORDINATOR
# A view open to any key of the association, whatever its scopes.
ANY_SCOPE = "*"


def key_of(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


def actor_for(request: Request) -> Actor:
    """The actor the call reads and writes with (after ApiAccess let it through)."""
    if key_of(request) is not None:
        return Actor(user=User(), role=KEY_ROLE)
    membership = getattr(request, "membership", None)
    if membership is None:
        raise exceptions.PermissionDenied(
            _("Vous n'êtes pas membre de cette association."), code="not_member")
    return Actor(user=request.user, role=membership.role)


def write_actor_for(request: Request) -> Actor:
    """The actor a write is made with, through the same service as the page. A member:
    themself, with their role. A key: the admin who created it — authentication has just
    checked that they still are an admin here — acting with the key's role (KEY_ROLE), so
    that the record names a real person as its author and the service's audit entry a
    real actor; the call's own audit entry (`api.<name>`) names the key's prefix and that
    person. A key made by an operator (`manage.py api_key_create`) has nobody to act for:
    it may read, never write (403)."""
    key = key_of(request)
    if key is None:
        return actor_for(request)
    creator = key.created_by if key.created_by_id is not None else None
    if creator is None or not creator.is_active:
        raise exceptions.PermissionDenied(
            _("Cette clé n'a pas été créée par un administrateur de l'association : elle ne "
              "peut rien modifier. Créez-en une depuis les paramètres (API)."),
            code="key_without_author")
    return Actor(user=creator, role=KEY_ROLE)


class ApiAccess(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        key = key_of(request)
        scope = view.scopes.get(request.method or "")
        if key is not None:
            if scope != ANY_SCOPE and (scope is None or scope not in key.scopes):
                raise exceptions.PermissionDenied(
                    _("Cette clé n'a pas la portée « %(scope)s ».") % {"scope": scope},
                    code="scope_missing")
            return True
        if not view.member_allowed(actor_for(request)):
            raise exceptions.NotFound()
        return True
