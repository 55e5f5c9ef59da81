"""Views declare what they need as data: `@requires(Capability.X)`. The actor is the
signed-in person with the role of their membership in this association (set on the
request by tenants.tenancy.middleware.MembershipMiddleware)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from tenants.accounts.lockout import client_ip
from tracking.permissions import Actor, Capability

# The client's address for audit entries: the same reading as lockouts and rate limits
# (REMOTE_ADDR, or behind RELIER_TRUSTED_PROXY_COUNT proxies the address they saw).
__all__ = ["actor_of", "admin_of", "client_ip", "requires"]


def actor_of(request: HttpRequest) -> Actor:
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404
    return Actor(user=request.user, role=membership.role)  # type: ignore[arg-type]


def admin_of(request: HttpRequest) -> Actor:
    """The actor, if an admin of this association; 404 for everyone else (the settings
    pages and their actions alike)."""
    actor = actor_of(request)
    if actor.role != "admin":
        raise Http404
    return actor




def requires(
    *capabilities: Capability,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Answer 404 (not 403: nothing is revealed) unless the actor has every capability."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor = actor_of(request)
            if not all(actor.can(c) for c in capabilities):
                raise Http404
            request.actor = actor  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        wrapped.required_capabilities = capabilities  # type: ignore[attr-defined]
        return wrapped

    return decorator
