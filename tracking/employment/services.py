"""Recording the employment programme's milestones (tenant schema). Validates, writes in
one transaction with the case locked (two people recording the same milestone at once
cannot both succeed), records an audit entry and a case event (the case's timeline)."""

from __future__ import annotations

import calendar
from datetime import date

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.employment import selectors
from tracking.models import Case, CaseEvent, EmploymentMilestone, PicklistItem, PicklistKind
from tracking.permissions import Actor

MAX_NOTE = 1000
EVENT = "employment_milestone"


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shown(day: date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _refuse(message: str, field: str | None = None,
            code: ErrorCode = ErrorCode.CONFLICT) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


def _check_order(case: Case, kind: PicklistItem, reached_on: date) -> None:
    """The rules between milestones of one case (the case row is locked)."""
    held = list(EmploymentMilestone.objects.filter(case=case).select_related("kind"))
    role = selectors.role_of(kind)
    label = kind.label
    if role in selectors.ONCE_PER_CASE:
        twin = next((m for m in held if selectors.role_of(m.kind) == role), None)
        if twin is not None:
            raise _refuse(_("« %(label)s » est déjà noté pour ce dossier (le %(date)s).")
                          % {"label": label, "date": _shown(twin.reached_on)}, "kind")
    if role in selectors.IN_POST:
        months = selectors.IN_POST[role]
        jobs = [m for m in held if selectors.role_of(m.kind) == selectors.JOB
                and m.reached_on <= reached_on]
        if not jobs:
            raise _refuse(_("« %(label)s » ne peut être noté qu'après une étape « emploi ou "
                            "stage » datée du même jour ou d'avant : notez d'abord l'emploi "
                            "ou le stage.") % {"label": label}, "kind")
        job = max(jobs, key=lambda m: (m.reached_on, m.pk))
        earliest = add_months(job.reached_on, months)
        if reached_on < earliest:
            raise _refuse(_("« %(label)s » se note au plus tôt %(months)s mois après le début "
                            "de l'emploi ou du stage du %(start)s, soit le %(date)s.")
                          % {"label": label, "months": months, "start": _shown(job.reached_on),
                             "date": _shown(earliest)}, "reached_on", ErrorCode.DATE_ORDER)
        if any(selectors.role_of(m.kind) == role and m.reached_on >= job.reached_on
               for m in held):
            raise _refuse(_("« %(label)s » est déjà noté pour l'emploi ou le stage du "
                            "%(start)s.") % {"label": label, "start": _shown(job.reached_on)},
                          "kind")
    if any(m.kind_id == kind.pk and m.reached_on == reached_on for m in held):
        raise _refuse(_("« %(label)s » est déjà noté à cette date pour ce dossier.")
                      % {"label": label}, "reached_on")


def milestone_record(
    *, actor: Actor, case: Case, kind: PicklistItem | None, reached_on: date | None,
    note: str = "",
) -> EmploymentMilestone:
    """Note that the young person of `case` (in the employment programme) reached a
    milestone on `reached_on` — possibly before the case was opened (the employment
    agency's orientation often comes first). Nothing is written when a rule refuses it."""
    validation.require_editable(actor, case)
    if not selectors.in_programme(case):
        raise _refuse(_("Ce dossier ne suit pas le programme de retour à l'emploi : "
                        "choisissez ce programme sur le dossier avant de noter une étape."),
                      code=ErrorCode.NOT_ALLOWED)
    if kind is None:
        raise _refuse(_("Choisissez l'étape franchie."), "kind", ErrorCode.PICKLIST_INVALID)
    # As stored now (an admin may have archived it since the form was shown).
    kind = PicklistItem.objects.filter(pk=kind.pk).first() or kind
    validation.picklist(kind, kind=PicklistKind.EMPLOYMENT_MILESTONE, field="kind")
    if reached_on is None:
        raise _refuse(_("Indiquez la date de l'étape."), "reached_on", ErrorCode.VALUE_RANGE)
    validation.not_future_day(reached_on, field="reached_on", label=_("La date de l'étape"))
    note = validation.no_control_characters(str(note).strip(), field="note")
    validation.text_length(note, limit=MAX_NOTE, field="note", label=_("La note"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        _check_order(locked, kind, reached_on)
        milestone = EmploymentMilestone.objects.create(
            case=locked, kind=kind, reached_on=reached_on, note=note, recorded_by_id=actor.id)
        # The label and day only: the note stays in its encrypted column.
        CaseEvent.objects.create(case=locked, actor_id=actor.id, kind=EVENT, detail={
            "milestone": kind.label, "reached_on": reached_on.isoformat()})
        audit_record(actor=actor, action="employment.milestone", obj=locked,
                     milestone=kind.code, reached_on=reached_on.isoformat())
    return milestone


def milestones_anonymise(case: Case) -> int:
    """Erasure (tracking/privacy): the notes go; the milestones stay as anonymous
    statistics. Inside the caller's transaction; returns how many notes were removed."""
    count = 0
    for milestone in EmploymentMilestone.objects.filter(case=case).select_for_update():
        if milestone.note:  # encrypted: compared once read, not in SQL
            setattr(milestone, "note", "")  # noqa: B010 (an encrypted field, typed as one)
            milestone.save(update_fields=["note"])
            count += 1
    return count
