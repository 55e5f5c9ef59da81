"""The coordinators' console (public host) and the association's comparison page: only
published figures, only to the network's coordinators; everyone else gets nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.models import AuditEntry, Network, NetworkCoordinator, User
from tenants.networks.publication import network_publish
from tests.conftest import World, host_client, signed_in
from tests.tenants.conftest import PERIOD, SECRET_NAME, SECRET_TOWN, Member, _contribute

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_network(members: list[Member], network: Network) -> Network:
    for member in members:
        _contribute(member)
    network_publish(network)
    return network


@pytest.fixture
def coordinator(network: Network) -> User:
    user = User.objects.create_user("coord@reseau.example", password="x-Passw0rd-42")
    NetworkCoordinator.objects.create(user=user, network=network)
    return user


def test_the_coordinator_sees_the_published_figures(published_network: Network,
                                                    coordinator: User) -> None:
    client = signed_in(coordinator)
    response = client.get(f"/reseaux/{published_network.pk}/",
                          {"annee": PERIOD, "indicateur": "active_by_department"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Réseau test" in page
    assert "Les effectifs de 1 à 10 sont affichés « &lt; 11 »" in page
    detail = page[page.index('id="detail-table"'):page.index("</table>",
                                                             page.index('id="detail-table"'))]
    assert "<th scope=\"row\">93</th>" in detail
    assert ">19</td>" in detail
    # Months of fewer than 11 new young people are shown "< 11", with their reason.
    response = client.get(f"/reseaux/{published_network.pk}/",
                          {"annee": PERIOD, "indicateur": "new_by_gender"})
    page = response.content.decode()
    assert "&lt; 11" in page
    assert "effectif de 1 à 10" in page
    for secret in (SECRET_NAME, SECRET_TOWN, "pubun", "Association pub"):
        assert secret not in page


def test_the_dashboard_reads_a_fixed_number_of_queries(published_network: Network,
                                                       coordinator: User) -> None:
    client = signed_in(coordinator)
    url = f"/reseaux/{published_network.pk}/"
    assert client.get(url).status_code == 200  # sign-in and session are read once
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    first = len(queries)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, {"indicateur": "new_by_department"}).status_code == 200
    assert len(queries) == first
    assert first <= 12


def test_the_export_holds_published_cells_only(published_network: Network,
                                               coordinator: User) -> None:
    client = signed_in(coordinator)
    response = client.get(f"/reseaux/{published_network.pk}/export.csv", {"annee": PERIOD})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "indicateur"
    by_key = {(r[0], r[3], r[5]): r for r in rows[1:]}
    assert by_key[("active_by_department", "93", "girl")][7] == "19"
    hidden = [r for r in rows[1:] if r[7] in ("< 11", "masqué")]
    assert hidden
    assert all(r[8] for r in hidden)  # every hidden figure says why
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "@")), value
            assert SECRET_NAME not in value
    assert AuditEntry.objects.filter(action="network.export", actor=coordinator).exists()


@pytest.mark.parametrize("who", ["anonymous", "association_admin", "outsider",
                                 "other_coordinator", "staff_member"])
def test_nobody_else_reaches_the_console(world: World, published_network: Network,
                                         who: str) -> None:
    urls = [f"/reseaux/{published_network.pk}/",
            f"/reseaux/{published_network.pk}/export.csv?annee={PERIOD}", "/reseaux/"]
    if who == "anonymous":
        client = host_client()
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302
            assert "/accounts/login/" in response["Location"]
        return
    user: Any
    if who == "association_admin":
        user = world.acme_members["admin"]
    elif who == "outsider":
        user = world.outsider
    elif who == "other_coordinator":
        other = Network.objects.create(name="Autre réseau", agreement_version="1")
        user = User.objects.create_user("autre@reseau.example", password="x-Passw0rd-42")
        NetworkCoordinator.objects.create(user=user, network=other)
    else:
        user = world.acme_members["coordinator"]
    client = signed_in(user)
    for url in urls[:2]:
        assert client.get(url).status_code == 404, url
    if who != "other_coordinator":
        assert client.get("/reseaux/").status_code == 404
    assert not AuditEntry.objects.filter(action="network.export").exists()


def test_unknown_choices_are_refused(published_network: Network, coordinator: User) -> None:
    client = signed_in(coordinator)
    url = f"/reseaux/{published_network.pk}/"
    assert client.get(url, {"indicateur": "cases_by_first_name"}).status_code == 404
    assert client.get(url, {"annee": "1999-2000"}).status_code == 404
    assert client.get(f"/reseaux/{published_network.pk}/export.csv",
                      {"annee": "x"}).status_code == 404


def test_a_coordinator_has_no_way_into_an_association(world: World,
                                                      published_network: Network,
                                                      coordinator: User) -> None:
    member = world.acme
    client = signed_in(coordinator, member)
    for url in ("/", "/dossiers/", "/chiffres/", "/chiffres/reseaux/", "/chiffres/export.csv",
                "/dossiers/export.csv"):
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert SECRET_NAME not in response.content.decode()


def test_the_association_sees_its_figures_beside_the_network(members: list[Member],
                                                            published_network: Network) -> None:
    first = members[0]
    client = signed_in(first.admin, first.association)
    response = client.get("/chiffres/reseaux/", {"indicateur": "active_by_department"})
    assert response.status_code == 200
    page = response.content.decode()
    table = page[page.index('id="comparaison"'):page.index("</table>")]
    assert "Réseau test" in table
    # 8 of its own young people in the 93, 19 in the network.
    assert '<th scope="row">93</th><td class="num">8</td><td class="num">19</td>' in table
    # Another association's member sees none of it.
    other = signed_in(members[1].admin, members[1].association)
    page = other.get("/chiffres/reseaux/",
                     {"indicateur": "active_by_department"}).content.decode()
    assert '<td class="num">8</td>' not in page


def test_a_coordinator_asks_for_a_publication_now(published_network: Network,
                                                  coordinator: User, world: World) -> None:
    client = signed_in(coordinator)
    response = client.post(f"/reseaux/{published_network.pk}/publier/")
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="network.publish_requested",
                                     actor=coordinator).count() == 1
    other = signed_in(world.acme_members["admin"])
    assert other.post(f"/reseaux/{published_network.pk}/publier/").status_code == 404
    assert client.get(f"/reseaux/{published_network.pk}/publier/").status_code == 405


def test_every_suppression_reason_has_its_note() -> None:
    from tenants.networks.disclosure import Reason
    from tenants.networks.selectors import reason_note

    notes = {reason: reason_note(reason, 11) for reason in Reason}
    assert notes[Reason.SMALL] == "effectif de 1 à 10, affiché « < 11 »"
    assert notes[Reason.DOMINANCE] == "une seule association en fait plus de 85 %"
    assert all(notes.values())
