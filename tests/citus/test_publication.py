"""The nightly publication of a network's figures on the cluster: three associations,
spread over both workers, join one network; each one's contribution is computed in its
own schema (on its worker) and stored in public (on the coordinator); the network's
publication pools them under disclosure control, and the coordinators' console reads
the published cells."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest

from tenants.models import (
    ContributionRun,
    IndicatorContribution,
    Network,
    NetworkCoordinator,
    PublishedCell,
    User,
)
from tenants.networks.disclosure import TOTAL
from tenants.networks.publication import network_publish
from tenants.networks.services import network_join, network_members
from tests.citus.conftest import PASSWORD, new_association
from tests.citus.helpers import worker_of
from tests.conftest import signed_in
from tests.tenants.conftest import (
    PERIOD,
    SECRET_NAME,
    SECRET_TOWN,
    Member,
    _cases,
    _cell,
    _contribute,
)

pytestmark = pytest.mark.citus

GIRLS = (8, 6, 5)  # young girls of the 93 followed by each association


@pytest.fixture(scope="module")
def network(cluster_db_module: None) -> Network:
    return Network.objects.create(name=f"Réseau Citus {uuid.uuid4().hex[:6]}",
                                  agreement_version="1")


@pytest.fixture(scope="module")
def members(network: Network) -> list[Member]:
    """Three associations on both workers, sharing with the network."""
    found: list[Member] = []
    for _ in range(5):  # new schemas are spread over the workers: a retry is rare
        created = new_association("pub")
        found.append(Member(created.association, created.admin))
        if len(found) >= 3 and len({worker_of(m.association) for m in found[-3:]}) == 2:
            break
    found = found[-3:]
    assert len({worker_of(m.association) for m in found}) == 2
    for member, n in zip(found, GIRLS, strict=True):
        network_join(actor=member.admin, association=member.association, network=network,
                     agreement_version="1")
        _cases(member, n)
    return found


@pytest.fixture(scope="module")
def published(network: Network, members: list[Member]) -> Network:
    """The nightly path, run synchronously: one contribution per association, in its
    schema, then the network's publication in public."""
    for member in members:
        assert _contribute(member) > 0
    network_publish(network)
    return network


def test_each_contribution_is_counts_from_its_own_worker(cluster_db: None,
                                                         members: list[Member],
                                                         published: Network) -> None:
    assert set(network_members(published)) == {m.association for m in members}
    for member, girls in zip(members, GIRLS, strict=True):
        run = ContributionRun.objects.get(association=member.association)
        cells = IndicatorContribution.objects.filter(association=member.association)
        assert (run.status, run.cells) == ("done", cells.count())
        assert cells.get(indicator="active_by_department", period=PERIOD, row="93",
                         column="girl").value == girls
        # Counts on network codes only: no name, no town reaches the public schema.
        texts = {str(v) for row in cells.values_list("row", "column", "period")
                 for v in row}
        assert not {t for t in texts if SECRET_NAME in t or SECRET_TOWN in t}


def test_the_pooled_cells_follow_the_disclosure_rules(cluster_db: None,
                                                      published: Network) -> None:
    # 8 + 6 + 5 = 19 girls of the 93, from three associations, none above 85 %.
    assert _cell(published, "active_by_department", "93", "girl") == (19, "")
    assert _cell(published, "active_by_department", TOTAL, TOTAL) == (19, "")
    assert _cell(published, "active_by_department", "75", "girl") == (0, "")
    assert _cell(published, "active_by_age_bracket", "11-14", "girl") == (19, "")
    assert PublishedCell.objects.filter(network=published, value__gt=0,
                                        value__lt=11).count() == 0
    hidden = PublishedCell.objects.filter(network=published, value__isnull=True)
    assert set(hidden.values_list("reason", flat=True)) <= {
        "small", "few_contributors", "complement", "linked", "audit", "not_started",
        "dominance"}


def test_the_console_reads_the_published_cells(cluster_db: None,
                                               published: Network) -> None:
    coordinator = User.objects.create_user(f"coord-{uuid.uuid4().hex[:8]}@reseau.example",
                                           password=PASSWORD)
    NetworkCoordinator.objects.create(user=coordinator, network=published)
    client = signed_in(coordinator)
    response = client.get(f"/reseaux/{published.pk}/",
                          {"annee": PERIOD, "indicateur": "active_by_department"})
    assert response.status_code == 200
    page = response.content.decode()
    assert published.name in page
    detail = page[page.index('id="detail-table"'):page.index(
        "</table>", page.index('id="detail-table"'))]
    assert '<th scope="row">93</th>' in detail
    assert ">19</td>" in detail
    for secret in (SECRET_NAME, SECRET_TOWN, "Association pub"):
        assert secret not in page
    export = client.get(f"/reseaux/{published.pk}/export.csv", {"annee": PERIOD})
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    by_key = {(r[0], r[3], r[5]): r for r in rows[1:]}
    assert by_key[("active_by_department", "93", "girl")][7] == "19"


def test_an_association_sees_its_figures_beside_the_network(cluster_db: None,
                                                            members: list[Member],
                                                            published: Network) -> None:
    first: Any = members[0]
    client = signed_in(first.admin, first.association)
    response = client.get("/chiffres/reseaux/", {"indicateur": "active_by_department"})
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="comparaison"'):page.index("</table>")]
    assert published.name in table
    assert '<th scope="row">93</th><td class="num">8</td><td class="num">19</td>' in table
