"""Reads of awareness sessions (tenant schema)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    QuerySet,
)


def awareness_list() -> QuerySet[Any]:
    from tracking.models import AwarenessSession

    return AwarenessSession.objects.select_related("partner", "programme").order_by("-held_on")
