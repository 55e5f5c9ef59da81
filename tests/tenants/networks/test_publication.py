"""Publication of network indicators: each association's aggregates are computed in its own
schema, only counts on network codes reach the public schema, the network's figures pool
its current members under disclosure control."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import (
    ContributionRun,
    IndicatorContribution,
    Network,
    PublishedCell,
    PublishedStatistic,
)
from tenants.networks import indicators as cat
from tenants.networks.disclosure import TOTAL
from tenants.networks.publication import network_publish, published_school_years
from tenants.networks.services import network_withdraw
from tenants.networks.tasks import association_contribute_task
from tests.tenants.conftest import (
    PERIOD,
    SECRET_NAME,
    SECRET_SUMMARY,
    SECRET_TOWN,
    TODAY,
    YEAR,
    Member,
    _cell,
    _contribute,
)
from tests.tracking.factories import log_interaction
from tracking.models import Consent
from tracking.school_year import school_year_label

pytestmark = pytest.mark.django_db

def test_contribution_is_counts_on_network_codes_only(members: list[Member]) -> None:
    first = members[0]
    assert _contribute(first) > 0
    rows = list(IndicatorContribution.objects.filter(association=first.association)
                .values_list("indicator", "period", "row", "column", "value"))
    years = published_school_years()
    for indicator, period, row, column, value in rows:
        assert period in {school_year_label(y) for y in years}
        assert value > 0
        if indicator in cat.RAW_ONLY:
            continue
        definition = cat.BY_KEY[indicator]
        assert row in definition.row_codes(YEAR if period == PERIOD else int(period[:4]))
        assert column in definition.column_codes(int(period[:4]))
    active = {(r, c): v for i, p, r, c, v in rows if i == "active_by_department" and p == PERIOD}
    assert active == {("93", "girl"): 8}
    run = ContributionRun.objects.get(association=first.association)
    assert (run.status, run.cells) == ("done", len(rows))


def test_refused_consent_leaves_the_young_person_out(members: list[Member]) -> None:
    first = members[0]
    with schema_context(first.association.schema_name):
        from tracking.models import Case

        case = Case.objects.order_by("pk").first()
        assert case is not None
        Consent.objects.create(case=case, given_by="parent", given_on=TODAY,
                               network_statistics=False, recorded_by=first.admin)
        other = Case.objects.order_by("pk")[1]
        Consent.objects.create(case=other, given_by="parent", given_on=TODAY,
                               network_statistics=True, recorded_by=first.admin)
    _contribute(first)
    value = IndicatorContribution.objects.get(
        association=first.association, indicator="active_by_department", period=PERIOD,
        row="93", column="girl").value
    assert value == 7


def test_pooled_figures_follow_the_disclosure_rules(members: list[Member],
                                                    network: Network) -> None:
    for member in members:
        _contribute(member)
    network_publish(network)
    # 8 + 6 + 5 = 19 girls of the 93, from three associations, none above 85 %.
    assert _cell(network, "active_by_department", "93", "girl") == (19, "")
    assert _cell(network, "active_by_department", TOTAL, TOTAL) == (19, "")
    assert _cell(network, "active_by_department", "75", "girl") == (0, "")
    # Age: all 13 years old → one bracket; the whole-group rule is for sensitive tables.
    assert _cell(network, "active_by_age_bracket", "11-14", "girl") == (19, "")
    # Months hold fewer than 11 new young people each: hidden, with their reason.
    months = PublishedCell.objects.filter(
        network=network, indicator="new_by_gender", period=PERIOD, row="girl",
    ).exclude(column=TOTAL)
    for cell in months:
        assert cell.value is None or cell.value == 0 or cell.value >= 11
    assert {c.reason for c in months if c.value is None} <= {
        "small", "few_contributors", "complement", "linked", "audit", "not_started"}
    assert PublishedCell.objects.filter(network=network, value__isnull=False,
                                        value__gt=0, value__lt=11).count() == 0


def test_a_withdrawn_association_leaves_the_next_publication(members: list[Member],
                                                            network: Network) -> None:
    for member in members:
        _contribute(member)
    network_publish(network)
    assert _cell(network, "active_by_department", "93", "girl") == (19, "")
    last = members[2]
    network_withdraw(actor=last.admin, association=last.association, network=network)
    network_publish(network)
    # Two contributors left: fewer than three, so nothing of it is shown any more.
    value, reason = _cell(network, "active_by_department", "93", "girl")
    assert (value, reason) == (None, "few_contributors")
    # Its next run clears what it had left in the public schema.
    _contribute(last)
    assert not IndicatorContribution.objects.filter(association=last.association).exists()


def test_publishing_twice_writes_the_same_figures(members: list[Member],
                                                  network: Network) -> None:
    for member in members:
        _contribute(member)
    network_publish(network)

    def snapshot() -> list[Any]:
        return [list(PublishedCell.objects.filter(network=network).order_by(
            "indicator", "period", "row", "column").values_list(
            "indicator", "period", "row", "column", "value", "reason")),
            list(PublishedStatistic.objects.filter(network=network).order_by(
                "indicator", "period", "key").values_list("indicator", "period", "key",
                                                          "value", "reason"))]

    first = snapshot()
    for member in members:
        _contribute(member)
    network_publish(network)
    assert snapshot() == first


def test_shared_margins_are_hidden_alike_in_every_table_of_a_family(
        members: list[Member], network: Network) -> None:
    for member in members:
        _contribute(member)
    network_publish(network)
    family = [i.key for i in cat.FAMILIES["new"]]
    margins: dict[str, set[str]] = {}
    for key in family:
        margins[key] = set(PublishedCell.objects.filter(
            network=network, indicator=key, period=PERIOD, row=TOTAL, value__isnull=True,
        ).values_list("column", flat=True))
    assert len({frozenset(v) for v in margins.values()}) == 1


def test_impact_averages_and_median_delay_only_with_a_published_count(
        members: list[Member], network: Network) -> None:
    for member in members:
        with schema_context(member.association.schema_name):
            from tracking.models import Case

            cases = list(Case.objects.all())
        for case in cases:
            log_interaction(member.association, member.admin, "admin", case,
                            occurred_at=timezone.make_aware(
                                datetime.combine(case.opened_on, time(10)))
                            + timedelta(days=2),
                            summary=SECRET_SUMMARY)
        _contribute(member)
    network_publish(network)
    median = PublishedStatistic.objects.get(network=network, period=PERIOD,
                                            indicator="referral_delay", key="median_days")
    # Interactions dated in the future are refused by the service, so some cases opened
    # in the last two days may have no first contact: the median stays 2 days.
    assert median.value is not None
    assert float(median.value) == 2.0
    impact = PublishedStatistic.objects.get(network=network, period=PERIOD,
                                            indicator="impact_assessed", key="peers_first")
    assert (impact.value, impact.reason) == (None, "empty")


def test_no_row_level_data_reaches_any_public_table(members: list[Member],
                                                    network: Network) -> None:
    """Every table of the public schema and each of its columns: none holds a name, a
    town, a case code or a note of a young person after publication."""
    codes = []
    for member in members:
        with schema_context(member.association.schema_name):
            from tracking.models import Case

            codes += list(Case.objects.values_list("code", flat=True))
            case = Case.objects.first()
            assert case is not None
        log_interaction(member.association, member.admin, "admin", case,
                        summary=SECRET_SUMMARY)
        _contribute(member)
    network_publish(network)
    secrets = [SECRET_NAME, SECRET_TOWN, SECRET_SUMMARY, *codes]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'public' ORDER BY table_name, ordinal_position""")
        columns = cursor.fetchall()
        assert columns
        checked = 0
        for table, column, data_type in columns:
            if data_type not in ("character varying", "text", "jsonb", "json"):
                continue
            cursor.execute(
                f'SELECT count(*) FROM public."{table}" WHERE '
                f'"{column}"::text ILIKE ANY(%s)', [[f"%{s}%" for s in secrets]])
            assert cursor.fetchone()[0] == 0, f"{table}.{column} holds row-level data"
            checked += 1
    assert checked > 20
    # The publication tables hold codes of the catalogue only.
    for model in (IndicatorContribution, PublishedCell):
        for indicator, period, row, column in model.objects.values_list(
                "indicator", "period", "row", "column").distinct():
            assert indicator in cat.BY_KEY or indicator in cat.RAW_ONLY
            if indicator in cat.RAW_ONLY:
                continue
            definition = cat.BY_KEY[indicator]
            year = int(period[:4])
            assert row in [*definition.row_codes(year), TOTAL]
            assert column in [*definition.column_codes(year), TOTAL]


def test_contribution_task_refuses_to_run_outside_its_schema(members: list[Member]) -> None:
    with schema_context(members[1].association.schema_name), \
            pytest.raises(RuntimeError, match="outside"):
        association_contribute_task(members[0].association.schema_name)



def test_a_failed_contribution_is_recorded_and_keeps_the_previous_one(
        members: list[Member], monkeypatch: pytest.MonkeyPatch) -> None:
    first = members[0]
    _contribute(first)
    before = IndicatorContribution.objects.filter(association=first.association).count()

    def broken(_years: object, _until: object = None) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr("tenants.networks.contribution.contributions_for", broken)
    assert _contribute(first) == -1
    run = ContributionRun.objects.filter(association=first.association).latest("started_at")
    assert (run.status, run.error) == ("failed", "ZeroDivisionError")
    assert IndicatorContribution.objects.filter(association=first.association).count() == before
