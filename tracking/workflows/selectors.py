"""Reads of workflows (tenant schema): the stages in force."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    QuerySet,
)


def stage_list() -> QuerySet[Any]:
    from tracking.models import Stage

    return Stage.objects.filter(version__status="published").order_by("position")
