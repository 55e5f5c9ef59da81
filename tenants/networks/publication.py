"""Publication of network indicators. Schema: public.

1. Each association's contribution is computed in its own schema
   (tenants.networks.contribution, run by tenants.networks.tasks.association_contribute_task) and
   stored
   here as aggregate cells on network codes (`contributions_replace`).
2. A network's publication (`network_publish`) pools the contributions of the associations
   that share with it *now* (network_members: one that withdrew is left out at once), runs
   disclosure control on every table of the catalogue, and replaces the network's
   published cells and statistics in one transaction. Only those are ever shown.

Both steps are idempotent: run twice, they write the same rows.
"""

from __future__ import annotations

import logging
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tenants.models import (
    Association,
    ContributionRun,
    IndicatorContribution,
    Network,
    NetworkMembership,
    NetworkPublication,
    PublishedCell,
    PublishedStatistic,
)
from tenants.networks import disclosure_audit
from tenants.networks import indicators as cat
from tenants.networks.disclosure import (
    SECONDARY,
    TOTAL,
    Key,
    Published,
    Reason,
    Rules,
    Table,
    counts,
    protect,
    protect_family,
)
from tenants.networks.disclosure_audit import (
    AuditResult,
    CellKey,
    Finding,
    Release,
    Shown,
    small_differences,
)
from tenants.networks.services import (
    min_contributors_for,
    network_members,
    network_overlap,
    network_rules,
)
from tenants.tenancy.services import audit
from tracking.school_year import school_year_label, school_year_of

log = logging.getLogger(__name__)

YEARS_PUBLISHED = 3  # the current school year and the two before it
EMPTY = "empty"  # a statistic with nobody behind it


def published_school_years(today: date | None = None) -> list[int]:
    current = school_year_of(today or timezone.localdate())
    return list(range(current - YEARS_PUBLISHED + 1, current + 1))


def period_label(school_year: int) -> str:
    return school_year_label(school_year)


def shares_with_a_network(association: Association) -> bool:
    """A closing association shares nothing: its contribution is cleared (offboarding)."""
    if association.state != Association.State.ACTIVE:
        return False
    return NetworkMembership.objects.filter(association=association,
                                            withdrawn_at__isnull=True).exists()


def contribution_run_start(association: Association) -> ContributionRun:
    return ContributionRun.objects.create(association=association)


def contribution_run_fail(run: ContributionRun, error: str) -> None:
    run.status, run.finished_at, run.error = ContributionRun.Status.FAILED, timezone.now(), \
        error[:200]
    run.save(update_fields=["status", "finished_at", "error"])


def contributions_replace(*, run: ContributionRun, periods: Iterable[str],
                          cells: Iterable[tuple[str, str, str, str, int]]) -> int:
    """Replace the association's cells of these periods by `cells` (indicator, period,
    row, column, value), in one transaction. Refuses anything outside the catalogue."""
    periods = list(periods)
    rows = []
    for indicator, period, row, column, value in cells:
        if period not in periods:
            raise ValueError(f"period {period} not being published")
        if indicator not in cat.BY_KEY and indicator not in cat.RAW_ONLY:
            raise ValueError(f"unknown indicator {indicator}")
        rows.append(IndicatorContribution(association_id=run.association_id,
                                          indicator=indicator, period=period, row=row,
                                          column=column, value=value))
    with transaction.atomic():
        IndicatorContribution.objects.filter(association_id=run.association_id,
                                             period__in=periods).delete()
        IndicatorContribution.objects.bulk_create(rows, batch_size=2000)
        run.status, run.finished_at, run.cells = ContributionRun.Status.DONE, timezone.now(), \
            len(rows)
        run.save(update_fields=["status", "finished_at", "cells"])
    return len(rows)


def contributions_clear(*, run: ContributionRun) -> int:
    """An association that shares with no network keeps nothing in the public schema."""
    with transaction.atomic():
        removed, _detail = IndicatorContribution.objects.filter(
            association_id=run.association_id).delete()
        run.status, run.finished_at = ContributionRun.Status.SKIPPED, timezone.now()
        run.save(update_fields=["status", "finished_at"])
        if removed:
            audit("network.contributions_cleared", actor=None,
                  association=run.association, cells=removed)
    return removed


# --- pooling --------------------------------------------------------------------------


Contributions = dict[tuple[str, str], dict[tuple[str, str], dict[str, int]]]


def _load(associations: list[int], periods: list[str]) -> Contributions:
    """(indicator, period) → (row, column) → association → value."""
    pooled: Contributions = defaultdict(lambda: defaultdict(dict))
    rows = IndicatorContribution.objects.filter(
        association_id__in=associations, period__in=periods
    ).values_list("indicator", "period", "row", "column", "association_id", "value")
    for indicator, period, row, column, association, value in rows.iterator(chunk_size=5000):
        pooled[(indicator, period)][(row, column)][str(association)] = value
    return pooled


def data_cutoff(today: date) -> date:
    """The last day the figures count: the end of the last month that is over. The
    current month is published once it has ended, so that publications of one month
    differ only by late records (no day-by-day differences to subtract)."""
    return today.replace(day=1) - timedelta(days=1)


def started_months(school_year: int, cutoff: date) -> list[str]:
    """The months of the school year up to the cut-off day; the others are not published."""
    return [code for code in cat.month_codes(school_year)
            if date(int(code[:4]), int(code[5:]), 1) <= cutoff]


def _table(indicator: cat.Indicator, school_year: int,
           cells: dict[tuple[str, str], dict[str, int]], months: list[str]) -> Table:
    rows, columns = indicator.row_codes(school_year), indicator.column_codes(school_year)
    if indicator.columns == "month":
        columns = [c for c in columns if c in months]
    known = set(rows), set(columns)
    contributions = {key: by for key, by in cells.items()
                     if key[0] in known[0] and key[1] in known[1]}
    return Table(rows=rows, columns=columns, contributions=contributions)


def cell_seal(network: Network, period: str, key: CellKey, value: int) -> str:
    """A keyed fingerprint of a cell's true value: tells the next publication whether a
    hidden value changed, without keeping the value."""
    indicator, row, column = key
    return salted_hmac("relier.disclosure.seal",
                       f"{network.pk}|{period}|{indicator}|{row}|{column}|{value}"
                       ).hexdigest()[:16]


@dataclass
class YearResult:
    published: dict[str, Published]
    release: Release
    audit: AuditResult
    rounds: int
    seconds: float
    cutoff: date
    not_started: list[str]


MAX_ROUNDS = 60


def _release(published: dict[str, Published], *,
             rules: Rules, not_started: list[str], truth: dict[CellKey, int],
             seals: dict[CellKey, str], blurred: set[CellKey], revealed: set[CellKey],
             previous: Release | None) -> Release:
    cells: dict[CellKey, Shown] = {}
    for indicator, result in published.items():
        for (row, column), cell in result.cells.items():
            reason = str(cell.reason or "")
            if (indicator, row, column) in revealed:
                # a complement the solver pins anyway (a known zero): hiding it protects
                # nothing, so it is shown
                cells[(indicator, row, column)] = Shown(truth[(indicator, row, column)])
                continue
            if reason == Reason.SMALL and (indicator, row, column) in blurred:
                reason = Reason.AUDIT  # shown as any hidden cell: no "at least 1" told
            cells[(indicator, row, column)] = Shown(cell.value, reason)
        if cat.BY_KEY[indicator].columns == "month":
            for month in not_started:
                for row in [*result.rows, TOTAL]:
                    cells[(indicator, row, month)] = Shown(None, Reason.NOT_STARTED)
    if previous is not None:
        # A value hidden before and still the same keeps the note it had: a new note
        # ("< 11" after "masqué", or the reverse) would tell more than either.
        for key, shown in cells.items():
            before = previous.cells.get(key)
            if shown.value is None and before is not None and before.value is None \
                    and Reason.NOT_STARTED not in (before.reason, shown.reason) \
                    and before.reason != shown.reason and previous.seals.get(key) == seals[key]:
                cells[key] = Shown(None, before.reason)
    return Release(cells=cells, threshold=rules.threshold, round_to=rules.round_to,
                   truth=truth, seals=seals)


def _truth(tables: dict[str, Table], not_started: list[str]) -> dict[CellKey, int]:
    """Every cell's true count, margins included; months not over count 0."""
    truth: dict[CellKey, int] = {}
    for indicator, table in tables.items():
        truth |= {(indicator, *key): value for key, value in counts(table).items()}
        if cat.BY_KEY[indicator].columns == "month":
            for month in not_started:
                for row in [*table.rows, TOTAL]:
                    truth[(indicator, row, month)] = 0
    return truth


def _protect_all(tables: dict[str, Table], rules: dict[str, Rules],
                 forced: dict[str, dict[Key, Reason]]) -> dict[str, Published]:
    published: dict[str, Published] = {}
    for members in cat.FAMILIES.values():
        published |= protect_family({i.key: tables[i.key] for i in members},
                                    {i.key: rules[i.key] for i in members}, forced)
    for ind in cat.CATALOGUE:
        if not ind.family:
            published[ind.key] = protect(tables[ind.key], rules[ind.key],
                                         forced.get(ind.key, {}))
    return published


def _force(forced: dict[str, dict[Key, Reason]], key: CellKey, reason: Reason) -> None:
    """Hide a cell; a family's shared margin is hidden in every table of the family."""
    indicator, row, column = key
    definition = cat.BY_KEY[indicator]
    targets = [indicator]
    if definition.family and row == TOTAL:
        targets = [i.key for i in cat.FAMILIES[definition.family]]
    for target in targets:
        forced.setdefault(target, {}).setdefault((row, column), reason)


def _with_siblings(keys: set[CellKey]) -> set[CellKey]:
    """`keys` and, for a family's shared margin, the same margin in every table of the
    family (one value: shown in one table, it is shown in all)."""
    out = set(keys)
    for indicator, row, column in keys:
        definition = cat.BY_KEY[indicator]
        if definition.family and row == TOTAL:
            out |= {(i.key, row, column) for i in cat.FAMILIES[definition.family]}
    return out


def _zero_line(result: Published, row: str, column: str) -> bool:
    """A cell whose row or column is published as 0: a known zero, no protection."""
    for margin in ((row, TOTAL), (TOTAL, column)):
        if TOTAL in (row, column) and margin == (row, column):
            continue
        cell = result.cells.get(margin)
        if cell is not None and cell.value == 0:
            return True
    return False


def _more_suppression(failing: list[Finding], release: Release,
                      published: dict[str, Published],
                      public: set[CellKey]) -> tuple[list[CellKey], set[CellKey]]:
    """For each cell the solver narrows too much: first, its line's "< N" notes become
    plain "hidden" (a row of small counts tells that its total is at least their number);
    else the cheapest shown cell of its row and of its column (fewest people; a margin
    only when nothing else will do). At most one change per line in one round."""
    chosen: list[CellKey] = []
    blur: set[CellKey] = set()
    truth = release.truth or {}
    touched: set[tuple[str, str, str]] = set()
    for finding in failing:
        for indicator, row, column in finding.keys:
            result = published[indicator]
            lines = {("r", indicator, row), ("c", indicator, column)}
            if lines & touched:
                continue
            touched |= lines
            rows, columns = [*result.rows, TOTAL], [*result.columns, TOTAL]
            line_keys = [(indicator, row, c) for c in columns] + \
                [(indicator, r, column) for r in rows if r != row]
            small = {k for k in line_keys if release.cells[k].reason == Reason.SMALL}
            if small:
                blur |= small
                continue
            for line in ([(row, c) for c in columns if c != column],
                         [(r, column) for r in rows if r != row]):
                options = [
                    (truth[(indicator, *key)] + (10**6 if TOTAL in key else 0), key)
                    for key in line
                    if result.cells[key].value is not None and not _zero_line(result, *key)
                    and (indicator, *key) not in public]  # shown before: no protection
                if options:
                    chosen.append((indicator, *min(options)[1]))
    return chosen, blur


def _revealable(key: CellKey, published: dict[str, Published], release: Release) -> bool:
    """A hidden cell that may be shown when the solver pins it anyway: a complement, never
    a cell hidden for itself (a small count, even one shown as plain "masqué"; too few
    contributors; one whose change between two publications must stay hidden)."""
    indicator, row, column = key
    own = published[indicator].cells[(row, column)].reason
    return own in SECONDARY - {Reason.DIFFERENCE, Reason.WHOLE_GROUP} \
        and release.cells[key].reason in SECONDARY - {Reason.DIFFERENCE}


def _moved(network: Network, period: str, truth: Mapping[CellKey, int], *,
           seals: Mapping[CellKey, str], previous: Release | None,
           rules: Mapping[str, Rules]) -> dict[CellKey, int]:
    """The cells whose true value moved by a small count since the previous publication,
    with their earlier value: recognised by the earlier fingerprint among the values a
    small count away (the earlier value itself is not kept). Their change is audited
    when they are hidden in either publication."""
    if previous is None or previous.round_to:
        return {}
    found = {}
    for key, value in truth.items():
        before = previous.seals.get(key)
        if not before or before == seals.get(key) or key[0] not in rules:
            continue
        for step in range(1, rules[key[0]].threshold):
            hit = next((earlier for earlier in (value - step, value + step) if earlier >= 0
                        and cell_seal(network, period, key, earlier) == before), None)
            if hit is not None:
                found[key] = hit
                break
    return found


def _protect_year(pooled: Contributions, school_year: int, network: Network, *,
                  cutoff: date, previous: Release | None,
                  min_contributors: int = 3) -> YearResult:
    """Disclosure control of one school year, audited until every hidden cell keeps its
    protection interval against a solver (tenants/networks/disclosure_audit.py)."""
    started = time.perf_counter()
    period = period_label(school_year)
    months = started_months(school_year, cutoff)
    not_started = [m for m in cat.month_codes(school_year) if m not in months]
    tables = {ind.key: _table(ind, school_year, pooled.get((ind.key, period), {}), months)
              for ind in cat.CATALOGUE}
    rules = {ind.key: network_rules(network, sensitive=ind.sensitive,
                                    min_contributors=min_contributors)
             for ind in cat.CATALOGUE}
    base = network_rules(network, min_contributors=min_contributors)
    forced: dict[str, dict[Key, Reason]] = {}
    # A small count shown as any hidden cell before is shown so again: the two notes
    # together would tell more than either.
    blurred: set[CellKey] = set() if previous is None else {
        key for key, shown in previous.cells.items() if shown.reason in SECONDARY}
    revealed: set[CellKey] = set()
    kept_hidden: set[CellKey] = set()  # hidden by the last resort: never revealed again
    truth = _truth(tables, not_started)  # the data do not change from round to round
    seals = {key: cell_seal(network, period, key, value) for key, value in truth.items()}
    moved = _moved(network, period, truth, seals=seals, previous=previous, rules=rules)
    rounds = 0
    while True:
        rounds += 1
        published = _protect_all(tables, rules, forced)
        release = _release(published, rules=base, not_started=not_started, truth=truth,
                           seals=seals, blurred=blurred, revealed=revealed,
                           previous=previous)
        hidden = {k for k, shown in release.cells.items() if shown.value is None}
        more = dict.fromkeys(small_differences(release, previous), Reason.DIFFERENCE)
        if previous is not None:  # hidden before and unchanged: hidden still
            more |= {k: Reason.PREVIOUS for k, shown in previous.cells.items()
                     if shown.value is None and shown.reason != Reason.NOT_STARTED
                     and k in release.cells and k not in hidden
                     and previous.seals.get(k) == release.seals.get(k)}
        more = {k: reason for k, reason in more.items()
                if k not in revealed and (k[1], k[2]) not in forced.get(k[0], {})}
        if more:
            for key, reason in more.items():
                _force(forced, key, reason)
            continue
        result = disclosure_audit.audit(release, previous, width=base.width, moved=moved)
        if not result.failing:
            break
        # A complement the solver pins anyway is shown (not a cell whose change between
        # two publications must stay hidden: its difference is a small count).
        pinned = {key for f in result.failing if f.low == f.high and not f.difference
                  and all(_revealable(k, published, release) for k in f.keys)
                  for key in f.keys}
        pinned = _with_siblings(pinned)
        if pinned - revealed - kept_hidden:
            revealed |= pinned - kept_hidden
            continue
        extra, blur = _more_suppression(result.failing, release, published,
                                        result.public_already)
        if blur - blurred:
            blurred |= blur
            for key in extra:
                _force(forced, key, Reason.AUDIT)
            continue
        if not extra or rounds >= MAX_ROUNDS:
            # Nothing cheap is left: the tables of the failing cells are hidden whole
            # (but for known zeros, which would protect nothing).
            log.info("disclosure audit: %s %s hides whole tables for %s", network.pk, period,
                     [(f.keys[0], f.low, f.high) for f in result.failing[:5]])
            extra = [(indicator, *key) for f in result.failing for indicator, *_rest in f.keys
                     for key, cell in published[indicator].cells.items()
                     if release.cells[(indicator, *key)].value is not None
                     and not _zero_line(published[indicator], *key)]
            revealed -= _with_siblings(set(extra))
            kept_hidden |= _with_siblings(set(extra))
            if not extra:  # given away by what was published before: nothing left to hide
                log.warning("disclosure audit: %s cells of %s %s were already derivable",
                            len(result.failing), network.pk, period)
                break
        for key in extra:
            _force(forced, key, Reason.AUDIT)
    return YearResult(published=published, release=release, audit=result, rounds=rounds,
                      seconds=time.perf_counter() - started, cutoff=cutoff,
                      not_started=not_started)


def _statistics(pooled: Contributions, school_year: int,
                published: dict[str, Published]) -> list[tuple[str, str, Decimal | None, str]]:
    """(indicator, key, value, reason): impact averages and the median delay, each shown
    only when the count behind it is published."""
    period = period_label(school_year)
    out: list[tuple[str, str, Decimal | None, str]] = []
    assessed = published["impact_assessed"].cells[(TOTAL, TOTAL)]
    sums = pooled.get((cat.IMPACT_SUMS, period), {})
    n = sum(pooled.get(("impact_assessed", period), {}).get((cat.ALL, cat.ALL), {}).values())
    for axis in cat.AXES:
        for moment in ("first", "latest"):
            if assessed.value is None or not n:
                out.append(("impact_assessed", f"{axis}_{moment}", None,
                            str(assessed.reason or EMPTY)))
                continue
            total = sum(sums.get((axis, moment), {}).values())
            out.append(("impact_assessed", f"{axis}_{moment}",
                        Decimal(total / n).quantize(Decimal("0.01")), ""))
    delays = published["referral_delay"].cells[(TOTAL, TOTAL)]
    days = pooled.get((cat.REFERRAL_DELAY_DAYS, period), {})
    if delays.value is None or not days:
        out.append(("referral_delay", "median_days", None, str(delays.reason or EMPTY)))
    else:
        values = [int(day) for (day, _c), by in days.items() for _ in range(sum(by.values()))]
        out.append(("referral_delay", "median_days",
                    Decimal(statistics.median(values)).quantize(Decimal("0.01")), ""))
    return out


def _previous_release(network: Network, period: str) -> Release | None:
    """The publication of this school year that people have now, as they see it."""
    last = network.publications.order_by("-published_at").first()
    rows = list(PublishedCell.objects.filter(network=network, period=period).values_list(
        "indicator", "row", "column", "value", "reason", "seal"))
    if last is None or not rows or period not in last.audit:
        # None yet, or one from before the audit: what it showed cannot be repaired.
        return None
    return Release(
        cells={(i, r, c): Shown(v, reason) for i, r, c, v, reason, _seal in rows},
        threshold=last.small_count_threshold, round_to=5 if last.round_to_five else None,
        seals={(i, r, c): seal for i, r, c, _v, _reason, seal in rows if seal})


def _cutoff(pooled: Contributions, period: str, today: date) -> date:
    """The figures' cut-off day: the one the contributions were computed with (the
    earliest, should a night's runs straddle the end of a month)."""
    days = [date.fromisoformat(day) for (day, _c) in pooled.get((cat.DATA_UNTIL, period), {})]
    return min(days) if days else data_cutoff(today)


def audit_summary(result: YearResult, width: int, min_contributors: int) -> dict[str, object]:
    """What the console and the CSV say of each table's audit."""
    tables = {}
    for indicator, published in result.published.items():
        hidden = sum(1 for cell in published.cells.values() if cell.value is None)
        narrowest = result.audit.narrowest(indicator)
        tables[indicator] = {
            "hidden": hidden,
            "narrowest": None if narrowest is None or narrowest == math.inf
            else int(narrowest)}
    return {"until": result.cutoff.isoformat(), "width": width, "rounds": result.rounds,
            "min_contributors": min_contributors,
            "seconds": round(result.seconds, 3), "not_started": result.not_started,
            "tables": tables}


def network_publish(network: Network, school_years: list[int] | None = None, *,
                    today: date | None = None) -> NetworkPublication:
    """Pool the contributions of the network's current members, protect and audit every
    table, and publish them."""
    today = today or timezone.localdate()
    school_years = school_years or published_school_years(today)
    periods = [period_label(year) for year in school_years]
    members = list(network_members(network).values_list("pk", flat=True))
    pooled = _load(members, periods)
    width = network_rules(network).width
    # One person in several of the members could subtract what each shows them.
    min_contributors = min_contributors_for(network_overlap(network))
    cells: list[PublishedCell] = []
    stats: list[PublishedStatistic] = []
    summary: dict[str, object] = {}
    for year in school_years:
        period = period_label(year)
        result = _protect_year(pooled, year, network, cutoff=_cutoff(pooled, period, today),
                               previous=_previous_release(network, period),
                               min_contributors=min_contributors)
        summary[period] = audit_summary(result, width, min_contributors)
        release = result.release
        for (indicator, row, column), shown in release.cells.items():
            cells.append(PublishedCell(network=network, indicator=indicator, period=period,
                                       row=row, column=column, value=shown.value,
                                       reason=shown.reason,
                                       seal=release.seals.get((indicator, row, column), "")))
        for indicator, key, value, reason in _statistics(pooled, year, result.published):
            stats.append(PublishedStatistic(network=network, indicator=indicator,
                                            period=period, key=key, value=value,
                                            reason=reason))
    with transaction.atomic():
        PublishedCell.objects.filter(network=network, period__in=periods).delete()
        PublishedStatistic.objects.filter(network=network, period__in=periods).delete()
        PublishedCell.objects.bulk_create(cells, batch_size=5000)
        PublishedStatistic.objects.bulk_create(stats)
        publication = NetworkPublication.objects.create(
            network=network, associations=len(members), periods=periods,
            small_count_threshold=network.small_count_threshold,
            round_to_five=network.round_to_five, protection_width=width, audit=summary,
        )
    return publication
