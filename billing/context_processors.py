"""Template context: the billing state of the association (the banner in base.html)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from billing.selectors import OK


def billing(request: HttpRequest) -> dict[str, Any]:
    # Computed once per request by billing.middleware.ReadOnlyMiddleware.
    return {"billing": getattr(request, "billing", OK)}
