"""Reads of partner organisations (tenant schema)."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    QuerySet,
)
from django.http import Http404

from tracking.models import (
    Partner,
)


def partner_list() -> QuerySet[Partner]:
    return Partner.objects.filter(is_archived=False).select_related("kind").order_by("name")


def partner_get(partner_id: Any) -> Partner:
    partner = Partner.objects.select_related("kind").filter(pk=partner_id).first()
    if partner is None:
        raise Http404
    return partner
