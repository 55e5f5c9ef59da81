"""The association's activity figures, per school year or calendar year (tenant schema).

What funders ask for and the annual report publishes: young people supported (new,
active, since the beginning) and their breakdowns, interactions, group attendance, people
made aware, impact evolution on the five axes. Everything is computed in SQL aggregates
(a fixed number of queries, whatever the number of cases); a `Figures` holds counts and
labels only — never a name, a case code or a note.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from django.db.models import (
    Avg,
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from tracking.dropin.selectors import dropin_counts
from tracking.employment.selectors import milestones_reached
from tracking.models import (
    AttendanceStatus,
    AwarenessSession,
    Case,
    DropinMode,
    GroupSession,
    ImpactAssessment,
    ImpactAxis,
    Interaction,
    Question,
    QuestionSession,
)
from tracking.school_year import (
    AGE_BRACKETS,
    school_year_bounds,
    school_year_label,
    school_year_of,
)

PeriodKind = Literal["school", "calendar"]
UNKNOWN = "unknown"
AGE_BRACKET_CODES = [f"{low}-{high}" for low, high in AGE_BRACKETS]
# Every bracket `school_year.age_bracket` may answer, in display order.
AGE_BRACKET_ORDER = ["under-3", *AGE_BRACKET_CODES, "over-25", UNKNOWN]


def age_bracket_label(code: str) -> str:
    if code == UNKNOWN:
        return _("Non renseigné")
    if code == "under-3":
        return _("Moins de 3 ans")
    if code == "over-25":
        return _("Plus de 25 ans")
    low, _sep, high = code.partition("-")
    return _("%(low)s à %(high)s ans") % {"low": low, "high": high}


# --- the period ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    year: int
    start: date
    end: date

    @property
    def label(self) -> str:
        if self.kind == "school":
            return _("Année scolaire %(label)s") % {"label": school_year_label(self.year)}
        return _("Année civile %(year)s") % {"year": self.year}

    @property
    def slug(self) -> str:
        """For file names: `2024-2025` or `2024`."""
        return school_year_label(self.year) if self.kind == "school" else str(self.year)

    def moments(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in the association's time zone."""
        zone = timezone.get_current_timezone()
        return (datetime.combine(self.start, time.min, tzinfo=zone),
                datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone))


def period_of(kind: PeriodKind, year: int) -> Period:
    if kind == "school":
        start, end = school_year_bounds(year)
    elif kind == "calendar":
        start, end = date(year, 1, 1), date(year, 12, 31)
    else:
        raise ValueError(kind)
    return Period(kind=kind, year=year, start=start, end=end)


def current_period(kind: PeriodKind = "school", today: date | None = None) -> Period:
    today = today or timezone.localdate()
    return period_of(kind, school_year_of(today) if kind == "school" else today.year)


def first_activity_day() -> date | None:
    """The day the earliest case was opened (bounds the years offered to choose from)."""
    first: date | None = Case.objects.aggregate(first=Min("opened_on"))["first"]
    return first


# --- what a figure looks like ------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    column: str  # heading of the label column
    rows: list[Row]
    note: str = ""

    @property
    def total(self) -> int:
        return sum(row.count for row in self.rows)

    @property
    def largest(self) -> int:
        return max((row.count for row in self.rows), default=0)


@dataclass(frozen=True)
class GroupAttendance:
    sessions_held: int
    present: int  # attendances marked present
    young_people_present: int  # distinct young people present at least once


@dataclass(frozen=True)
class Awareness:
    sessions: int
    pupils: int
    parents: int
    teachers: int
    other_professionals: int

    @property
    def adults(self) -> int:
        return self.parents + self.teachers + self.other_professionals

    @property
    def total(self) -> int:
        return self.pupils + self.adults

    def audiences(self) -> list[Row]:
        return [
            Row("pupils", _("Élèves"), self.pupils),
            Row("parents", _("Parents"), self.parents),
            Row("teachers", _("Enseignants"), self.teachers),
            Row("other_professionals", _("Autres professionnels"), self.other_professionals),
        ]


@dataclass(frozen=True)
class AxisEvolution:
    axis: str
    label: str
    first_average: float | None
    latest_average: float | None

    @property
    def change(self) -> float | None:
        if self.first_average is None or self.latest_average is None:
            return None
        return round(self.latest_average - self.first_average, 2)


@dataclass(frozen=True)
class ImpactEvolution:
    cases: int  # young people with an intake and a later assessment in the period
    axes: list[AxisEvolution]


@dataclass(frozen=True)
class QuestionPsy:
    """Question Psy: questions received (spam aside) and answered in the period, sessions
    held, and the questions received by who asks."""

    received: int
    answered: int
    sessions_held: int
    by_asker: Breakdown


@dataclass(frozen=True)
class Figures:
    period: Period
    new_cases: int
    active_cases: int
    cases_since_beginning: int
    by_age_bracket: Breakdown
    by_detection_source: Breakdown
    by_town: Breakdown
    by_department: Breakdown
    by_programme: Breakdown
    by_situation_type: Breakdown
    interactions_by_kind: Breakdown
    groups: GroupAttendance
    awareness: Awareness
    impact: ImpactEvolution
    employment_milestones: Breakdown
    dropin_hours: Breakdown  # drop-in hours held, by mode
    dropin_no_shows: int
    questions: QuestionPsy

    @property
    def case_breakdowns(self) -> list[Breakdown]:
        return [self.by_age_bracket, self.by_detection_source, self.by_programme,
                self.by_situation_type, self.by_department, self.by_town]

    @property
    def interactions_total(self) -> int:
        return self.interactions_by_kind.total


# --- the selectors -----------------------------------------------------------------------


def _active_q(period: Period) -> Q:
    """Open at some point of the period: opened by its end, not closed before its start."""
    return Q(opened_on__lte=period.end) & (
        Q(closed_on__isnull=True) | Q(closed_on__gte=period.start)
    )


def active_cases(period: Period) -> QuerySet[Case]:
    return Case.objects.filter(_active_q(period))


def _age_bracket_expression(on: date) -> SqlCase:
    """`school_year.age_bracket(birth_year, on)` as SQL (age reached in `on`'s year)."""
    whens = [When(birth_year__isnull=True, then=Value(UNKNOWN))]
    for low, high in AGE_BRACKETS:
        whens.append(When(birth_year__gte=on.year - high, birth_year__lte=on.year - low,
                          then=Value(f"{low}-{high}")))
    whens.append(When(birth_year__gt=on.year - AGE_BRACKETS[0][0], then=Value("under-3")))
    return SqlCase(*whens, default=Value("over-25"), output_field=CharField())


def _sorted_rows(pairs: Iterable[tuple[str, str, int]]) -> list[Row]:
    """Largest first; "unknown" last; ties by label."""
    rows = [Row(key, label, count) for key, label, count in pairs if count]
    return sorted(rows, key=lambda r: (r.key == UNKNOWN, -r.count, r.label.casefold()))


def _by_age_bracket(active: QuerySet[Case], period: Period) -> Breakdown:
    counts = dict(
        active.annotate(bracket=_age_bracket_expression(period.end))
        .values("bracket").annotate(n=Count("id")).order_by().values_list("bracket", "n")
    )
    rows = [Row(code, age_bracket_label(code), counts[code])
            for code in AGE_BRACKET_ORDER if counts.get(code)]
    return Breakdown(
        "age_bracket", _("Par tranche d'âge"), _("Tranche d'âge"), rows,
        note=_("Âge atteint dans l'année civile de la fin de la période."),
    )


def _by_picklist(active: QuerySet[Case], fk: str, key: str, title: str,
                 column: str) -> Breakdown:
    values = (active.values(f"{fk}_id", f"{fk}__label").annotate(n=Count("id")).order_by()
              .values_list(f"{fk}_id", f"{fk}__label", "n"))
    pairs = [(str(pk) if pk else UNKNOWN, label or _("Non renseigné"), n)
             for pk, label, n in values]
    return Breakdown(key, title, column, _sorted_rows(pairs))


def _by_text(active: QuerySet[Case], name: str, key: str, title: str, column: str) -> Breakdown:
    """Free text (town, département): spellings differing only by case or spacing count
    as one, shown as their most frequent spelling."""
    values = active.values(name).annotate(n=Count("id")).order_by().values_list(name, "n")
    spellings: dict[str, list[tuple[int, str]]] = {}
    for text, n in values:
        label = " ".join((text or "").split())
        norm = f"~{label.casefold()}" if label else UNKNOWN
        spellings.setdefault(norm, []).append((n, label))
    pairs = []
    for norm, found in spellings.items():
        label = min(found, key=lambda pair: (-pair[0], pair[1]))[1]
        pairs.append((norm, label or _("Non renseigné"), sum(n for n, _label in found)))
    return Breakdown(key, title, column, _sorted_rows(pairs))


def _by_situation_type(active: QuerySet[Case]) -> Breakdown:
    through = Case.situation_types.through
    values = (
        through.objects.filter(case__in=active.values("pk"))
        .values("picklistitem_id", "picklistitem__label")
        .annotate(n=Count("case_id", distinct=True)).order_by()
    )
    pairs = [(str(v["picklistitem_id"]), v["picklistitem__label"], v["n"]) for v in values]
    without = active.filter(situation_types__isnull=True).count()
    pairs.append((UNKNOWN, _("Non renseigné"), without))
    return Breakdown(
        "situation_type", _("Par type de situation"), _("Type de situation"),
        _sorted_rows(pairs),
        note=_("Un dossier peut compter plusieurs types de situation."),
    )


def _interactions_by_kind(period: Period) -> Breakdown:
    since, until = period.moments()
    values = (
        Interaction.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
        .values("kind_id", "kind__label").annotate(n=Count("id")).order_by()
        .values_list("kind_id", "kind__label", "n")
    )
    return Breakdown("interaction_kind", _("Échanges par type"), _("Type d'échange"),
                     _sorted_rows((str(pk), label, n) for pk, label, n in values))


def _groups(period: Period) -> GroupAttendance:
    present = Q(attendances__status=AttendanceStatus.PRESENT)
    totals = GroupSession.objects.filter(
        held_on__gte=period.start, held_on__lte=period.end
    ).aggregate(
        sessions=Count("id", distinct=True),
        present=Count("attendances", filter=present),
        young_people=Count("attendances__case", filter=present, distinct=True),
    )
    return GroupAttendance(sessions_held=totals["sessions"], present=totals["present"],
                           young_people_present=totals["young_people"])


def _awareness(period: Period) -> Awareness:
    zero = Value(0, output_field=IntegerField())
    totals = AwarenessSession.objects.filter(
        held_on__gte=period.start, held_on__lte=period.end
    ).aggregate(
        sessions=Count("id"),
        **{name: Coalesce(Sum(name), zero)
           for name in ("pupils", "parents", "teachers", "other_professionals")},
    )
    return Awareness(**totals)


def _dropin(period: Period) -> tuple[Breakdown, int]:
    held, no_shows = dropin_counts(*period.moments())
    rows = [Row(mode.value, str(mode.label), held[mode.value]) for mode in DropinMode
            if held.get(mode.value)]
    breakdown = Breakdown("dropin_mode", _("Permanences tenues, par mode"), _("Mode"), rows,
                          note=_("Avec ou sans dossier (les permanences anonymes comptent)."))
    return breakdown, no_shows
def _questions(period: Period) -> QuestionPsy:
    """Two queries: per who asks, received and answered; then the sessions held."""
    since, until = period.moments()
    rows = (Question.objects.exclude(aside_reason=Question.AsideReason.SPAM)
            .values("asker").annotate(
                received=Count("id", filter=Q(received_at__gte=since, received_at__lt=until)),
                answered=Count("id", filter=Q(answered_at__gte=since, answered_at__lt=until)))
            .order_by().values_list("asker", "received", "answered"))
    received = {asker: n for asker, n, _answered in rows}
    labels = dict(Question.Asker.choices)
    by_asker = [Row(key, capfirst(str(labels[key])), received[key])
                for key in Question.Asker.values if received.get(key)]
    held = QuestionSession.objects.filter(
        held_on__gte=period.start, held_on__lte=min(period.end, timezone.localdate()),
        questions__answered_at__isnull=False).distinct().count()
    return QuestionPsy(
        received=sum(received.values()), answered=sum(n for _a, _r, n in rows),
        sessions_held=held,
        by_asker=Breakdown("question_asker", _("Questions reçues, par personne qui demande"),
                           _("Qui demande"), by_asker),
    )


AXES = [axis.value for axis in ImpactAxis]


def _impact(period: Period, *, cases: QuerySet[Case] | None = None,
            sums: bool = False) -> ImpactEvolution:
    """Young people with an intake assessment and a later one dated in the period: the
    average of their first (intake) scores and of their latest scores up to the period's
    end, per axis. With `sums`, the sums of the scores instead of their averages (what
    pooled network averages are computed from); `cases` narrows the young people."""
    mine = ImpactAssessment.objects.filter(case=OuterRef("pk"), assessed_on__lte=period.end)
    intake = mine.filter(moment=ImpactAssessment.Moment.INTAKE).order_by("assessed_on", "id")
    latest = mine.filter(assessed_on__gte=period.start).order_by("-assessed_on", "-id")
    pairs = (
        (Case.objects.all() if cases is None else cases).annotate(
            first_id=Subquery(intake.values("id")[:1]),
            first_on=Subquery(intake.values("assessed_on")[:1]),
            latest_id=Subquery(latest.values("id")[:1]),
            latest_on=Subquery(latest.values("assessed_on")[:1]),
        )
        .filter(first_id__isnull=False, latest_id__isnull=False, latest_on__gt=F("first_on"))
    )
    averages = {name: (Sum if sums else Avg)(name) for name in AXES}
    first = ImpactAssessment.objects.filter(pk__in=pairs.values("first_id")).aggregate(
        n=Count("id"), **averages)
    last = ImpactAssessment.objects.filter(pk__in=pairs.values("latest_id")).aggregate(
        **averages)

    def rounded(value: Any) -> float | None:
        return None if value is None else round(float(value), 2)

    return ImpactEvolution(
        cases=first["n"],
        axes=[AxisEvolution(axis, str(ImpactAxis(axis).label), rounded(first[axis]),
                            rounded(last[axis])) for axis in AXES],
    )


def _employment_milestones(period: Period) -> Breakdown:
    """Young people of the employment programme reaching each milestone in the period, in
    the order of the association's list (a milestone reached twice counts once)."""
    rows = [Row(str(r["kind_id"]), r["kind__label"], r["n"])
            for r in milestones_reached(period.start, period.end)]
    return Breakdown("employment_milestone", _("Parcours vers l'emploi : étapes franchies"),
                     _("Étape"), rows)


def activity_figures(*, period_kind: PeriodKind, year: int) -> Figures:
    """The association's figures for a school year (1 September – 31 August, named by its
    first year) or a calendar year, in the association's schema, in a fixed number of
    queries (17) whatever the number of cases."""
    period = period_of(period_kind, year)
    counts = Case.objects.aggregate(
        new=Count("id", filter=Q(opened_on__gte=period.start, opened_on__lte=period.end)),
        active=Count("id", filter=_active_q(period)),
        since=Count("id", filter=Q(opened_on__lte=period.end)),
    )
    active = active_cases(period)
    dropin_hours, dropin_no_shows = _dropin(period)
    return Figures(
        period=period,
        new_cases=counts["new"],
        active_cases=counts["active"],
        cases_since_beginning=counts["since"],
        by_age_bracket=_by_age_bracket(active, period),
        by_detection_source=_by_picklist(
            active, "detection_source", "detection_source", _("Par source de détection"),
            _("Source de détection")),
        by_town=_by_text(active, "town", "town", _("Par commune"), _("Commune")),
        by_department=_by_text(active, "department", "department", _("Par département"),
                               _("Département")),
        by_programme=_by_picklist(active, "programme", "programme", _("Par programme"),
                                  _("Programme")),
        by_situation_type=_by_situation_type(active),
        interactions_by_kind=_interactions_by_kind(period),
        groups=_groups(period),
        awareness=_awareness(period),
        impact=_impact(period),
        employment_milestones=_employment_milestones(period),
        dropin_hours=dropin_hours,
        dropin_no_shows=dropin_no_shows,
        questions=_questions(period),
    )
