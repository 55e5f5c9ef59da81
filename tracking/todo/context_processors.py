"""Template context: the notice counter of the navigation, computed only when a page's
navigation shows it (base.html), never for the API or pages without it; cached a minute
per person (tracking/todo/selectors.py) — in Redis, and a few seconds in each web process
(relier_platform.cache.LocalMemo.shared) — dropped when their tasks or referral
acknowledgements change: the person who changed them sees it at once; another web process
may show the old count to others for up to RELIER_LOCAL_CACHE_SECONDS. Items that come and
go with other rooms' writes (a case moved to another stage, a referral received) show
within that minute."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import HttpRequest

from tracking.permissions import Actor
from tracking.todo.selectors import todo_due_count, todo_due_count_cached


class Notices:
    def __init__(self, actor: Actor, *, fresh: bool = False) -> None:
        self._actor = actor
        self._fresh = fresh  # right after a change: counted anew, not read from the cache

    @cached_property
    def due(self) -> int:
        """Open items due today or overdue."""
        if self._fresh:
            return todo_due_count(actor=self._actor)
        return todo_due_count_cached(actor=self._actor)


def todo(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    tenant = getattr(request, "tenant", None)
    if membership is None or tenant is None or tenant.schema_name == "public":
        return {"notices": None}
    return {"notices": Notices(Actor(user=request.user, role=membership.role))}  # type: ignore[arg-type]
