"""Hand-overs, both halves in one transaction: the public record (tenants.handovers) and
the association's own file (its case's event, its hand-over record, its audit log).

Sending: an admin of the sending association, with the consent of the young person or a
guardian recorded (who, when, how), sends to an association of a network both belong to
a summary that holds what the receiver needs and no more — a first name, a birth year,
situation types and a text the admin writes; never a clinical note, a contact or the
sender's case number. Accepting: an admin of the receiving association opens a new case
of its own with the usual service (its workflow, its numbering). Refusing, withdrawing or
expiring destroys the summary in public. Each step is audited in both associations'
logs (no personal data in the other side's entry)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.handovers import selectors as public
from tenants.handovers import services as public_services
from tenants.models import Association, Handover, HandoverStatus
from tracking import validation
from tracking.audit.services import audit_record
from tracking.cases.services import CaseData, case_create
from tracking.models import (
    Case,
    CaseEvent,
    ConsentGiver,
    ConsentMethod,
    HandoverDirection,
    HandoverRecord,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor

SUMMARY_LIMIT = 3000


@dataclass
class HandoverDraft:
    """What the admin sends: prefilled from the case, edited on the form."""

    receiver_id: int | None = None
    first_name: str = ""
    birth_year: int | None = None
    situation_type_ids: list[int] = field(default_factory=list)
    summary: str = ""
    consent_given_by: str = ""
    consent_given_on: date | None = None
    consent_method: str = ""


def _forbidden() -> ApplicationError:
    return ApplicationError(
        _("Seuls les administrateurs de l'association transmettent ou reçoivent un dossier."),
        code=ErrorCode.NOT_ALLOWED)


def _require_admin(actor: Actor, association: Association) -> None:
    if actor.role != "admin" or current_schema() != association.schema_name:
        raise _forbidden()


def handover_prefill(case: Case) -> HandoverDraft:
    """The case's first name, birth year and situation types; the text is the admin's."""
    return HandoverDraft(first_name=case.first_name, birth_year=case.birth_year,
                         situation_type_ids=[i.pk for i in case.situation_types.all()])


def _validate_consent(draft: HandoverDraft) -> date:
    """The day consent was given, once who, when and how are all there."""
    given_on = draft.consent_given_on
    if (draft.consent_given_by not in ConsentGiver.values
            or draft.consent_method not in ConsentMethod.values
            or given_on is None):
        raise ApplicationError(
            _("Le consentement à la transmission n'est pas enregistré : indiquez qui l'a "
              "donné (le jeune ou son responsable légal), à quelle date et sous quelle "
              "forme."), code=ErrorCode.CONSENT_MISSING, field="consent")
    validation.not_future_day(given_on, field="consent", label=_("La date du consentement"))
    return given_on


def _validate(case: Case, draft: HandoverDraft) -> tuple[list[PicklistItem], date]:
    given_on = _validate_consent(draft)
    if not draft.summary.strip():
        raise ApplicationError(
            _("Le résumé est vide : écrivez ce que l'association qui reçoit doit savoir pour "
              "accompagner le jeune."), code=ErrorCode.VALUE_RANGE, field="summary")
    validation.text_length(draft.summary, limit=SUMMARY_LIMIT, field="summary",
                           label=_("Le résumé"))
    if not draft.first_name.strip():
        raise ApplicationError(_("Indiquez le prénom du jeune."), code=ErrorCode.VALUE_RANGE,
                               field="first_name")
    validation.text_length(draft.first_name, limit=80, field="first_name",
                           label=_("Le prénom"))
    validation.birth_year(draft.birth_year)
    # Only situation types of the case itself may travel.
    own = {i.pk: i for i in case.situation_types.all()}
    if any(pk not in own for pk in draft.situation_type_ids):
        raise ApplicationError(_("Choisissez les types de situation parmi ceux du dossier."),
                               code=ErrorCode.PICKLIST_INVALID, field="situation_types")
    return [own[pk] for pk in sorted(set(draft.situation_type_ids))], given_on


def _receiver(draft: HandoverDraft) -> Association:
    receiver = (Association.objects.filter(pk=draft.receiver_id).first()
                if draft.receiver_id else None)
    if receiver is None:
        raise ApplicationError(_("Choisissez l'association qui reçoit le dossier."),
                               code=ErrorCode.NOT_FOUND, field="receiver")
    return receiver


def _audit_in(association: Association, *, action: str, public_id: int,
              **detail: Any) -> None:
    """An entry in the other association's log: who and what, no personal data. Its
    hand-over record, when it has one, is the entry's object. A closed association's
    schema is gone: nothing to write."""
    if association.state == Association.State.CLOSED:
        return
    with schema_context(association.schema_name):
        record = HandoverRecord.objects.filter(public_id=public_id).first()
        audit_record(actor=None, action=action, obj=record, handover_id=public_id, **detail)


def handover_send(*, actor: Actor, association: Association, case: Case,
                  draft: HandoverDraft, ip_address: str | None = None) -> HandoverRecord:
    """Send the summary of `case` to another association; both halves or nothing."""
    _require_admin(actor, association)
    items, given_on = _validate(case, draft)
    receiver = _receiver(draft)
    first_name, summary = draft.first_name.strip(), draft.summary.strip()
    situations = [{"label": i.label, "network_code": i.network_code} for i in items]
    consent = {"given_by": draft.consent_given_by, "method": draft.consent_method,
               "given_on": given_on.isoformat()}
    with transaction.atomic():
        locked = Case.objects.select_for_update().filter(pk=case.pk,
                                                         archived_at__isnull=True).first()
        if locked is None or locked.anonymised_at is not None:
            raise ApplicationError(_("Ce dossier ne peut plus être transmis."),
                                   code=ErrorCode.NOT_ALLOWED)
        handover = public_services.handover_open(
            actor=actor.user, sender=association, receiver=receiver, sender_case_id=locked.pk,
            content={"first_name": first_name, "birth_year": draft.birth_year,
                     "situation_types": situations, "summary": summary, "consent": consent})
        record = HandoverRecord.objects.create(
            direction=HandoverDirection.SENT, case=locked, public_id=handover.pk,
            other_association_id=receiver.pk, other_association_name=receiver.name,
            first_name=first_name, birth_year=draft.birth_year, situation_types=situations,
            summary=summary, consent_given_by=draft.consent_given_by,
            consent_given_on=given_on, consent_method=draft.consent_method,
            actor_id=actor.id)
        CaseEvent.objects.create(case=locked, actor_id=actor.id, kind="handover_sent",
                                 detail={"to": receiver.name})
        audit_record(actor=actor, action="handover.send", obj=locked, ip_address=ip_address,
                     handover_id=handover.pk, receiver=receiver.slug)
        _audit_in(receiver, action="handover.incoming", public_id=handover.pk,
                  sender=association.slug)
    return record


def _matching_situations(wanted: list[dict[str, str]]) -> list[PicklistItem]:
    """The receiver's own situation types matching the sender's: by network code, else by
    label; a type it does not have is left out (its label stays in the summary)."""
    items = list(PicklistItem.objects.filter(kind=PicklistKind.SITUATION_TYPE,
                                             is_archived=False))
    by_code = {i.network_code: i for i in items if i.network_code}
    by_label = {i.label.casefold(): i for i in items}
    found: dict[int, PicklistItem] = {}
    for situation in wanted:
        item = (by_code.get(situation.get("network_code") or "")
                or by_label.get(str(situation.get("label", "")).casefold()))
        if item is not None:
            found[item.pk] = item
    return list(found.values())


def handover_accept(*, actor: Actor, association: Association, handover_id: object,
                    ip_address: str | None = None) -> Case:
    """Open a new case of the receiving association from a pending hand-over."""
    _require_admin(actor, association)
    with transaction.atomic():
        handover = public.access_incoming(association, handover_id, for_update=True)
        content = public_services.handover_content(handover)
        consent = content.get("consent") or {}
        situations = list(content.get("situation_types") or [])
        case = case_create(actor=actor, via="handover", data=CaseData(
            first_name=str(content.get("first_name", ""))[:80],
            birth_year=content.get("birth_year"),
            situation_types=_matching_situations(situations)))
        CaseEvent.objects.create(case=case, actor_id=actor.id, kind="handover_received",
                                 detail={"from": handover.sender.name})
        HandoverRecord.objects.create(
            direction=HandoverDirection.RECEIVED, case=case, public_id=handover.pk,
            other_association_id=handover.sender_id,
            other_association_name=handover.sender.name,
            first_name=case.first_name, birth_year=case.birth_year, situation_types=situations,
            summary=str(content.get("summary", "")),
            consent_given_by=str(consent.get("given_by", "")),
            consent_given_on=date.fromisoformat(str(consent.get("given_on"))),
            consent_method=str(consent.get("method", "")), actor_id=actor.id)
        public_services.handover_close(handover=handover, status=HandoverStatus.ACCEPTED,
                                       actor=actor.user)
        audit_record(actor=actor, action="handover.accept", obj=case, ip_address=ip_address,
                     handover_id=handover.pk, sender=handover.sender.slug)
        _audit_in(handover.sender, action="handover.accepted", public_id=handover.pk,
                  receiver=association.slug)
    return case


def handover_refuse(*, actor: Actor, association: Association, handover_id: object,
                    ip_address: str | None = None) -> Handover:
    """Refuse a pending hand-over: its summary is destroyed, nothing is kept here."""
    _require_admin(actor, association)
    with transaction.atomic():
        handover = public.access_incoming(association, handover_id, for_update=True)
        public_services.handover_close(handover=handover, status=HandoverStatus.REFUSED,
                                       actor=actor.user)
        audit_record(actor=actor, action="handover.refuse", ip_address=ip_address,
                     handover_id=handover.pk, sender=handover.sender.slug)
        _audit_in(handover.sender, action="handover.refused", public_id=handover.pk,
                  receiver=association.slug)
    return handover


def handover_withdraw(*, actor: Actor, association: Association, handover_id: object,
                      ip_address: str | None = None) -> Handover:
    """The sender takes back a hand-over not yet decided: its summary is destroyed."""
    _require_admin(actor, association)
    with transaction.atomic():
        handover = public.access_sent(association, handover_id, for_update=True)
        record = HandoverRecord.objects.filter(public_id=handover.pk).first()
        public_services.handover_close(handover=handover, status=HandoverStatus.WITHDRAWN,
                                       actor=actor.user)
        if record is not None:
            CaseEvent.objects.create(case_id=record.case_id, actor_id=actor.id,
                                     kind="handover_withdrawn",
                                     detail={"to": handover.receiver.name})
        audit_record(actor=actor, action="handover.withdraw", obj=record,
                     ip_address=ip_address, handover_id=handover.pk,
                     receiver=handover.receiver.slug)
        _audit_in(handover.receiver, action="handover.withdrawn", public_id=handover.pk,
                  sender=association.slug)
    return handover


def handovers_expire(*, now: Any = None) -> int:
    """Expire every pending hand-over past its date (public schema; nightly): the summary
    is destroyed, both associations' logs say so. Safe to run twice."""
    now = now or timezone.now()
    expired = 0
    for pk in public.expired_pending(now):
        with transaction.atomic():
            handover = (Handover.objects.select_for_update(of=("self",))
                        .select_related("sender", "receiver")
                        .filter(pk=pk, status=HandoverStatus.PENDING).first())
            if handover is None:
                continue
            public_services.handover_close(handover=handover, status=HandoverStatus.EXPIRED,
                                           actor=None)
            _audit_in(handover.sender, action="handover.expired", public_id=handover.pk,
                      receiver=handover.receiver.slug)
            _audit_in(handover.receiver, action="handover.expired", public_id=handover.pk,
                      sender=handover.sender.slug)
            expired += 1
    return expired
