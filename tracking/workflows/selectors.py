"""Reads of workflows (tenant schema): the stages in force."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    QuerySet,
)

from relier_platform.prepared import PreparedRead


def stage_list() -> QuerySet[Any]:
    from tracking.models import Stage

    return Stage.objects.filter(version__status="published").order_by("position")


# (pk, name) of stage_list, read by every display of the case list (its stage filter).
_STAGE_OPTIONS: PreparedRead[Any] = PreparedRead(
    lambda: stage_list().values_list("pk", "name"))


def stage_options() -> list[tuple[int, str]]:
    """(pk, name) of the stages in force, in order; SQL compiled once per connection."""
    return list(_STAGE_OPTIONS())
