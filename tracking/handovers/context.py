"""Template context: the count of hand-overs waiting for the association, shown to its
admins beside the menu's link (read from the cache; tenants.handovers.selectors)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tracking.handovers.selectors import incoming_count


def handovers(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    membership = getattr(request, "membership", None)
    if tenant is None or tenant.schema_name == "public" or membership is None \
            or membership.role != "admin":
        return {}
    return {"handovers_waiting": incoming_count(tenant)}
