"""Retention of an association's data (GDPR storage limitation). Schema: tenant.

- A case without contact — no interaction, attendance, assessment, consent, event, stage
  change or edit — for `archive_after_months` (default 24) is **archived**: it leaves every
  list, search, form and export (`tracking.permissions.NOT_ARCHIVED`); only admins read it,
  on the retention pages, and each read is audited (`case.archived_read`).
- A case archived for `anonymise_after_months` more (default 12) is **anonymised** by
  `case_anonymise_for_retention`, the one call site of the anonymisation service.
- Question Psy: the original text and nickname of a question are erased
  `anonymise_after_months` after it was asked (`questions_erase_originals`).
- Audit entries older than `audit_keep_months` (6–12, default 12) are **purged**: the only
  DELETE the audit log's trigger accepts (migration 0010).

`retention_apply` does all three for the association whose schema is active; the nightly
Celery task (tracking/privacy/tasks.py) runs it once per association, in its schema. It
is idempotent: a second run the same day finds nothing to do and writes nothing. Every
step writes an audit entry (`retention.*`) that admins see on /parametres/conservation/.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    DateTimeField,
    Expression,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Cast, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import trigger_setting
from tracking.audit.services import audit_record
from tracking.dropin.services import callbacks_forget as dropin_callbacks_forget
from tracking.models import (
    Attendance,
    AuditLog,
    Case,
    CaseEvent,
    Consent,
    ImpactAssessment,
    Interaction,
    Referral,
    RetentionPolicy,
    StageChange,
)
from tracking.permissions import Actor, Capability
from tracking.privacy.models import ANONYMISE_AFTER, ARCHIVE_AFTER, AUDIT_KEEP, WARNING_DAYS
from tracking.questions.services import questions_erase_originals

log = logging.getLogger(__name__)


# --- Dates -------------------------------------------------------------------------------

def months_before(moment: datetime, months: int) -> datetime:
    """The same moment `months` calendar months earlier (the 31st becomes the month's last
    day). Negative `months` go forward."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_after(moment: datetime, months: int) -> datetime:
    return months_before(moment, -months)


# --- The policy ---------------------------------------------------------------------------

def policy_get() -> RetentionPolicy:
    """The association's policy (created with the defaults on first use)."""
    policy, _created = RetentionPolicy.objects.get_or_create(pk=1)
    return policy


def _bounded(value: Any, bounds: tuple[int, int, int], *, field: str, message: str) -> int:
    _default, low, high = bounds
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if not low <= number <= high:
        raise ApplicationError(message % {"low": low, "high": high},
                               code=ErrorCode.VALUE_RANGE, field=field)
    return number


def policy_update(*, actor: Actor, archive_after_months: Any, anonymise_after_months: Any,
                  audit_keep_months: Any) -> RetentionPolicy:
    """Change the association's retention periods (admins). All three are checked before
    anything is written; the change is audited with the values before and after."""
    if actor.role != "admin":
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    values = {
        "archive_after_months": _bounded(
            archive_after_months, ARCHIVE_AFTER, field="archive_after_months",
            message=_("L'archivage doit intervenir après %(low)s à %(high)s mois sans "
                      "contact.")),
        "anonymise_after_months": _bounded(
            anonymise_after_months, ANONYMISE_AFTER, field="anonymise_after_months",
            message=_("L'anonymisation doit intervenir de %(low)s à %(high)s mois après "
                      "l'archivage.")),
        "audit_keep_months": _bounded(
            audit_keep_months, AUDIT_KEEP, field="audit_keep_months",
            message=_("Le journal d'audit se conserve de %(low)s à %(high)s mois.")),
    }
    with transaction.atomic():
        policy_get()
        policy = RetentionPolicy.objects.select_for_update().get(pk=1)
        before = {name: getattr(policy, name) for name in values}
        if before == values:
            return policy
        for name, value in values.items():
            setattr(policy, name, value)
        policy.updated_at = timezone.now()
        policy.updated_by_id = actor.id
        policy.save()
        audit_record(actor=actor, action="retention.policy_update", obj=policy,
                     before=before, after=values)
    return policy


# --- When was the last contact ----------------------------------------------------------

def _moment(expression: Any) -> Cast:
    """A day as a moment (midnight), to compare dates with timestamps."""
    return Cast(expression, DateTimeField())


def _latest(model: Any, expression: Any, *, case_field: str = "case") -> Subquery:
    """The latest `expression` among the rows of `model` about the outer case."""
    rows = (model.objects.filter(**{case_field: OuterRef("pk")}).order_by()
            .values(case_field).annotate(latest=Max(expression)).values("latest"))
    return Subquery(rows, output_field=DateTimeField())


def last_contact() -> Expression:
    """When the case was last touched: its own dates and edits, and the latest
    interaction (its date or when it was written), attendance, assessment, consent,
    event, stage change and referral. Reads do not count: reading is not contact."""
    through = Interaction.cases.through
    parts: list[Any] = [
        F("created_at"), F("updated_at"), F("stage_entered_at"),
        _moment(F("opened_on")), _moment(F("closed_on")),
        _latest(through, Greatest(F("interaction__occurred_at"),
                                  F("interaction__created_at"))),
        _latest(Attendance, _moment(F("session__held_on"))),
        _latest(ImpactAssessment, _moment(F("assessed_on"))),
        _latest(Consent, Greatest(F("recorded_at"), _moment(F("given_on")))),
        _latest(CaseEvent, F("at")),
        _latest(StageChange, F("at")),
        _latest(Referral, F("received_at")),
    ]
    # PostgreSQL's GREATEST ignores NULLs; created_at is never NULL.
    return Greatest(*parts, output_field=DateTimeField())


def _live_cases() -> QuerySet[Case]:
    return Case.objects.filter(archived_at__isnull=True)


def _touched_since(before: datetime) -> list[QuerySet[Any]]:
    """The ids of the cases with a contact after `before`, one query per kind — the parts
    of `last_contact` that live in other tables, with the same comparisons. Each is used
    as `NOT IN (subquery)`, which PostgreSQL runs once and hashes: one pass over each
    table, whatever the number of cases. (Correlated NOT EXISTS were planned as nested
    loops re-reading whole tables once per case, on 3,000 cases already.)"""
    through = Interaction.cases.through
    return [
        through.objects.filter(Q(interaction__occurred_at__gte=before)
                               | Q(interaction__created_at__gte=before)).values("case_id"),
        CaseEvent.objects.filter(at__gte=before).values("case_id"),
        StageChange.objects.filter(at__gte=before).values("case_id"),
        Attendance.objects.alias(day=_moment(F("session__held_on")))
        .filter(day__gte=before).values("case_id"),
        ImpactAssessment.objects.alias(day=_moment(F("assessed_on")))
        .filter(day__gte=before).values("case_id"),
        Consent.objects.alias(day=_moment(F("given_on")))
        .filter(Q(recorded_at__gte=before) | Q(day__gte=before)).values("case_id"),
        Referral.objects.filter(received_at__gte=before).values("case_id"),
    ]


def cases_to_archive(*, before: datetime) -> QuerySet[Any]:
    """Cases not archived whose last contact is older than `before`, oldest first.

    Filtered with the case's own columns, then without the cases touched since in other
    tables; `last_contact` is computed only for the cases that remain (shown on the
    settings page, written in the audit entry). Filtering on `last_contact` itself made
    PostgreSQL compute it for every case (seconds on a few thousand)."""
    qs = (_live_cases()
          .alias(opened=_moment(F("opened_on")), closed=_moment(F("closed_on")))
          .filter(Q(created_at__lt=before), Q(updated_at__lt=before), Q(opened__lt=before),
                  Q(stage_entered_at__isnull=True) | Q(stage_entered_at__lt=before),
                  Q(closed_on__isnull=True) | Q(closed__lt=before)))
    for touched in _touched_since(before):
        qs = qs.exclude(pk__in=touched)
    return qs.annotate(last_contact=last_contact()).order_by("last_contact", "pk")


def cases_to_anonymise(*, before: datetime) -> QuerySet[Case]:
    """Archived cases, not yet anonymised, archived before `before`."""
    return (Case.objects.filter(archived_at__lt=before, anonymised_at__isnull=True)
            .order_by("archived_at", "pk"))


# --- The steps ----------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionRun:
    archived: int
    anonymised: int
    audit_purged: int


def cases_archive(*, now: datetime, policy: RetentionPolicy) -> int:
    """Archive the cases without contact for the policy's period. One audit entry per
    case (its last contact), written in the same transaction as the archiving."""
    before = months_before(now, policy.archive_after_months)
    with transaction.atomic():
        due = list(cases_to_archive(before=before).select_for_update(of=("self",))
                   .values_list("pk", "last_contact"))
        if not due:
            return 0
        Case.objects.filter(pk__in=[pk for pk, _last in due], archived_at__isnull=True) \
            .update(archived_at=now)
        AuditLog.objects.bulk_create([
            AuditLog(at=now, action="retention.archive", object_type="case",
                     object_id=str(pk),
                     detail={"last_contact": last.isoformat(),
                             "months": policy.archive_after_months})
            for pk, last in due
        ], batch_size=1000)
    return len(due)


def case_anonymise_for_retention(*, case: Case, now: datetime) -> dict[str, int]:
    """The anonymisation of one case, for retention: the same as an admin's erasure
    (tracking.privacy.services.anonymise_locked), with no actor. The caller holds the case
    row locked in a transaction, sets `anonymised_at` and writes the audit entry itself."""
    from tracking.privacy.services import anonymise_locked

    return anonymise_locked(case, actor_id=None)


def cases_anonymise(*, now: datetime, policy: RetentionPolicy) -> int:
    """Anonymise the cases archived for the policy's further period, each in its own
    transaction (one failure is logged and retried the next night; the others go on)."""
    before = months_before(now, policy.anonymise_after_months)
    done = 0
    for pk in list(cases_to_anonymise(before=before).values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                case = (Case.objects.select_for_update()
                        .filter(pk=pk, archived_at__lt=before, anonymised_at__isnull=True)
                        .first())
                if case is None:  # restored or anonymised meanwhile
                    continue
                archived_at = case.archived_at
                counts = case_anonymise_for_retention(case=case, now=now)
                Case.objects.filter(pk=pk).update(anonymised_at=now)
                AuditLog.objects.create(
                    at=now, action="retention.anonymise", object_type="case",
                    object_id=str(pk),
                    detail={"archived_at": archived_at.isoformat() if archived_at else None,
                            "months": policy.anonymise_after_months, **counts})
        except Exception:  # one case must not stop the others; the next night retries it
            log.exception("anonymisation of case %s failed", pk)
            continue
        done += 1
    return done


def audit_purge(*, policy: RetentionPolicy) -> int:
    """Delete the audit entries older than the policy's period, and say so in the log.

    The audit log is append-only (migration 0010): its trigger accepts a DELETE only
    when this transaction has set `relier.audit_purge` and only if every deleted row is
    older than the period read from this schema's policy row (six months at the least).
    The cut-off is computed by PostgreSQL here too, from the same clock."""
    months = policy.audit_keep_months
    with transaction.atomic(), connection.cursor() as cursor:
        # Seen by the trigger on a Citus worker too (relier_platform.tenancy.trigger_setting).
        trigger_setting("relier.audit_purge", "on")
        cursor.execute(
            "WITH gone AS (DELETE FROM tracking_auditlog "
            "WHERE at < now() - make_interval(months => %s) RETURNING 1) "
            "SELECT count(*), now() - make_interval(months => %s) FROM gone",
            [months, months])
        count, cutoff = cursor.fetchone()
        # Local to this transaction (or savepoint: a failure rolls it back with the rest);
        # switched off at once for an outer transaction that goes on.
        trigger_setting("relier.audit_purge", "off")
        if count:
            audit_record(actor=None, action="retention.audit_purge", deleted=count,
                         months=months, before=cutoff.isoformat())
    return int(count)


def retention_apply(*, now: datetime | None = None) -> RetentionRun:
    """Archive, anonymise and purge, in the active association's schema (idempotent)."""
    now = now or timezone.now()
    policy = policy_get()
    # Question Psy: the original texts (no case behind them) go after the anonymisation
    # period, counted from when they were asked.
    questions_erase_originals(before=months_before(now, policy.anonymise_after_months), now=now)
    run = RetentionRun(
        archived=cases_archive(now=now, policy=policy),
        anonymised=cases_anonymise(now=now, policy=policy),
        audit_purged=audit_purge(policy=policy),
    )
    dropin_callbacks_forget(now=now)  # drop-in bookings' callback details (90 days)
    return run


# --- What admins see and do -------------------------------------------------------------

@dataclass
class Upcoming:
    case: Case
    since: datetime  # last contact, or archiving
    due: datetime


def archive_upcoming(*, now: datetime, policy: RetentionPolicy,
                     limit: int = 200) -> list[Upcoming]:
    """Cases the nightly run archives within WARNING_DAYS (or tonight), soonest first."""
    before = months_before(now + timedelta(days=WARNING_DAYS), policy.archive_after_months)
    return [Upcoming(c, c.last_contact, months_after(c.last_contact,
                                                       policy.archive_after_months))
            for c in cases_to_archive(before=before).only("pk", "code")[:limit]]


def anonymise_upcoming(*, now: datetime, policy: RetentionPolicy,
                       limit: int = 200) -> list[Upcoming]:
    before = months_before(now + timedelta(days=WARNING_DAYS), policy.anonymise_after_months)
    rows = cases_to_anonymise(before=before).only("pk", "code", "archived_at")[:limit]
    return [Upcoming(c, c.archived_at, months_after(c.archived_at,  # type: ignore[arg-type]
                                                    policy.anonymise_after_months))
            for c in rows]


def archived_list() -> QuerySet[Case]:
    """Archived cases, latest archived first (codes and dates only are shown)."""
    return (Case.objects.filter(archived_at__isnull=False)
            .only("pk", "code", "archived_at", "anonymised_at", "opened_on", "closed_on")
            .order_by("-archived_at", "-pk"))


def retention_journal(limit: int = 50) -> QuerySet[AuditLog]:
    """The latest retention steps, for the settings page."""
    return AuditLog.objects.filter(action__startswith="retention.").order_by("-at", "-id")[
        :limit]


def access_archived_case(actor: Actor, case_id: Any) -> Case:
    """An archived case, for those who may read one (admins); 404 otherwise, alike."""
    if not actor.can(Capability.CASE_ARCHIVED_READ):
        raise Http404
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    case = (Case.objects.filter(archived_at__isnull=False, pk=pk)
            .select_related("programme", "detection_source", "closing_reason", "stage")
            .first())
    if case is None:
        raise Http404
    return case


def archived_case_read(*, actor: Actor, case: Case, ip_address: str | None) -> None:
    """Every read of an archived case is audited."""
    audit_record(actor=actor, action="case.archived_read", obj=case, ip_address=ip_address)


def case_restore(*, actor: Actor, case: Case) -> Case:
    """Bring an archived case back (the young person came back): the team sees it again
    and the retention clock starts over. Refused once the case is anonymised."""
    if not actor.can(Capability.CASE_ARCHIVED_READ):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.anonymised_at is not None:
            raise ApplicationError(
                _("Ce dossier a été anonymisé : il ne peut plus être restauré."),
                code=ErrorCode.NOT_ALLOWED)
        if locked.archived_at is None:
            return locked
        archived_at = locked.archived_at
        now = timezone.now()
        Case.objects.filter(pk=locked.pk).update(archived_at=None, updated_at=now)
        audit_record(actor=actor, action="retention.restore", obj=locked,
                     archived_at=archived_at.isoformat())
        locked.archived_at, locked.updated_at = None, now
    return locked


def case_keep(*, actor: Actor, case: Case) -> Case:
    """An admin decides a case soon to be archived is still needed: its clock starts over
    (a change of the case), and the decision is audited."""
    if actor.role != "admin":
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.archived_at is not None:
            raise ApplicationError(_("Ce dossier est déjà archivé : restaurez-le."),
                                   code=ErrorCode.CONFLICT)
        now = timezone.now()
        Case.objects.filter(pk=locked.pk).update(updated_at=now)
        audit_record(actor=actor, action="retention.keep", obj=locked)
        locked.updated_at = now
    return locked

