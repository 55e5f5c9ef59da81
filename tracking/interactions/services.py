"""Interactions: every exchange, with its summary and (psychologists only) clinical note."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.fields import services as custom_fields
from tracking.models import (
    Case,
    Channel,
    Contact,
    CustomFieldTarget,
    Interaction,
    Partner,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor, Capability, case_visible_q


@dataclass
class InteractionData:
    kind: PicklistItem
    channel: str
    occurred_at: datetime
    duration_minutes: int | None = None
    case_ids: list[int] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    partner: Partner | None = None
    summary: str = ""
    clinical_note: str = ""
    custom: dict[str, Any] = field(default_factory=dict)  # answers by custom field key


def interaction_create(*, actor: Actor, data: InteractionData) -> Interaction:
    if not actor.can(Capability.INTERACTION_LOG):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    if data.clinical_note and not actor.can(Capability.CLINICAL):
        raise ApplicationError(
            _("Seuls les psychologues peuvent écrire une note clinique."),
            code=ErrorCode.CLINICAL_FORBIDDEN, field="clinical_note",
        )
    validation.picklist(data.kind, kind=PicklistKind.INTERACTION_KIND, field="kind")
    if data.channel not in Channel.values:
        raise ApplicationError(_("Ce canal n'existe pas."), code=ErrorCode.PICKLIST_INVALID,
                               field="channel")
    validation.not_future_moment(data.occurred_at, field="occurred_at",
                                 label=_("La date de l'échange"))
    if data.duration_minutes is not None and not 0 < data.duration_minutes <= 24 * 60:
        raise ApplicationError(_("La durée doit être comprise entre 1 minute et 24 heures."),
                               code=ErrorCode.VALUE_RANGE, field="duration_minutes")
    validation.text_length(data.summary, limit=validation.MAX_SUMMARY, field="summary",
                           label=_("Le résumé"))
    validation.text_length(data.clinical_note, limit=validation.MAX_NOTE,
                           field="clinical_note", label=_("La note clinique"))
    custom = custom_fields.clean_values(CustomFieldTarget.INTERACTION, data.custom)
    case_ids = sorted(set(data.case_ids))
    cases = list(Case.objects.filter(case_visible_q(actor), pk__in=case_ids))
    contacts = list(Contact.objects.filter(pk__in=sorted(set(data.contact_ids))))
    if len(cases) != len(case_ids) or len(contacts) != len(set(data.contact_ids)):
        # Unknown here, or not visible to this person: the same answer for both.
        raise ApplicationError(_("Un des dossiers ou contacts choisis est introuvable."),
                               code=ErrorCode.NOT_FOUND, field="cases")
    with transaction.atomic():
        interaction = Interaction.objects.create(
            kind=data.kind, channel=data.channel, occurred_at=data.occurred_at,
            duration_minutes=data.duration_minutes, staff_id=actor.id, partner=data.partner,
            summary=data.summary, clinical_note=data.clinical_note, created_by_id=actor.id,
            custom=custom,
        )
        interaction.cases.set(cases)
        interaction.contacts.set(contacts)
        audit_record(actor=actor, action="interaction.create", obj=interaction,
                     cases=[c.pk for c in cases], clinical=bool(data.clinical_note))
    return interaction
