"""Template context: the current association, the person's role, the switch menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.schema_name == "public":
        return {"association": None, "membership": None, "other_memberships": []}
    # Loaded once per request by tenants.tenancy.middleware.MembershipMiddleware.
    memberships = getattr(request, "memberships", [])
    return {
        "association": tenant,
        "membership": getattr(request, "membership", None),
        "other_memberships": [m for m in memberships if m.association_id != tenant.pk],
    }
