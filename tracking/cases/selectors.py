"""Reads of cases (tenant schema): the case list with its filters, access to one case, a
case's timeline and impact. Every read of people's data goes through a function of a
room's selectors that applies the actor's permissions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Now
from django.http import Http404
from django.utils import timezone

from tracking.models import (
    Attendance,
    Case,
    CaseEvent,
    CustomFieldKind,
    CustomFieldTarget,
    GroupSession,
    ImpactAssessment,
    Interaction,
)
from tracking.permissions import Actor, Capability, case_editable_q, case_visible_q
from tracking.school_year import AGE_BRACKETS

SORTS = {
    "recent": ("-opened_on", "-id"),
    "oldest": ("opened_on", "id"),
    "code": ("code",),
    "town": ("town", "code"),
}


@dataclass
class CaseFilters:
    q: str = ""
    status: str = "open"  # open, closed, all
    mine: bool = False
    programme: int | None = None
    detection_source: int | None = None
    partner: int | None = None
    age_bracket: str = ""
    opened_from: date | None = None
    opened_to: date | None = None
    sort: str = "recent"
    stage: int | None = None
    overdue: bool = False
    # Custom field filters from the query string: cf_<key>, cf_<key>_min, cf_<key>_max.
    custom: dict[str, str] = field(default_factory=dict)


def case_list(*, actor: Actor, filters: CaseFilters) -> QuerySet[Case]:
    qs = Case.objects.filter(case_visible_q(actor))
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(code__icontains=term) | Q(town__icontains=term))
    if filters.status == "open":
        qs = qs.filter(closed_on__isnull=True)
    elif filters.status == "closed":
        qs = qs.filter(closed_on__isnull=False)
    if filters.mine:
        qs = qs.filter(pk__in=Case.assigned_staff.through.objects.filter(
            user_id=actor.id).values("case_id"))
    equal = {"programme_id": filters.programme, "stage_id": filters.stage,
             "detection_source_id": filters.detection_source,
             "referring_partner_id": filters.partner}
    qs = qs.filter(**{field: value for field, value in equal.items() if value})
    if filters.age_bracket:
        bounds = {f"{low}-{high}": (low, high) for low, high in AGE_BRACKETS}
        if filters.age_bracket in bounds:
            low, high = bounds[filters.age_bracket]
            year = timezone.localdate().year
            qs = qs.filter(birth_year__gte=year - high, birth_year__lte=year - low)
    if filters.overdue:
        qs = qs.filter(overdue_q())
    if filters.opened_from:
        qs = qs.filter(opened_on__gte=filters.opened_from)
    if filters.opened_to:
        qs = qs.filter(opened_on__lte=filters.opened_to)
    if filters.custom:
        qs = _custom_filtered(qs, filters.custom)
    return (
        qs.select_related("programme", "detection_source", "referring_partner", "stage")
        .annotate(overdue=ExpressionWrapper(overdue_q(), output_field=BooleanField()))
        .order_by(*SORTS.get(filters.sort, SORTS["recent"]))
    )


def case_list_rows(cases: QuerySet[Case]) -> QuerySet[Any]:
    """What one row of the case list shows, for cases of `case_list`: plain named tuples
    (pk, code, opening and closing dates, town, department, the labels of the programme,
    the detection source and the stage, whether it is overdue) read in the same query, not
    Case objects — no first name decrypted, no custom fields decoded, no related objects
    built for a page that shows none of them (bench/RESULTS.md, "3. Request path")."""
    return cases.annotate(
        programme_label=F("programme__label"), source_label=F("detection_source__label"),
        stage_name=F("stage__name"),
    ).values_list("pk", "code", "opened_on", "closed_on", "town", "department",
                  "programme_label", "source_label", "stage_name", "overdue", named=True)


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number) < Decimal("1e12") else None


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _custom_filtered(qs: QuerySet[Case], params: dict[str, str]) -> QuerySet[Case]:
    """Filters on the active custom fields of cases. Choices and yes/no use the GIN index
    on `custom` (jsonb @>); text is a case-insensitive search; numbers and dates, bounds.
    Values that do not parse are ignored, as for the other filters."""
    from tracking.fields.services import PREFIX, field_list

    for each in field_list(CustomFieldTarget.CASE):
        name = PREFIX + each.key
        value = params.get(name, "").strip()
        kind = each.kind
        if kind == CustomFieldKind.CHOICE and value:
            qs = qs.filter(custom__contains={each.key: value})
        elif kind == CustomFieldKind.MULTIPLE_CHOICE and value:
            qs = qs.filter(custom__contains={each.key: [value]})
        elif kind == CustomFieldKind.YES_NO and value in ("yes", "no"):
            qs = qs.filter(custom__contains={each.key: value == "yes"})
        elif kind in (CustomFieldKind.TEXT, CustomFieldKind.LONG_TEXT) and value:
            alias = f"cf_{each.pk}"
            qs = qs.alias(**{alias: KeyTextTransform(each.key, "custom")}).filter(
                **{f"{alias}__icontains": value})
        elif kind in (CustomFieldKind.NUMBER, CustomFieldKind.DATE):
            parse: Any = _decimal if kind == CustomFieldKind.NUMBER else _day
            output: Any = (DecimalField(max_digits=16, decimal_places=2)
                           if kind == CustomFieldKind.NUMBER else DateField())
            low = parse(params.get(name + "_min", "")) if params.get(name + "_min") else None
            high = parse(params.get(name + "_max", "")) if params.get(name + "_max") else None
            if low is None and high is None:
                continue
            alias = f"cf_{each.pk}"
            qs = qs.alias(**{alias: Cast(KeyTextTransform(each.key, "custom"), output)})
            if low is not None:
                qs = qs.filter(**{f"{alias}__gte": low})
            if high is not None:
                qs = qs.filter(**{f"{alias}__lte": high})
    return qs


def overdue_q() -> Q:
    """Cases past their stage's time limit (open stages with a limit only; an archived case
    is nobody's to-do, so reminders skip it)."""
    limit = ExpressionWrapper(F("stage__time_limit_hours") * timedelta(hours=1),
                              output_field=DurationField())
    return Q(archived_at__isnull=True, stage__is_open=True, stage__time_limit_hours__isnull=False,
             stage_entered_at__lt=ExpressionWrapper(Now() - limit,
                                                    output_field=DateTimeField()))


def access_case(actor: Actor, case_id: Any, *, for_edit: bool = False) -> Case:
    """The case, if it exists and the actor may see (or edit) it; 404 otherwise, alike."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise Http404 from None
    q = case_editable_q(actor) if for_edit else case_visible_q(actor)
    case = (
        Case.objects.filter(q, pk=pk)
        .select_related("programme", "detection_source", "referring_partner", "closing_reason",
                        "stage")
        .prefetch_related("situation_types", "assigned_staff")
        .first()
    )
    if case is None:
        raise Http404
    return case


def case_can_edit(actor: Actor, case: Case) -> bool:
    if actor.can(Capability.CASE_EDIT_ALL):
        # case_editable_q is then "not archived": read on the case, no query.
        return case.archived_at is None
    return Case.objects.filter(case_editable_q(actor), pk=case.pk).exists()


def case_is_overdue(case: Case) -> bool:
    """overdue_q for one case whose stage is loaded (access_case), without a query."""
    stage = case.stage
    if (case.archived_at is not None or stage is None or not stage.is_open
            or stage.time_limit_hours is None or case.stage_entered_at is None):
        return False
    return case.stage_entered_at < timezone.now() - timedelta(hours=stage.time_limit_hours)


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # interaction, attendance, event, assessment
    obj: Any


# Entries of the case page's timeline per page: a case followed for years has thousands of
# exchanges; the page shows the latest ones and links to older pages (bench/RESULTS.md, 3).
TIMELINE_PAGE_SIZE = 50


def _timeline_keys(case_id: int, *, limit: int, offset: int) -> list[tuple[datetime, int, int]]:
    """(date, kind, id) of the timeline's entries `offset` to `offset + limit`, newest first;
    on the same instant by kind (0 exchange, 1 attendance, 2 event, 3 assessment), then the
    latest recorded first. Group sessions and assessments have a day: noon in the current
    time zone. One statement over the case's own rows, sorted and cut by PostgreSQL: a case
    with 2,000 exchanges sends 51 keys, not 2,000 (bench/RESULTS.md, "7. Issue #21")."""
    through = Interaction.cases.through._meta.db_table
    # Table names from the models, values as parameters.
    sql = f"""
        SELECT at, kind, id FROM (
            SELECT i.occurred_at AS at, 0 AS kind, i.id
            FROM {through} ic JOIN {Interaction._meta.db_table} i ON i.id = ic.interaction_id
            WHERE ic.case_id = %(case)s
            UNION ALL
            SELECT (s.held_on + time '12:00') AT TIME ZONE %(tz)s, 1, a.id
            FROM {Attendance._meta.db_table} a
            JOIN {GroupSession._meta.db_table} s ON s.id = a.session_id
            WHERE a.case_id = %(case)s
            UNION ALL
            SELECT e.at, 2, e.id FROM {CaseEvent._meta.db_table} e WHERE e.case_id = %(case)s
            UNION ALL
            SELECT (m.assessed_on + time '12:00') AT TIME ZONE %(tz)s, 3, m.id
            FROM {ImpactAssessment._meta.db_table} m WHERE m.case_id = %(case)s
        ) keys ORDER BY at DESC, kind, id DESC LIMIT %(limit)s OFFSET %(offset)s"""  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, {"case": case_id, "tz": timezone.get_current_timezone_name(),
                             "limit": limit, "offset": offset})
        return [(at, kind, pk) for at, kind, pk in cursor.fetchall()]


def case_timeline(*, actor: Actor, case: Case, limit: int = TIMELINE_PAGE_SIZE,
                  offset: int = 0) -> list[TimelineEntry]:
    """Everything about a case, newest first: `limit` entries after the `offset` newest.
    Clinical notes are not loaded unless the actor may read them.

    Two steps: the (date, kind, id) of the page's entries, chosen among the case's own rows
    (their index on case_id) and sorted by PostgreSQL (_timeline_keys); then only the
    page's rows. Asking PostgreSQL for "the case's 50 latest exchanges" instead let it walk
    the index on the date of *every* exchange of the association until 50 of this case
    turned up: 2.6 s for a case closed months ago among 500,000 exchanges
    (bench/RESULTS.md, "3. Request path")."""
    page = _timeline_keys(case.pk, limit=limit, offset=offset)
    wanted: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
    for _at, kind, pk in page:
        wanted[kind].append(pk)
    interactions = Interaction.objects.select_related("kind", "staff", "partner")
    if not actor.can(Capability.CLINICAL):
        interactions = interactions.defer("clinical_note")
    loaded: dict[int, dict[Any, Any]] = {
        0: interactions.in_bulk(wanted[0]) if wanted[0] else {},
        1: Attendance.objects.select_related("session__group").in_bulk(wanted[1])
        if wanted[1] else {},
        2: CaseEvent.objects.select_related("actor").in_bulk(wanted[2]) if wanted[2] else {},
        3: ImpactAssessment.objects.in_bulk(wanted[3]) if wanted[3] else {},
    }
    names = ("interaction", "attendance", "event", "assessment")
    return [TimelineEntry(at, names[kind], loaded[kind][pk]) for at, kind, pk in page]


def impact_evolution(case: Case) -> list[ImpactAssessment]:
    return list(ImpactAssessment.objects.filter(case=case).order_by("assessed_on", "id"))
