"""The public referral form: a case at the first stage, the staff told, nothing shown back.
(Its rate limit is in the view: tenants.accounts.ratelimit.REFERRAL, a 429 page with phone
numbers.)"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from relier_platform.tenancy import current_schema
from tenants.outbox.services import enqueue
from tracking import validation
from tracking.audit.services import audit_record
from tracking.cases.services import CaseData, case_create
from tracking.models import PicklistItem, PicklistKind, Referral, WebhookEvent
from tracking.webhooks.services import case_payload, webhooks_emit


@dataclass
class ReferralData:
    referrer_kind: str
    referrer_name: str
    referrer_contact: str
    description: str
    first_name: str = ""
    birth_year: int | None = None
    town: str = ""


def referral_submit(*, data: ReferralData, ip_address: str | None) -> Referral:
    validation.text_length(data.description, limit=3000, field="description",
                           label=_("La description"))
    source = PicklistItem.objects.filter(
        kind=PicklistKind.DETECTION_SOURCE, code="referral_form"
    ).first()
    with transaction.atomic():
        case = case_create(actor=None, via="referral_form", data=CaseData(
            first_name=data.first_name.strip(), birth_year=data.birth_year,
            town=data.town.strip(), detection_source=source,
        ))
        referral = Referral.objects.create(
            case=case, referrer_kind=data.referrer_kind, referrer_name=data.referrer_name,
            referrer_contact=data.referrer_contact, description=data.description,
        )
        audit_record(actor=None, action="referral.received", obj=case, ip_address=ip_address)
        # Ids, codes and the date only: nothing the referrer wrote leaves.
        webhooks_emit(event=WebhookEvent.REFERRAL_RECEIVED, payload=case_payload(
            case, stage=case.stage.key if case.stage else None,
            detection_source=source.code if source else None,
            received_at=referral.received_at.isoformat()))

        enqueue("tracking.referral_notify_task", args=(referral.pk, current_schema()))
    return referral
