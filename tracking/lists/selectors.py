"""Reads of the association's lists (tenant schema)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    QuerySet,
)

from relier_platform.prepared import PreparedRead
from tracking.models import (
    PicklistItem,
    PicklistKind,
)


def picklist(kind: str, *, include_archived: bool = False) -> QuerySet[PicklistItem]:
    qs = PicklistItem.objects.filter(kind=kind)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.order_by("position", "label")


# The case list's two picklist filters, read on every display of the list: one query, its
# SQL compiled once per connection (relier_platform.prepared).
_FILTER_KINDS = (PicklistKind.PROGRAMME, PicklistKind.DETECTION_SOURCE)
_FILTER_ITEMS: PreparedRead[Any] = PreparedRead(
    lambda: PicklistItem.objects.filter(kind__in=_FILTER_KINDS, is_archived=False)
    .order_by("position", "label").values_list("kind", "pk", "label"))


def picklist_filter_options() -> dict[str, list[tuple[int, str]]]:
    """(pk, label) of the active items of the programmes and the detection sources, by
    kind, in the order of `picklist`."""
    found: dict[str, list[tuple[int, str]]] = {kind: [] for kind in _FILTER_KINDS}
    for kind, pk, label in _FILTER_ITEMS():
        found[kind].append((pk, label))
    return found
