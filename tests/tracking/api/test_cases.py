"""GET /api/v1/cases/ and /api/v1/cases/{id}/: each role sees what its pages show, keys
with cases:read what coordinators see, outsiders nothing; no clinical note ever; filters,
pagination, ETags."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.factories import actor, log_interaction, make_case
from tracking.cases.services import case_grant
from tracking.models import AuditLog, Case

pytestmark = pytest.mark.django_db
LIST = "/api/v1/cases/"
NOTE = "Note-clinique-canari"


@pytest.fixture
def cases(world: World) -> dict[str, Case]:
    """One case followed by the psychologist (with a clinical note), one by the listener,
    one nobody follows, one archived; and one of the other association."""
    admin = world.acme_members["admin"]
    psychologist = world.acme_members["psychologist"]
    followed = make_case(world.acme, admin, staff=[psychologist], first_name="Inès")
    log_interaction(world.acme, psychologist, "psychologist", followed,
                    summary="Premier entretien", clinical_note=NOTE)
    listened = make_case(world.acme, admin, staff=[world.acme_members["listener"]],
                         first_name="Noé")
    alone = make_case(world.acme, admin, first_name="Lina")
    archived = make_case(world.acme, admin, first_name="Archivé-canari")
    with schema_context(world.acme.schema_name):
        Case.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    other = make_case(world.beta, world.beta_admin, first_name="Canari-Bêta")
    return {"followed": followed, "listened": listened, "alone": alone,
            "archived": archived, "other": other}


def _codes(response: Any) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {row["code"] for row in response.json()["results"]}


ROLE_SEES = {
    "admin": {"followed", "listened", "alone"},
    "coordinator": {"followed", "listened", "alone"},
    "psychologist": {"followed"},
    "listener": {"listened"},
    "read_only": set(),
}


@pytest.mark.parametrize("role", list(ROLE_SEES))
def test_each_role_reads_the_cases_its_pages_show(
    world: World, cases: dict[str, Case], role: str,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    shown = _codes(client.get(LIST, {"status": "all"}, HTTP_ACCEPT="application/json"))
    assert shown == {cases[name].code for name in ROLE_SEES[role]}
    for name, case in cases.items():
        if name == "other":
            continue
        detail = client.get(f"{LIST}{case.pk}/", HTTP_ACCEPT="application/json")
        if name in ROLE_SEES[role]:
            assert detail.json()["code"] == case.code
        else:
            problem_of(detail, 404)
        assert NOTE.encode() not in detail.content


def test_read_only_members_read_the_cases_granted_to_them(
    world: World, cases: dict[str, Case],
) -> None:
    reader = world.acme_members["read_only"]
    with schema_context(world.acme.schema_name):
        case_grant(actor=actor(world.acme_members["admin"], "admin"), case=cases["alone"],
                   user_id=reader.pk, can_edit=False)
    client = signed_in(reader, world.acme)
    assert _codes(client.get(LIST, HTTP_ACCEPT="application/json")) == {cases["alone"].code}


def test_volunteers_read_no_case(world: World, cases: dict[str, Case]) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    problem_of(client.get(LIST, HTTP_ACCEPT="application/json"), 404)
    problem_of(client.get(f"{LIST}{cases['alone'].pk}/", HTTP_ACCEPT="application/json"), 404)


def test_a_key_reads_what_coordinators_read_never_a_clinical_note(
    world: World, cases: dict[str, Case],
) -> None:
    key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    listed = client.get(LIST, {"status": "all"})
    assert _codes(listed) == {cases[n].code for n in ("followed", "listened", "alone")}
    detail = client.get(f"{LIST}{cases['followed'].pk}/")
    assert detail.status_code == 200
    row = detail.json()
    assert row["first_name"] == "Inès"
    assert row["status"] == "open"
    assert row["stage"]["label"]
    for response in (listed, detail):
        assert NOTE.encode() not in response.content
        assert b"Premier entretien" not in response.content
    problem_of(client.get(f"{LIST}{cases['archived'].pk}/"), 404)
    with schema_context(world.acme.schema_name):
        read = AuditLog.objects.get(action="case.read")
        assert read.object_id == str(cases["followed"].pk)
        assert read.detail == {"key": key.prefix}
        assert AuditLog.objects.filter(action="api.case_list").count() == 1


def test_a_key_without_cases_read_is_refused(world: World, cases: dict[str, Case]) -> None:
    _key, raw = make_key(world.acme, "referrals:write", "figures:read")
    client = key_client(world.acme, raw)
    assert problem_of(client.get(LIST), 403)["code"] == "scope_missing"
    problem_of(client.get(f"{LIST}{cases['alone'].pk}/"), 403)


def test_outsiders_read_nothing_of_an_association(world: World, cases: dict[str, Case]) -> None:
    _beta_key, beta_raw = make_key(world.beta, "cases:read")
    coordinator = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=coordinator)
    calls = [
        (key_client(world.acme, beta_raw), 401),
        (host_client(world.acme, HTTP_ACCEPT="application/json"), 401),
        (signed_in(world.beta_admin, world.acme), 403),
        (signed_in(coordinator, world.acme), 403),
        (signed_in(coordinator), 404),  # the platform host has no cases
    ]
    for client, status in calls:
        for path in (LIST, f"{LIST}{cases['alone'].pk}/"):
            response = client.get(path, HTTP_ACCEPT="application/json")
            assert response.status_code == status, (path, status)
            for name in ("Inès", "Noé", "Lina", cases["alone"].code):
                assert name.encode() not in response.content
    # And an association's key never shows the other association's cases.
    acme_key_listing = key_client(world.acme, make_key(world.acme, "cases:read")[1]).get(
        LIST, {"status": "all"})
    assert b"Canari" not in acme_key_listing.content
    problem_of(key_client(world.beta, beta_raw).get(f"{LIST}{cases['alone'].pk}/"), 404)


def test_filters_and_pages(world: World, cases: dict[str, Case]) -> None:
    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    assert _codes(client.get(LIST, {"status": "closed"})) == set()
    stage = client.get(f"{LIST}{cases['alone'].pk}/").json()["stage"]["id"]
    assert len(_codes(client.get(LIST, {"stage": stage}))) == 3
    assert _codes(client.get(LIST, {"stage": stage + 1000})) == set()
    first = client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert "page=2" in first["next"]
    problem_of(client.get(LIST, {"page": 9}), 404)


@pytest.mark.parametrize("query", [{"status": "tous"}, {"stage": "abc"}, {"stage": "0"},
                                   {"opened_from": "2026-13-01"}])
def test_bad_filters_are_refused_in_french_or_english(
    world: World, cases: dict[str, Case], query: dict[str, str], english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    french = problem_of(client.get(LIST, query), 400)
    assert french["title"] == "Requête invalide"
    assert french["detail"] == "Certaines valeurs sont invalides."
    assert [e["field"] for e in french["errors"]] == list(query)
    english = problem_of(client.get(LIST, query, HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert english["detail"] == "Some values are invalid."


def test_reads_carry_an_etag_and_answer_304_while_unchanged(
    world: World, cases: dict[str, Case],
) -> None:
    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    path = f"{LIST}{cases['alone'].pk}/"
    first = client.get(path)
    etag = first["ETag"]
    assert etag.startswith('"')
    unchanged = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == etag
    listing = client.get(LIST)
    assert client.get(LIST, HTTP_IF_NONE_MATCH=listing["ETag"]).status_code == 304
    with schema_context(world.acme.schema_name):
        Case.objects.filter(pk=cases["alone"].pk).update(town="Ivry-sur-Seine")
    changed = client.get(path, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["town"] == "Ivry-sur-Seine"
    assert changed["ETag"] != etag


def test_not_found_is_a_problem_in_english_too(
    world: World, cases: dict[str, Case], english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "cases:read")
    body = problem_of(key_client(world.acme, raw).get(f"{LIST}999999/",
                                                      HTTP_ACCEPT_LANGUAGE="en"), 404)
    assert body == {"type": "https://relier.example/problemes/not-found", "title": "Not found",
                    "status": 404, "detail": "Nothing here, or you have no access to it.",
                    "instance": f"{LIST}999999/", "code": "not_found"}
