"""Reads of the association's lists (tenant schema)."""

from __future__ import annotations

from django.db.models import (
    QuerySet,
)

from tracking.models import (
    PicklistItem,
)


def picklist(kind: str, *, include_archived: bool = False) -> QuerySet[PicklistItem]:
    qs = PicklistItem.objects.filter(kind=kind)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.order_by("position", "label")
