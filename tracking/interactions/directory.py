"""Partner organisations and contacts (parents, school staff, local actors)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import (
    Case,
    CaseContact,
    CaseEvent,
    Contact,
    Partner,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor, Capability


def partner_create(
    *, actor: Actor, name: str, kind: PicklistItem, town: str = "", department: str = ""
) -> Partner:
    if not actor.can(Capability.PARTNER_MANAGE):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    validation.picklist(kind, kind=PicklistKind.PARTNER_TYPE, field="kind")
    with transaction.atomic():
        partner = Partner(name=name.strip(), kind=kind, town=town.strip(),
                          department=department.strip())
        partner.full_clean()
        partner.save()
        audit_record(actor=actor, action="partner.create", obj=partner)
    return partner


def contact_create_for_case(
    *, actor: Actor, case: Case, kind: str, first_name: str, last_name: str,
    relationship: str, phone: str = "", email: str = "", partner: Partner | None = None,
) -> Contact:
    validation.require_editable(actor, case)
    with transaction.atomic():
        contact = Contact(kind=kind, first_name=first_name.strip(), last_name=last_name.strip(),
                          phone=phone.strip(), email=email.strip(), partner=partner)
        contact.full_clean()
        contact.save()
        CaseContact.objects.create(case=case, contact=contact, relationship=relationship[:80])
        CaseEvent.objects.create(case=case, actor_id=actor.id, kind="contact",
                                 detail={"contact": contact.pk})
        audit_record(actor=actor, action="contact.create", obj=contact, case=case.pk)
    return contact


def contact_link(*, actor: Actor, case: Case, contact: Contact, relationship: str) -> CaseContact:
    """Siblings share parents: link an existing contact to another case."""
    validation.require_editable(actor, case)
    with transaction.atomic():
        link, _created = CaseContact.objects.get_or_create(
            case=case, contact=contact, defaults={"relationship": relationship[:80]}
        )
        audit_record(actor=actor, action="contact.link", obj=contact, case=case.pk)
    return link
