"""Awareness sessions: recording one (tenant schema). Validates, writes in one transaction
and records an audit entry."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import (
    AwarenessSession,
    Partner,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor, Capability


def awareness_create(
    *, actor: Actor, held_on: date, partner: Partner | None, town: str, department: str,
    programme: PicklistItem | None, facilitator_ids: list[int], pupils: int, parents: int,
    teachers: int, other_professionals: int,
) -> AwarenessSession:
    validation.require_capability(actor, Capability.AWARENESS_MANAGE)
    validation.not_future_day(held_on, field="held_on", label=_("La date de la séance"))
    validation.picklist(programme, kind=PicklistKind.PROGRAMME, field="programme")
    staff = validation.staff_members(facilitator_ids, field="facilitators")
    counts = {"pupils": pupils, "parents": parents, "teachers": teachers,
              "other_professionals": other_professionals}
    for name, value in counts.items():
        if not 0 <= value <= 100_000:
            raise ApplicationError(_("Les effectifs doivent être compris entre 0 et 100 000."),
                                   code=ErrorCode.VALUE_RANGE, field=name)
    with transaction.atomic():
        session = AwarenessSession.objects.create(
            held_on=held_on, partner=partner, town=town.strip()[:120],
            department=department.strip()[:3], programme=programme, **counts,
        )
        session.facilitators.set(staff)
        audit_record(actor=actor, action="awareness.create", obj=session)
    return session
