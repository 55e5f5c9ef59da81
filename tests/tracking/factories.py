"""Helpers that build tracking data through the services, inside one association's schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Association, User
from tracking.cases.services import CaseData, case_create
from tracking.interactions.services import InteractionData, interaction_create
from tracking.models import Case, PicklistItem
from tracking.permissions import Actor


def actor(user: User, role: str) -> Actor:
    return Actor(user=user, role=role)


def item(kind: str, code: str) -> PicklistItem:
    return PicklistItem.objects.get(kind=kind, code=code)


def make_case(association: Association, admin: User, *, staff: list[User] | None = None,
              **fields: Any) -> Case:
    with schema_context(association.schema_name):
        data = CaseData(
            first_name=fields.pop("first_name", "Inès"),
            birth_year=fields.pop("birth_year", timezone.localdate().year - 13),
            town=fields.pop("town", "Montreuil"), department=fields.pop("department", "93"),
            assigned_staff_ids=[u.pk for u in staff or []], **fields,
        )
        return case_create(actor=actor(admin, "admin"), data=data)


def log_interaction(association: Association, user: User, role: str, case: Case,
                    **fields: Any) -> Any:
    with schema_context(association.schema_name):
        data = InteractionData(
            kind=item("interaction_kind", "interview"), channel="phone",
            occurred_at=fields.pop("occurred_at", timezone.now() - timedelta(hours=1)),
            case_ids=[case.pk], **fields,
        )
        return interaction_create(actor=actor(user, role), data=data)
