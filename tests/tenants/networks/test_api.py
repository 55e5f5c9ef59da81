"""GET /api/v1/networks/{id}/indicators/ on the platform host: the console's figures as
JSON and its CSV, to the network's coordinators only; published cells only (suppression
included), never a contribution, a name or a town of the associations' records."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

from tenants.models import AuditEntry, Network, NetworkCoordinator, User
from tenants.networks.publication import network_publish
from tests.conftest import World, host_client, signed_in
from tests.tenants.conftest import PERIOD, SECRET_NAME, SECRET_TOWN, Member, _contribute
from tests.tracking.api.conftest import key_client, make_key, problem_of

pytestmark = pytest.mark.django_db
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


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


def _url(network: Network) -> str:
    return f"/api/v1/networks/{network.pk}/indicators/"


def _secrets_absent(content: bytes) -> None:
    for secret in (SECRET_NAME, SECRET_TOWN, "pubun", "Association pub"):
        assert secret.encode() not in content


def test_the_coordinator_reads_what_the_console_shows(published_network: Network,
                                                      coordinator: User) -> None:
    client = signed_in(coordinator)
    response = client.get(_url(published_network), {"period": PERIOD}, **JSON)
    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["network"] == {"id": published_network.pk, "name": "Réseau test"}
    assert body["period"] == PERIOD
    assert body["periods"][0] == PERIOD
    assert body["threshold"] == 11
    tables = {t["key"]: t for t in body["tables"]}
    department = tables["active_by_department"]
    row = next(r for r in department["rows"] if r["code"] == "93")
    codes = [column["code"] for column in department["columns"]]
    girls = row["cells"][codes.index("girl")]
    assert girls["value"] == 19
    # The console's page, for the same table, shows the same numbers.
    page = client.get(f"/reseaux/{published_network.pk}/",
                      {"annee": PERIOD, "indicateur": "active_by_department"}).content.decode()
    assert ">19</td>" in page
    # Months of fewer than 11 new young people: "< 11", with the console's note.
    cells = [c for t in body["tables"] if t["key"] == "new_by_gender" for r in t["rows"]
             for c in r["cells"]]
    small = [c for c in cells if c["text"] == "< 11"]
    assert small
    assert all(c["value"] is None and c["note"].startswith("effectif de 1 à 10")
               for c in small)
    assert all(t["audit"] is not None for t in body["tables"] if t["rows"])
    _secrets_absent(response.content)
    assert response["ETag"]
    assert client.get(_url(published_network), {"period": PERIOD}, HTTP_IF_NONE_MATCH=response[
        "ETag"], **JSON).status_code == 304
    assert AuditEntry.objects.filter(action="network.api_read", actor=coordinator).count() == 2


@pytest.mark.parametrize("how", ["query", "accept"])
def test_the_csv_is_the_console_export(published_network: Network, coordinator: User,
                                       how: str) -> None:
    client = signed_in(coordinator)
    console = client.get(f"/reseaux/{published_network.pk}/export.csv", {"annee": PERIOD})
    assert console.status_code == 200
    if how == "query":
        response = client.get(_url(published_network), {"period": PERIOD, "format": "csv"})
    else:
        response = client.get(_url(published_network), {"period": PERIOD},
                              HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content == console.content
    assert "attachment" in response["Content-Disposition"]
    _secrets_absent(response.content)
    assert AuditEntry.objects.filter(action="network.export", actor=coordinator,
                                     detail__via="api").count() == 1


def test_the_csv_needs_a_recent_sign_in(published_network: Network, coordinator: User) -> None:
    client = signed_in(coordinator)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time() - 3600, "email": coordinator.email}]
    session.save()
    body = problem_of(client.get(_url(published_network), {"format": "csv"}), 403)
    assert body["code"] == "reauthentication_required"
    assert not AuditEntry.objects.filter(action="network.export").exists()
    # The JSON figures (what the console's page shows) need no re-authentication.
    assert client.get(_url(published_network), **JSON).status_code == 200


@pytest.mark.parametrize("who", ["association_admin", "association_coordinator", "outsider",
                                 "other_coordinator"])
def test_nobody_else_reads_a_network(world: World, published_network: Network,
                                     who: str) -> None:
    user: Any
    if who == "other_coordinator":
        other = Network.objects.create(name="Autre réseau", agreement_version="1")
        user = User.objects.create_user("autre@reseau.example", password="x-Passw0rd-42")
        NetworkCoordinator.objects.create(user=user, network=other)
    elif who == "outsider":
        user = world.outsider
    else:
        user = world.acme_members["admin" if who == "association_admin" else "coordinator"]
    client = signed_in(user)
    for query, accept in (({}, "application/json"), ({"format": "csv"}, "*/*"),
                          ({"period": PERIOD}, "text/csv")):
        response = client.get(_url(published_network), query, HTTP_ACCEPT=accept)
        problem_of(response, 404)
        assert b"R\xc3\xa9seau test" not in response.content
        _secrets_absent(response.content)
    assert not AuditEntry.objects.filter(action="network.export").exists()


def test_without_a_session_or_with_a_key_nothing_is_read(world: World,
                                                         published_network: Network) -> None:
    problem_of(host_client(**JSON).get(_url(published_network)), 401)
    _key, raw = make_key(world.acme)
    problem_of(key_client(None, raw).get(_url(published_network)), 401)
    # The association's host has no such endpoint.
    problem_of(key_client(world.acme, raw).get(_url(published_network)), 404)
    problem_of(signed_in(world.acme_members["admin"], world.acme).get(
        _url(published_network), **JSON), 404)


def test_unknown_choices_are_refused(published_network: Network, coordinator: User) -> None:
    client = signed_in(coordinator)
    url = _url(published_network)
    assert problem_of(client.get(url, {"period": "2024"}, **JSON), 400)["errors"][0][
        "field"] == "period"
    problem_of(client.get(url, {"period": "1999-2000"}, **JSON), 404)
    problem_of(client.get(f"/api/v1/networks/{published_network.pk + 1000}/indicators/",
                          **JSON), 404)


def test_before_any_publication_the_figures_are_empty(network: Network,
                                                      coordinator: User) -> None:
    client = signed_in(coordinator)
    body = client.get(_url(network), **JSON).json()
    assert body["period"] is None
    assert body["tables"] == []
    problem_of(client.get(_url(network), {"format": "csv"}), 404)
