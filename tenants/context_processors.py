"""Template context: the current association, the person's role, the switch menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from tenants import selectors


def workspace(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {"association": None, "membership": None}
    user = request.user
    return {
        "association": tenant,
        "membership": getattr(request, "membership", None),
        # Evaluated only when the menu is drawn.
        "other_memberships": SimpleLazyObject(
            lambda: [
                m for m in selectors.membership_list_for_user(user=user)  # type: ignore[arg-type]
                if m.association_id != tenant.pk
            ] if user.is_authenticated else []
        ),
    }
