"""Publication runs in the right schema with a real worker (issue #6): a Celery worker in a
subprocess, the real Redis broker and result backend, the real test database.

The worker only sees committed data, so this module commits associations of its own
(`wpub1` … `wpub4`, never used elsewhere) and a network of its own, outside any test
transaction. The worker runs two threads, so that contributions of different associations
are computed at the same time in different schemas (each thread has its own connection,
switched to the task's schema by tenant-schemas-celery).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import (
    Association,
    ContributionRun,
    IndicatorContribution,
    Network,
    NetworkPublication,
    PublishedCell,
    User,
)
from tenants.networks.contribution import contributions_for
from tenants.networks.publication import data_cutoff, published_school_years
from tenants.networks.services import network_join, network_withdraw
from tenants.networks.tasks import _in_schema, association_contribute_task, publication_request
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World
from tests.tracking.factories import item, make_case
from tracking.school_year import school_year_label, school_year_of

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parents[3]
NETWORK_NAME = "Réseau des tests avec un vrai worker"
# Four associations whose counts differ, so that a contribution computed in the wrong
# schema shows: 8, 6, 5 and 7 girls of the 93, each opened in the current school year.
SIZES = {"wpub1": 8, "wpub2": 6, "wpub3": 5, "wpub4": 7}
TIMEOUT = 90  # seconds: a chord of four contributions takes a few seconds when idle


@dataclass
class Shared:
    network: Network
    members: dict[str, Association]
    admins: dict[str, User]


def _period() -> str:
    return school_year_label(school_year_of(timezone.localdate()))




@pytest.fixture(scope="module")
def shared(world: World, django_db_blocker: Any) -> Shared:
    """Committed: the network and its four member associations with their cases."""
    today = timezone.localdate()
    start = date(school_year_of(today), 9, 1)
    with django_db_blocker.unblock():
        network = Network.objects.create(name=NETWORK_NAME, agreement_version="1")
        members, admins = {}, {}
        for slug, n in SIZES.items():
            created = association_create(
                actor=None, slug=slug, name=f"Association {slug}",
                admin_email=f"admin@{slug}.example", admin_password=PASSWORD)
            association, admin = created.association, created.admin
            network_join(actor=admin, association=association, network=network,
                         agreement_version="1")
            with schema_context(association.schema_name):
                source = item("detection_source", "school")
            for i in range(n):
                make_case(association, admin, first_name="Lina", gender="girl",
                          department="93", detection_source=source,
                          opened_on=min(today, start + timedelta(days=7 * i)))
            members[slug], admins[slug] = association, admin
    return Shared(network=network, members=members, admins=admins)


def _stored(association: Association) -> set[tuple[str, str, str, str, int]]:
    return set(IndicatorContribution.objects.filter(association=association).values_list(
        "indicator", "period", "row", "column", "value"))


def _computed_in(association: Association) -> set[tuple[str, str, str, str, int]]:
    """What the association's contribution is, computed here in its own schema."""
    with schema_context(association.schema_name):
        return {(c.indicator, c.period, c.row, c.column, c.value)
                for c in contributions_for(published_school_years(),
                                           data_cutoff(timezone.localdate()))}


def _girls_of_the_93(network: Network) -> tuple[int | None, str]:
    cell = PublishedCell.objects.get(network=network, indicator="active_by_department",
                                     period=_period(), row="93", column="girl")
    return cell.value, cell.reason


def _publish(shared: Shared, slugs: list[str]) -> tuple[Any, int]:
    """Request the publication (the chord) from the public schema; wait for its end."""
    connection.set_schema_to_public()  # type: ignore[attr-defined]
    last = NetworkPublication.objects.filter(network=shared.network).order_by("-pk").first()
    result: Any = publication_request(associations=[shared.members[s] for s in slugs],
                                      network_ids=[shared.network.pk])
    assert result.get(timeout=TIMEOUT) == 1  # networks_pool_task published one network
    return result, last.pk if last else 0


def test_each_contribution_is_computed_in_its_own_schema_and_pooled_by_the_chord(
        shared: Shared, worker: None, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        result, last = _publish(shared, list(SIZES))
        header = result.parent.get(timeout=TIMEOUT)  # the contributions' cell counts
        for (slug, n), cells in zip(SIZES.items(), header, strict=True):
            association = shared.members[slug]
            run = ContributionRun.objects.filter(association=association).first()
            assert run is not None
            assert (run.status, run.cells, run.error) == ("done", cells, "")
            stored = _stored(association)
            # Exactly the cells the association's schema gives, and the counts are its
            # own: another association's schema would have given 8, 6, 5 or 7 girls.
            assert stored == _computed_in(association)
            assert len(stored) == cells > 0
            assert ("active_by_department", _period(), "93", "girl", n) in stored
        # The callback of the chord published the network, pooling the four.
        publication = NetworkPublication.objects.filter(network=shared.network).first()
        assert publication is not None
        assert publication.pk > last
        assert publication.associations == len(SIZES)
        assert _girls_of_the_93(shared.network) == (sum(SIZES.values()), "")  # 26


def test_the_contribution_task_refuses_a_schema_that_is_not_its_own(
        shared: Shared, worker: None, django_db_blocker: Any) -> None:
    first, second = shared.members["wpub1"], shared.members["wpub2"]
    with django_db_blocker.unblock():
        before = (ContributionRun.objects.filter(association=first).count(),
                  _stored(first), _stored(second))
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        wrong: Any = _in_schema(association_contribute_task.si(first.schema_name),
                                second.schema_name)
        result = wrong.apply_async()
        with pytest.raises(RuntimeError, match="outside"):
            result.get(timeout=TIMEOUT)
        # Nothing was written: no run started, no cell of either association changed.
        after = (ContributionRun.objects.filter(association=first).count(),
                 _stored(first), _stored(second))
        assert after == before


def test_a_withdrawal_republishes_the_network_without_the_association(
        shared: Shared, worker: None, django_db_blocker: Any) -> None:
    leaving, admin = shared.members["wpub4"], shared.admins["wpub4"]
    with django_db_blocker.unblock():
        _publish(shared, list(SIZES))
        assert _stored(leaving)
        assert _girls_of_the_93(shared.network) == (26, "")
        last = NetworkPublication.objects.filter(network=shared.network).first()
        assert last is not None
        # Committed (no test transaction): on_commit sends the chord to the worker.
        network_withdraw(actor=admin, association=leaving, network=shared.network)
        deadline = time.monotonic() + 60
        publication: NetworkPublication | None = last
        while time.monotonic() < deadline:
            publication = NetworkPublication.objects.filter(network=shared.network).first()
            if publication is not None and publication.pk != last.pk:
                break
            time.sleep(0.5)
        assert publication is not None
        assert publication.pk != last.pk, "no new publication within 60 s of the withdrawal"
        assert publication.associations == len(SIZES) - 1
        # Its contributions left the public schema (its run shares with no network now)…
        assert not IndicatorContribution.objects.filter(association=leaving).exists()
        run = ContributionRun.objects.filter(association=leaving).first()
        assert run is not None
        assert run.status == "skipped"
        # … and the network's figures are those of the three others: 8 + 6 + 5 = 19, not
        # shown: next to the 26 published before, it would give the leaving association's
        # 7 away (a difference of less than 11).
        assert _girls_of_the_93(shared.network) == (None, "difference")
        for slug in ("wpub1", "wpub2", "wpub3"):
            assert _stored(shared.members[slug]) == _computed_in(shared.members[slug])
