"""Cases of young people: opening, editing, closing, linking, grants, consent, impact."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.columns import object_permission
from tracking.fields import services as custom_fields
from tracking.models import (
    Case,
    CaseEvent,
    CaseLink,
    CaseUserObjectPermission,
    Consent,
    CustomFieldTarget,
    ImpactAssessment,
    Partner,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import CHANGE_CASE, VIEW_CASE, Actor, Capability
from tracking.webhooks.services import case_payload, webhooks_emit


def _forbidden() -> ApplicationError:
    return ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def _closed_stage_for(case: Case) -> Any:
    """The closing stage of the case's workflow version, when it is not there already."""
    if case.stage is None or not case.stage.is_open:
        return None
    return case.stage.version.stages.filter(is_open=False).order_by("position").first()


def case_code_next(year: int) -> str:
    """Next number of the year, atomically (concurrent openings never share a code)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_casecodecounter (year, last) VALUES (%s, 1) "
            "ON CONFLICT (year) DO UPDATE SET last = tracking_casecodecounter.last + 1 "
            "RETURNING last",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{year}-{number:04d}"


@dataclass
class CaseData:
    """What a form gives to open or edit a case."""

    first_name: str = ""
    birth_year: int | None = None
    gender: str = ""
    town: str = ""
    department: str = ""
    role: str = "targeted"
    programme: PicklistItem | None = None
    detection_source: PicklistItem | None = None
    referring_partner: Partner | None = None
    situation_types: list[PicklistItem] = field(default_factory=list)
    assigned_staff_ids: list[int] = field(default_factory=list)
    opened_on: date | None = None
    # Answers to the custom fields, by key; None leaves the stored answers as they are.
    custom: dict[str, Any] | None = None


def _validate(data: CaseData, current: Case | None = None) -> list[int]:
    kept: set[int] = set()
    if current is not None:
        kept = {pk for pk in (current.programme_id, current.detection_source_id) if pk}
        kept |= set(current.situation_types.values_list("pk", flat=True))
    validation.birth_year(data.birth_year)
    validation.not_future_day(data.opened_on, field="opened_on", label=_("La date d'ouverture"))
    validation.text_length(data.first_name, limit=80, field="first_name", label=_("Le prénom"))
    validation.picklist(data.programme, kind=PicklistKind.PROGRAMME, field="programme",
                        kept=kept)
    validation.picklist(data.detection_source, kind=PicklistKind.DETECTION_SOURCE,
                        field="detection_source", kept=kept)
    for item in data.situation_types:
        validation.picklist(item, kind=PicklistKind.SITUATION_TYPE, field="situation_types",
                            kept=kept)
    return validation.staff_members(data.assigned_staff_ids, field="assigned_staff")


FIELDS = ("first_name", "birth_year", "gender", "town", "department", "role", "programme",
          "detection_source", "referring_partner")


def case_create(*, actor: Actor | None, data: CaseData, via: str = "form") -> Case:
    """Open a case. `actor` is None only for the public referral form."""
    if actor is not None and not actor.can(Capability.CASE_CREATE):
        raise _forbidden()
    staff_ids = _validate(data)
    custom = custom_fields.clean_values(CustomFieldTarget.CASE, data.custom or {})
    opened_on = data.opened_on or timezone.localdate()
    with transaction.atomic():
        case = Case(
            code=case_code_next(opened_on.year), opened_on=opened_on, custom=custom,
            **{name: getattr(data, name) for name in FIELDS},
        )
        case.full_clean(exclude=["code", "situation_types", "assigned_staff"])
        case.save()
        case.situation_types.set(data.situation_types)
        # Whoever opens a case follows it (unless they see every case anyway).
        if actor is not None and not actor.can(Capability.CASE_VIEW_ALL):
            staff_ids = sorted({*staff_ids, actor.id})
        case.assigned_staff.set(staff_ids)
        CaseEvent.objects.create(case=case, actor_id=actor.id if actor else None,
                                 kind="opened", detail={"via": via})
        from tracking.workflows.services import case_stage_set_initial

        case_stage_set_initial(case, actor=actor)
        audit_record(actor=actor, action="case.create", obj=case, via=via)
    return case


def case_update(*, actor: Actor, case: Case, data: CaseData, expected_version: int) -> Case:
    """Edit a case. Two people editing at once: the second gets a clear conflict."""
    validation.require_editable(actor, case)
    staff_ids = _validate(data, current=case)
    with transaction.atomic():
        locked = validation.lock_at_version(case, expected_version)
        changed: dict[str, Any] = {}
        for name in FIELDS:
            new = getattr(data, name)
            if getattr(locked, name) != new:
                changed[name] = "…" if name == "first_name" else str(new or "")
                setattr(locked, name, new)
        if data.custom is not None:
            # Checked against the row as locked: archived answers it holds stay valid.
            custom = custom_fields.clean_values(CustomFieldTarget.CASE, data.custom,
                                                current=locked.custom)
            for label in custom_fields.changed_labels(CustomFieldTarget.CASE, locked.custom,
                                                      custom):
                changed[label] = ""
            locked.custom = custom
        if data.opened_on and data.opened_on != locked.opened_on:
            validation.ordered(data.opened_on, locked.closed_on, field="opened_on")
            changed["opened_on"] = data.opened_on.isoformat()
            locked.opened_on = data.opened_on
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.full_clean(exclude=["code", "situation_types", "assigned_staff"])
        locked.save()
        if {i.pk for i in data.situation_types} != set(
            locked.situation_types.values_list("pk", flat=True)
        ):
            locked.situation_types.set(data.situation_types)
            changed["situation_types"] = sorted(i.code for i in data.situation_types)
        if set(staff_ids) != set(locked.assigned_staff.values_list("pk", flat=True)):
            locked.assigned_staff.set(staff_ids)
            changed["assigned_staff"] = staff_ids
        CaseEvent.objects.create(case=locked, actor_id=actor.id, kind="edited",
                                 detail={"fields": sorted(changed)})
        audit_record(actor=actor, action="case.update", obj=locked, fields=sorted(changed))
    return locked


def case_close(
    *, actor: Actor, case: Case, closed_on: date, reason: PicklistItem, expected_version: int
) -> Case:
    validation.require_editable(actor, case)
    validation.not_future_day(closed_on, field="closed_on", label=_("La date de clôture"))
    validation.ordered(case.opened_on, closed_on, field="closed_on")
    validation.picklist(reason, kind=PicklistKind.CLOSING_REASON, field="closing_reason")
    with transaction.atomic():
        locked = validation.lock_at_version(case, expected_version)
        previous_stage = locked.stage.key if locked.stage else None
        locked.closed_on, locked.closing_reason = closed_on, reason
        closed_stage = _closed_stage_for(locked)
        if closed_stage is not None:
            from tracking.models import StageChange

            StageChange.objects.create(case=locked, actor_id=actor.id,
                                       from_stage=locked.stage, to_stage=closed_stage,
                                       comment=reason.label)
            locked.stage, locked.stage_entered_at = closed_stage, timezone.now()
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save()
        CaseEvent.objects.create(case=locked, actor_id=actor.id, kind="closed",
                                 detail={"reason": reason.code})
        audit_record(actor=actor, action="case.close", obj=locked)
        if closed_stage is not None:
            webhooks_emit(event="case.stage_changed", payload=case_payload(
                locked, from_stage=previous_stage, to_stage=closed_stage.key,
                changed_at=locked.stage_entered_at.isoformat()
                if locked.stage_entered_at else None))
        webhooks_emit(event="case.closed", payload=case_payload(
            locked, stage=locked.stage.key if locked.stage else None,
            closed_on=closed_on.isoformat(), closing_reason=reason.code))
    return locked


def case_link(*, actor: Actor, case: Case, other: Case, note: str = "") -> CaseLink:
    if not actor.can(Capability.CASE_EDIT_ALL):
        raise _forbidden()
    if case.pk == other.pk:
        raise ApplicationError(_("Un dossier ne peut pas être lié à lui-même."),
                               code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        link, _created = CaseLink.objects.get_or_create(
            from_case=case, to_case=other, defaults={"note": note[:200]}
        )
        CaseEvent.objects.create(case=case, actor_id=actor.id, kind="linked",
                                 detail={"other": other.code})
        audit_record(actor=actor, action="case.link", obj=case, other=other.pk)
    return link


def case_grant(*, actor: Actor, case: Case, user_id: int,
               can_edit: bool) -> list[CaseUserObjectPermission]:
    """Give one staff member access to one case on top of their role: django-guardian's
    `view_case` on it, and `change_case` too when they may edit it. Granting again with
    `can_edit=False` takes `change_case` back (the case's history and the audit log say
    so). Returns the person's grants on the case."""
    if not actor.can(Capability.CASE_GRANT):
        raise _forbidden()
    validation.staff_members([user_id], field="user")
    wanted = [VIEW_CASE, CHANGE_CASE] if can_edit else [VIEW_CASE]
    now = timezone.now()
    with transaction.atomic():
        for codename in wanted:
            CaseUserObjectPermission.objects.update_or_create(
                content_object=case, user_id=user_id,
                permission=object_permission(Case, codename),
                defaults={"granted_by_id": actor.id, "granted_at": now},
            )
        case.grants.filter(user_id=user_id).exclude(
            permission__codename__in=wanted).delete()
        CaseEvent.objects.create(case=case, actor_id=actor.id, kind="granted",
                                 detail={"user": user_id, "can_edit": can_edit})
        audit_record(actor=actor, action="case.grant", obj=case, user=user_id,
                     can_edit=can_edit)
    return list(case.grants.filter(user_id=user_id).order_by("pk"))


def consent_record(
    *, actor: Actor, case: Case, given_by: str, given_on: date, follow_up: bool,
    exchange_groups: bool, network_statistics: bool,
) -> Consent:
    validation.require_editable(actor, case)
    validation.not_future_day(given_on, field="given_on", label=_("La date du consentement"))
    with transaction.atomic():
        consent = Consent(
            case=case, given_by=given_by, given_on=given_on, follow_up=follow_up,
            exchange_groups=exchange_groups, network_statistics=network_statistics,
            recorded_by_id=actor.id,
        )
        consent.full_clean(exclude=["case", "recorded_by"])
        consent.save()
        CaseEvent.objects.create(case=case, actor_id=actor.id, kind="consent",
                                 detail={"network_statistics": network_statistics,
                                         "exchange_groups": exchange_groups})
        audit_record(actor=actor, action="consent.record", obj=case)
    return consent


def impact_record(
    *, actor: Actor, case: Case, assessed_on: date, moment: str, scores: dict[str, int]
) -> ImpactAssessment:
    validation.require_editable(actor, case)
    validation.not_future_day(assessed_on, field="assessed_on", label=_("La date du bilan"))
    axes = ("peers", "family", "school_work", "help", "confidence")
    for axis in axes:
        value = scores.get(axis)
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise ApplicationError(_("Chaque score doit être compris entre 1 et 5."),
                                   code=ErrorCode.VALUE_RANGE, field=axis)
    with transaction.atomic():
        assessment = ImpactAssessment.objects.create(
            case=case, assessed_on=assessed_on, moment=moment, assessed_by_id=actor.id,
            **{axis: scores[axis] for axis in axes},
        )
        audit_record(actor=actor, action="impact.record", obj=case)
    return assessment
