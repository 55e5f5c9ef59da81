"""The association's contribution to network indicators, computed in its own schema
(tenant schema). Only counts by network code leave this module: no name, case code,
date of a person, free text or identifier (tenants/networks/indicators.py fixes the categories).

Young people whose consent in force (their latest consent) refuses network statistics
are left out of every count — their interactions and attendances with them. A young
person with no consent recorded is counted: the figures are anonymised aggregates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractMonth, ExtractYear

from tenants.networks import indicators as cat
from tracking.figures.activity import Period, _age_bracket_expression, _impact, period_of
from tracking.models import (
    AttendanceStatus,
    AwarenessSession,
    Case,
    Consent,
    DropinBooking,
    EmploymentMilestone,
    GroupSession,
    Interaction,
    PicklistItem,
    Question,
)
from tracking.school_year import age_bracket


@dataclass(frozen=True)
class Contribution:
    indicator: str
    period: str  # school year label, "2025-2026"
    row: str
    column: str
    value: int


def excluded_cases() -> QuerySet[Case]:
    """Cases whose latest consent refuses network statistics."""
    latest = Consent.objects.filter(case=OuterRef("pk")).order_by("-given_on", "-id")
    return Case.objects.annotate(
        shares=Subquery(latest.values("network_statistics")[:1])
    ).filter(shares=False)


def counted_cases() -> QuerySet[Case]:
    return Case.objects.exclude(pk__in=excluded_cases().values("pk"))


class _Codes:
    """Picklist item id → network code (or 'unmapped'), read once per run."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        for pk, kind, code in PicklistItem.objects.values_list("id", "kind", "network_code"):
            known = set(cat.DIMENSIONS[kind].codes(0)) if kind in cat.DIMENSIONS else set()
            self.by_id[pk] = code if code and code in known else cat.UNMAPPED

    def __call__(self, pk: int | None) -> str:
        return cat.UNKNOWN if pk is None else self.by_id.get(pk, cat.UNMAPPED)


def _month(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


class _Collector:
    def __init__(self, period: str) -> None:
        self.period = period
        self.counts: Counter[tuple[str, str, str]] = Counter()

    def add(self, indicator: str, row: str, column: str, value: int) -> None:
        if value:
            self.counts[(indicator, row, column)] += value

    def result(self) -> list[Contribution]:
        return [Contribution(indicator, self.period, row, column, value)
                for (indicator, row, column), value in sorted(self.counts.items())]


def _age_day(period: Period) -> date:
    """Ages are those reached in the school year's last calendar year, whatever the
    cut-off day: a young person does not change bracket from one publication to the next."""
    return period_of("school", period.year).end


def _case_dimensions(qs: QuerySet[Case], period: Period) -> QuerySet[Case]:
    return qs.annotate(bracket=_age_bracket_expression(_age_day(period)))


CASE_FIELDS = {"age_bracket": "bracket", "gender": "gender",
               "detection_source": "detection_source_id", "programme": "programme_id",
               "department": "department"}


def _case_value(dimension: str, value: object, codes: _Codes) -> str:
    if dimension in ("detection_source", "programme"):
        return codes(value)  # type: ignore[arg-type]
    if dimension == "department":
        return cat.department_of(str(value or ""))
    if dimension == "gender":
        return str(value) if value else cat.UNKNOWN
    return str(value)


def _new_cases(out: _Collector, cases: QuerySet[Case], period: Period, codes: _Codes) -> None:
    new = _case_dimensions(cases.filter(opened_on__gte=period.start,
                                        opened_on__lte=period.end), period)
    rows = new.annotate(y=ExtractYear("opened_on"), m=ExtractMonth("opened_on")).values(
        "y", "m", *CASE_FIELDS.values()).annotate(n=Count("id")).order_by()
    for row in rows:
        month = _month(row["y"], row["m"])
        for dim, name in CASE_FIELDS.items():
            out.add(f"new_by_{dim}", _case_value(dim, row[name], codes), month, row["n"])


def _active_cases(out: _Collector, cases: QuerySet[Case], period: Period,
                  codes: _Codes) -> QuerySet[Case]:
    active = _case_dimensions(cases.filter(
        Q(opened_on__lte=period.end) & (Q(closed_on__isnull=True)
                                        | Q(closed_on__gte=period.start))), period)
    rows = active.values(*CASE_FIELDS.values()).annotate(n=Count("id")).order_by()
    for row in rows:
        gender = _case_value("gender", row["gender"], codes)
        for dim, name in CASE_FIELDS.items():
            if dim != "gender":
                out.add(f"active_by_{dim}", _case_value(dim, row[name], codes), gender,
                        row["n"])
    through = Case.situation_types.through
    mentions = (through.objects.filter(case__in=active.values("pk"))
                .values("picklistitem_id", "case__birth_year", "case__department")
                .annotate(n=Count("case_id")).order_by())
    for row in mentions:
        situation = codes(row["picklistitem_id"])
        bracket = age_bracket(row["case__birth_year"], _age_day(period))
        out.add("situation_by_age_bracket", bracket, situation, row["n"])
        out.add("situation_by_department", cat.department_of(row["case__department"] or ""),
                situation, row["n"])
    return active


def _interactions(out: _Collector, period: Period, codes: _Codes) -> None:
    since, until = period.moments()
    excluded = excluded_cases().filter(interactions=OuterRef("pk"))
    rows = (Interaction.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
            .exclude(Exists(excluded))
            .annotate(y=ExtractYear("occurred_at"), m=ExtractMonth("occurred_at"))
            .values("y", "m", "kind_id").annotate(n=Count("id")).order_by())
    for row in rows:
        out.add("interactions_by_kind", codes(row["kind_id"]), _month(row["y"], row["m"]),
                row["n"])


def _groups(out: _Collector, period: Period) -> None:
    sessions = (GroupSession.objects.filter(held_on__gte=period.start, held_on__lte=period.end)
                .annotate(y=ExtractYear("held_on"), m=ExtractMonth("held_on")))
    present = Q(attendances__status=AttendanceStatus.PRESENT) & ~Q(
        attendances__case__in=excluded_cases().values("pk"))
    for row in sessions.values("y", "m").annotate(
            n=Count("id", distinct=True), p=Count("attendances", filter=present)).order_by():
        month = _month(row["y"], row["m"])
        out.add("group_sessions", cat.ALL, month, row["n"])
        out.add("group_attendance", cat.ALL, month, row["p"])


def _awareness(out: _Collector, period: Period) -> None:
    rows = (AwarenessSession.objects.filter(held_on__gte=period.start, held_on__lte=period.end)
            .annotate(y=ExtractYear("held_on"), m=ExtractMonth("held_on"))
            .values("y", "m").annotate(**{a: Sum(a) for a in cat.AUDIENCE_LABELS}).order_by())
    for row in rows:
        sums: dict[str, Any] = dict(row)
        for audience in cat.AUDIENCE_LABELS:
            out.add("awareness_by_audience", audience, _month(sums["y"], sums["m"]),
                    sums[audience] or 0)


def _questions(out: _Collector, period: Period) -> None:
    """Question Psy: questions received (spam aside) by who asks and month. Anonymous,
    no case behind them: no consent to honour."""
    since, until = period.moments()
    rows = (Question.objects.filter(received_at__gte=since, received_at__lt=until)
            .exclude(aside_reason=Question.AsideReason.SPAM)
            .annotate(y=ExtractYear("received_at"), m=ExtractMonth("received_at"))
            .values("y", "m", "asker").annotate(n=Count("id")).order_by())
    for row in rows:
        asker = row["asker"] if row["asker"] in cat.ASKER_LABELS else cat.UNKNOWN
        out.add("questions_psy", asker, _month(row["y"], row["m"]), row["n"])


def _referral_delays(out: _Collector, cases: QuerySet[Case], period: Period) -> None:
    first_contact = (Interaction.objects.filter(cases=OuterRef("pk"))
                     .order_by("occurred_at").values("occurred_at")[:1])
    rows = (cases.filter(opened_on__gte=period.start, opened_on__lte=period.end)
            .annotate(first=Subquery(first_contact), received=F("referral__received_at"))
            .filter(first__isnull=False).values_list("opened_on", "received", "first"))
    delays: Counter[int] = Counter()
    for opened_on, received, first in rows:
        start = received.date() if received and received.date() < opened_on else opened_on
        delays[max(0, min((first.date() - start).days, cat.REFERRAL_DELAY_CAP))] += 1
    for days, n in delays.items():
        out.add(cat.REFERRAL_DELAY_DAYS, str(days), cat.ALL, n)
        out.add("referral_delay", cat.delay_bucket(days), cat.ALL, n)


def _impact_sums(out: _Collector, cases: QuerySet[Case], period: Period) -> None:
    evolution = _impact(period, cases=cases, sums=True)
    out.add("impact_assessed", cat.ALL, cat.ALL, evolution.cases)
    for axis in evolution.axes:
        out.add(cat.IMPACT_SUMS, axis.axis, "first", int(axis.first_average or 0))
        out.add(cat.IMPACT_SUMS, axis.axis, "latest", int(axis.latest_average or 0))


def _employment_milestones(out: _Collector, cases: QuerySet[Case], period: Period,
                           codes: _Codes) -> None:
    """Young people reaching each milestone of the employment programme, by gender."""
    rows = (EmploymentMilestone.objects.filter(
        case__in=cases.values("pk"), reached_on__gte=period.start, reached_on__lte=period.end)
        .values("kind_id", "case__gender").annotate(n=Count("case_id", distinct=True))
        .order_by())
    for row in rows:
        out.add("employment_milestones", codes(row["kind_id"]),
                _case_value("gender", row["case__gender"], codes), row["n"])
def _dropin(out: _Collector, period: Period) -> None:
    """Drop-in hours held (by mode) and no-shows, by month; anonymous ones count, those of
    a young person refusing network statistics do not."""
    since, until = period.moments()
    rows = (DropinBooking.objects.filter(starts_at__gte=since, starts_at__lt=until,
                                         status__in=["held", "no_show"])
            .exclude(case__in=excluded_cases().values("pk"))
            .annotate(y=ExtractYear("starts_at"), m=ExtractMonth("starts_at"))
            .values("y", "m", "status", "mode").annotate(n=Count("id")).order_by())
    for row in rows:
        code = row["mode"] if row["status"] == "held" else "no_show"
        out.add("dropin_hours", code, _month(row["y"], row["m"]), row["n"])


def contributions(school_year: int, until: date | None = None) -> list[Contribution]:
    """Every non-zero cell of the association's contribution for one school year, counted
    up to `until` (the publication's cut-off day: the end of the last month that is over)
    when it falls inside the school year."""
    period = period_of("school", school_year)
    out = _Collector(f"{school_year}-{school_year + 1}")
    if until is not None and until < period.end:
        out.add(cat.DATA_UNTIL, until.isoformat(), cat.ALL, 1)
        if until < period.start:
            return out.result()  # no month of it is over yet
        period = replace(period, end=until)
    codes = _Codes()
    cases = counted_cases()
    _new_cases(out, cases, period, codes)
    _active_cases(out, cases, period, codes)
    _interactions(out, period, codes)
    _groups(out, period)
    _awareness(out, period)
    _questions(out, period)
    _referral_delays(out, cases, period)
    _impact_sums(out, cases, period)
    _employment_milestones(out, cases, period, codes)
    _dropin(out, period)
    return out.result()


def contributions_for(school_years: Iterable[int],
                      until: date | None = None) -> list[Contribution]:
    return [c for year in school_years for c in contributions(year, until)]
