"""The activity figures as a member is shown them: exact, or with small counts hidden
(tenant schema; pure functions, no database).

The association's figures stay exact — they are its own data — and its staff see them so.
Its read-only role (a board member, a funder's observer) sees them the way figures leave
an association: every count from 1 to SMALL_COUNT_THRESHOLD − 1 is shown "< 11" (zeros
stay 0: there is no one to recognise), and nothing computed from a hidden count gives it
away — a total that is itself small is shown "< 11", a hidden row has no percentage and no
bar, and impact averages over fewer than 11 young people are not shown. Who sees the exact
figures is declared with the roles (Capability.FIGURES_EXACT); the views decide, the
templates and the files only show what they are given (no small count reaches them).

Not covered: subtracting exact figures from one another (the young people supported minus
the exact rows of a breakdown, when a single row is hidden) — hiding the headline figures
too would be the price (the networks' complementary suppression, tenants/networks/disclosure.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from tracking.figures.activity import AxisEvolution, Breakdown, Figures, ImpactEvolution, Period
from tracking.permissions import Actor, Capability

# Counts from 1 to SMALL_COUNT_THRESHOLD − 1 are hidden from members without
# FIGURES_EXACT. The networks' default (tenants.models.Network.small_count_threshold), and
# the strictest a network may set: one that lowered its own does not lower this one.
SMALL_COUNT_THRESHOLD = 11
HIDDEN = f"< {SMALL_COUNT_THRESHOLD}"

Shown = int | str
"""A count as displayed: the number, or HIDDEN."""


def shown_count(count: int, *, hide_small: bool) -> Shown:
    """`count`, or "< 11" when small counts are hidden and it is one (1 to 10)."""
    if hide_small and 0 < count < SMALL_COUNT_THRESHOLD:
        return HIDDEN
    return count


def hides_small_counts(actor: Actor) -> bool:
    """Whether the actor sees the figures with their small counts hidden."""
    return not actor.can(Capability.FIGURES_EXACT)


def small_counts_note() -> str:
    return _("Les effectifs de 1 à %(limit)s sont affichés « %(hidden)s » ; les parts, "
             "barres et moyennes calculées sur eux ne sont pas montrées.") % {
        "limit": SMALL_COUNT_THRESHOLD - 1, "hidden": HIDDEN}


@dataclass(frozen=True)
class ShownRow:
    key: str
    label: str
    count: Shown
    share: int | None  # percentage of the young people supported; None: not shown
    bar: int | None  # bar length, 0-100; None: not drawn


@dataclass(frozen=True)
class ShownBreakdown:
    key: str
    title: str
    column: str
    note: str
    rows: list[ShownRow]
    total: Shown


@dataclass(frozen=True)
class ShownGroups:
    sessions_held: Shown
    present: Shown
    young_people_present: Shown


@dataclass(frozen=True)
class ShownAwareness:
    sessions: Shown
    pupils: Shown
    adults: Shown
    total: Shown
    audiences: list[ShownRow]


@dataclass(frozen=True)
class ShownImpact:
    cases: Shown
    averages_hidden: bool  # fewer than SMALL_COUNT_THRESHOLD young people behind them
    axes: list[AxisEvolution]  # empty when hidden

    @property
    def note(self) -> str:
        if not self.averages_hidden:
            return ""
        return _("Moyennes non montrées : elles portent sur moins de %(threshold)s "
                 "jeunes.") % {"threshold": SMALL_COUNT_THRESHOLD}


@dataclass(frozen=True)
class ShownQuestions:
    received: Shown
    answered: Shown
    sessions_held: Shown
    by_asker: ShownBreakdown


@dataclass(frozen=True)
class ShownFigures:
    period: Period
    small_counts_hidden: bool
    new_cases: Shown
    active_cases: Shown
    cases_since_beginning: Shown
    case_breakdowns: list[ShownBreakdown]
    interactions_by_kind: ShownBreakdown
    interactions_total: Shown
    groups: ShownGroups
    awareness: ShownAwareness
    impact: ShownImpact
    employment_milestones: ShownBreakdown
    dropin_hours: ShownBreakdown
    dropin_no_shows: Shown
    questions: ShownQuestions

    @property
    def note(self) -> str:
        return small_counts_note() if self.small_counts_hidden else ""


def _percent(part: int, whole: int) -> int:
    """Rounded as the template's `widthratio` did; 0 of nothing is 0."""
    return round(part / whole * 100) if whole else 0


def _rows(rows: list[tuple[str, str, int]], *, share_of: int | None, bar_of: int,
          hide_small: bool) -> list[ShownRow]:
    """Rows with their percentage of `share_of` (if any) and their bar (in % of `bar_of`),
    neither for a hidden count nor out of a hidden whole."""
    whole = None if share_of is None else shown_count(share_of, hide_small=hide_small)
    shown = []
    for key, label, count in rows:
        value = shown_count(count, hide_small=hide_small)
        exact = isinstance(value, int)
        shown.append(ShownRow(
            key, label, value,
            share=_percent(count, whole) if exact and isinstance(whole, int) else None,
            bar=_percent(count, bar_of) if exact else None,
        ))
    return shown


def _breakdown(breakdown: Breakdown, *, share_of: int | None,
               hide_small: bool) -> ShownBreakdown:
    rows = [(row.key, row.label, row.count) for row in breakdown.rows]
    return ShownBreakdown(
        breakdown.key, breakdown.title, breakdown.column, breakdown.note,
        _rows(rows, share_of=share_of, bar_of=breakdown.largest, hide_small=hide_small),
        shown_count(breakdown.total, hide_small=hide_small),
    )


def _impact(impact: ImpactEvolution, *, hide_small: bool) -> ShownImpact:
    cases = shown_count(impact.cases, hide_small=hide_small)
    hidden = not isinstance(cases, int)
    return ShownImpact(cases, hidden, [] if hidden else impact.axes)


def figures_shown(figures: Figures, *, hide_small: bool) -> ShownFigures:
    """The figures as displayed: exact, or with every small count hidden and nothing
    derived from one that gives it away."""

    def count(n: int) -> Shown:
        return shown_count(n, hide_small=hide_small)

    groups, awareness = figures.groups, figures.awareness
    audiences = [(row.key, row.label, row.count) for row in awareness.audiences()]
    return ShownFigures(
        period=figures.period,
        small_counts_hidden=hide_small,
        new_cases=count(figures.new_cases),
        active_cases=count(figures.active_cases),
        cases_since_beginning=count(figures.cases_since_beginning),
        case_breakdowns=[_breakdown(b, share_of=figures.active_cases, hide_small=hide_small)
                         for b in figures.case_breakdowns],
        interactions_by_kind=_breakdown(figures.interactions_by_kind, share_of=None,
                                        hide_small=hide_small),
        interactions_total=count(figures.interactions_total),
        groups=ShownGroups(count(groups.sessions_held), count(groups.present),
                           count(groups.young_people_present)),
        awareness=ShownAwareness(
            count(awareness.sessions), count(awareness.pupils), count(awareness.adults),
            count(awareness.total),
            _rows(audiences, share_of=None, bar_of=awareness.total, hide_small=hide_small),
        ),
        impact=_impact(figures.impact, hide_small=hide_small),
        employment_milestones=_breakdown(figures.employment_milestones, share_of=None,
                                         hide_small=hide_small),
        dropin_hours=_breakdown(figures.dropin_hours, share_of=None, hide_small=hide_small),
        dropin_no_shows=count(figures.dropin_no_shows),
        questions=ShownQuestions(
            count(figures.questions.received), count(figures.questions.answered),
            count(figures.questions.sessions_held),
            _breakdown(figures.questions.by_asker, share_of=None, hide_small=hide_small)),
    )
