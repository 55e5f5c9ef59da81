"""Every operation of an association's API, called by whoever is not of the association:
the other association's member and key, a network coordinator (on the association's host
and on the platform host), nobody. Each is refused and nothing of the association leaks,
whatever the operation; nothing is written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.api.test_schemathesis import DOCUMENT
from tests.tracking.factories import actor, log_interaction, make_case
from tracking.groups.services import attendance_record, group_create, group_session_create
from tracking.interactions.directory import contact_create_for_case
from tracking.models import Attendance, AuditLog, Case, Contact, Interaction

pytestmark = pytest.mark.django_db
SECRETS = ("Canari-Inès", "Canari-Mère", "Canari-Groupe", "Canari-Résumé")


@pytest.fixture
def acme_data(world: World) -> dict[str, int]:
    admin = world.acme_members["admin"]
    case = make_case(world.acme, admin, first_name="Canari-Inès")
    log_interaction(world.acme, admin, "admin", case, summary="Canari-Résumé")
    with schema_context(world.acme.schema_name):
        boss = actor(admin, "admin")
        contact = contact_create_for_case(actor=boss, case=case, kind="parent",
                                          first_name="Canari-Mère", last_name="X",
                                          relationship="mère")
        group = group_create(actor=boss, theme="Canari-Groupe", weekday=1)
        session = group_session_create(actor=boss, group=group,
                                       held_on=timezone.localdate() - timedelta(days=1))
        attendance_record(actor=boss, session=session, statuses={case.pk: "present"})
    return {"case_id": case.pk, "contact_id": contact.pk, "group_id": group.pk,
            "session_id": session.pk}


def _operations() -> list[tuple[str, str]]:
    return sorted((method.upper(), path) for path, item in DOCUMENT["paths"].items()
                  for method in item if method in ("get", "post", "patch"))


def _call(client: Client, method: str, path: str, ids: dict[str, int]) -> Any:
    url = path.format(**ids)
    if method == "GET":
        return client.get(url, HTTP_ACCEPT="application/json")
    if method == "PATCH":
        return client.patch(url, {"town": "Ailleurs", "version": 1},
                            content_type="application/json", HTTP_ACCEPT="application/json")
    if "attendance" in path:
        body: dict[str, Any] = {"attendance": [{"case": ids["case_id"], "status": "absent"}]}
    elif path.endswith("/contacts/"):
        body = {"kind": "parent", "first_name": "A", "relationship": "mère"}
    elif path == "/api/v1/cases/":
        body = {"role": "targeted", "first_name": "Nouveau"}
    else:
        body = {"kind": 1, "channel": "phone", "occurred_at": timezone.now().isoformat()}
    return client.post(url, body, content_type="application/json",
                       HTTP_ACCEPT="application/json")


def _outsiders(world: World) -> list[tuple[str, Client, int]]:
    coordinator = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=coordinator)
    _beta_key, beta_raw = make_key(world.beta, actor=actor(world.beta_admin, "admin"))
    return [
        ("nobody", host_client(world.acme), 401),
        ("other association's key", key_client(world.acme, beta_raw), 401),
        ("other association's admin", signed_in(world.beta_admin, world.acme), 403),
        ("network coordinator", signed_in(coordinator, world.acme), 403),
        ("network coordinator, platform host", signed_in(coordinator), 404),
        ("other association's key, platform host", key_client(None, beta_raw), 404),
    ]


def test_every_operation_refuses_outsiders_and_leaks_nothing(
    world: World, acme_data: dict[str, int],
) -> None:
    operations = _operations()
    assert len(operations) == 16  # every operation of the document is called here
    with schema_context(world.acme.schema_name):
        before = (Interaction.objects.count(), list(Attendance.objects.values_list(
            "case_id", "status")), list(Case.objects.values_list("pk", "town", "version")),
            Contact.objects.count())
    for who, client, status in _outsiders(world):
        for method, path in operations:
            response = _call(client, method, path, acme_data)
            if response.status_code != 403 or response.get("Content-Type", "").startswith(
                    "application/problem+json"):
                problem_of(response, status)
            else:  # the membership check answers before the API (its 403 page)
                assert response.status_code == status
            for secret in SECRETS:
                assert secret.encode() not in response.content, (who, method, path)
    with schema_context(world.acme.schema_name):
        after = (Interaction.objects.count(), list(Attendance.objects.values_list(
            "case_id", "status")), list(Case.objects.values_list("pk", "town", "version")),
            Contact.objects.count())
        assert after == before
        assert not AuditLog.objects.filter(action__startswith="api.").exists()


def _queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_lists_read_a_fixed_number_of_queries(world: World, acme_data: dict[str, int]) -> None:
    """More contacts, exchanges, groups, sessions and attendances add no query (no N+1)."""
    from tracking.models import Case, ExchangeGroup

    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    urls = ["/api/v1/contacts/", f"/api/v1/cases/{acme_data['case_id']}/interactions/",
            f"/api/v1/groups/{acme_data['group_id']}/sessions/", "/api/v1/groups/"]
    for url in urls:  # warm up: the key's last use, caches of the first call
        _queries(client, url)
    first = [_queries(client, url) for url in urls]
    admin = world.acme_members["admin"]
    with schema_context(world.acme.schema_name):
        followed = Case.objects.get(pk=acme_data["case_id"])
    for day in range(2, 5):
        case = make_case(world.acme, admin)
        log_interaction(world.acme, admin, "admin", followed)
        with schema_context(world.acme.schema_name):
            boss = actor(admin, "admin")
            contact_create_for_case(actor=boss, case=case, kind="school", first_name="P",
                                    last_name="Q", relationship="professeur")
            group_create(actor=boss, theme=f"Groupe {day}", weekday=day)
            session = group_session_create(
                actor=boss, group=ExchangeGroup.objects.get(pk=acme_data["group_id"]),
                held_on=timezone.localdate() - timedelta(days=day))
            attendance_record(actor=boss, session=session,
                              statuses={case.pk: "absent", acme_data["case_id"]: "present"})
    counts = [client.get(url).json()["count"] for url in urls]
    assert counts == [4, 4, 4, 4]
    assert [_queries(client, url) for url in urls] == first
