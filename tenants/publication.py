"""Publication of network indicators. Schema: public.

1. Each association's contribution is computed in its own schema
   (tracking.network_figures, run by tenants.tasks.association_contribute_task) and stored
   here as aggregate cells on network codes (`contributions_replace`).
2. A network's publication (`network_publish`) pools the contributions of the associations
   that share with it *now* (network_members: one that withdrew is left out at once), runs
   disclosure control on every table of the catalogue, and replaces the network's
   published cells and statistics in one transaction. Only those are ever shown.

Both steps are idempotent: run twice, they write the same rows.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from tenants import indicators as cat
from tenants.disclosure import TOTAL, Published, Table, protect, protect_family
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
from tenants.networks import network_members, network_rules
from tenants.services import audit
from tracking.school_year import school_year_label, school_year_of

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


def _table(indicator: cat.Indicator, school_year: int,
           cells: dict[tuple[str, str], dict[str, int]]) -> Table:
    rows, columns = indicator.row_codes(school_year), indicator.column_codes(school_year)
    known = set(rows), set(columns)
    contributions = {key: by for key, by in cells.items()
                     if key[0] in known[0] and key[1] in known[1]}
    return Table(rows=rows, columns=columns, contributions=contributions)


def _protect_year(pooled: Contributions, school_year: int,
                  network: Network) -> dict[str, Published]:
    period = period_label(school_year)
    tables = {ind.key: _table(ind, school_year, pooled.get((ind.key, period), {}))
              for ind in cat.CATALOGUE}
    rules = {ind.key: network_rules(network, sensitive=ind.sensitive) for ind in cat.CATALOGUE}
    published: dict[str, Published] = {}
    for members in cat.FAMILIES.values():
        published |= protect_family({i.key: tables[i.key] for i in members},
                                    {i.key: rules[i.key] for i in members})
    for ind in cat.CATALOGUE:
        if not ind.family:
            published[ind.key] = protect(tables[ind.key], rules[ind.key])
    return published


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


def network_publish(network: Network, school_years: list[int] | None = None) -> NetworkPublication:
    """Pool the contributions of the network's current members and publish them."""
    school_years = school_years or published_school_years()
    periods = [period_label(year) for year in school_years]
    members = list(network_members(network).values_list("pk", flat=True))
    pooled = _load(members, periods)
    cells: list[PublishedCell] = []
    stats: list[PublishedStatistic] = []
    for year in school_years:
        period = period_label(year)
        published = _protect_year(pooled, year, network)
        for indicator, result in published.items():
            for (row, column), cell in result.cells.items():
                cells.append(PublishedCell(network=network, indicator=indicator, period=period,
                                           row=row, column=column, value=cell.value,
                                           reason=str(cell.reason or "")))
        for indicator, key, value, reason in _statistics(pooled, year, published):
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
            round_to_five=network.round_to_five,
        )
    return publication

