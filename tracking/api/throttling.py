"""Rate limits of the API, per key (or per member for session calls, per address for
anonymous ones), counted in the cache. Cache keys start with the host's schema
(settings.CACHES KEY_FUNCTION), so two associations' keys never share a count. While
Redis is down the cache keeps nothing and calls are not limited (platform/cache.py):
the referral endpoint keeps the referral form's own limit, counted in PostgreSQL."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from tracking.api.models import ApiKey


class ApiRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiKey):
            who = f"key:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            who = f"user:{request.user.pk}"
        else:
            who = f"ip:{self.get_ident(request)}"
        return f"api-throttle:{who}"
