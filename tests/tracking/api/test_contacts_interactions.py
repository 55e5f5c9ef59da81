"""GET /api/v1/contacts/, /contacts/{id}/, /cases/{id}/interactions/ and POST
/cases/{id}/interactions/: each role reads the contacts and exchanges of the cases its
pages open, keys what coordinators read, outsiders nothing; no clinical note ever, for
psychologists either; a write goes through the case page's form and service, and bad
input saves nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.factories import actor, item, log_interaction, make_case
from tracking.interactions.directory import contact_create_for_case
from tracking.models import AuditLog, Case, Contact, Interaction

pytestmark = pytest.mark.django_db
NOTE = "Note-clinique-canari"
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json"}


def _contact(world: World, case: Case, first_name: str, *, beta: bool = False) -> Contact:
    association = world.beta if beta else world.acme
    admin = world.beta_admin if beta else world.acme_members["admin"]
    with schema_context(association.schema_name):
        return contact_create_for_case(actor=actor(admin, "admin"), case=case, kind="parent",
                                       first_name=first_name, last_name="Parent",
                                       relationship="mère", phone="01 02 03 04 05")


@pytest.fixture
def setting(world: World) -> dict[str, Any]:
    """A case the psychologist follows (a clinical note on its exchange, a parent), one the
    listener follows (a parent), one nobody follows (a parent); the other association's."""
    admin = world.acme_members["admin"]
    followed = make_case(world.acme, admin, staff=[world.acme_members["psychologist"]],
                         first_name="Inès")
    log_interaction(world.acme, world.acme_members["psychologist"], "psychologist", followed,
                    summary="Premier entretien", clinical_note=NOTE)
    listened = make_case(world.acme, admin, staff=[world.acme_members["listener"]],
                         first_name="Noé")
    alone = make_case(world.acme, admin, first_name="Lina")
    other = make_case(world.beta, world.beta_admin, first_name="Canari-Bêta")
    return {
        "cases": {"followed": followed, "listened": listened, "alone": alone},
        "contacts": {"followed": _contact(world, followed, "Mère-Inès"),
                     "listened": _contact(world, listened, "Mère-Noé"),
                     "alone": _contact(world, alone, "Mère-Lina")},
        "other": other, "other_contact": _contact(world, other, "Canari-Mère", beta=True),
    }


ROLE_SEES = {
    "admin": {"followed", "listened", "alone"},
    "coordinator": {"followed", "listened", "alone"},
    "psychologist": {"followed"},
    "listener": {"listened"},
    "read_only": set(),
}


@pytest.mark.parametrize("role", list(ROLE_SEES))
def test_each_role_reads_the_contacts_and_exchanges_of_the_cases_it_opens(
    world: World, setting: dict[str, Any], role: str,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    listed = client.get("/api/v1/contacts/", **JSON)
    assert listed.status_code == 200
    names = {row["first_name"] for row in listed.json()["results"]}
    assert names == {setting["contacts"][n].first_name for n in ROLE_SEES[role]}
    for name, contact in setting["contacts"].items():
        detail = client.get(f"/api/v1/contacts/{contact.pk}/", **JSON)
        exchanges = client.get(f"/api/v1/cases/{setting['cases'][name].pk}/interactions/",
                               **JSON)
        if name in ROLE_SEES[role]:
            assert detail.json()["cases"] == [{"id": setting["cases"][name].pk,
                                               "code": setting["cases"][name].code,
                                               "relationship": "mère"}]
            assert exchanges.status_code == 200
        else:
            problem_of(detail, 404)
            problem_of(exchanges, 404)
        for response in (listed, detail, exchanges):
            assert NOTE.encode() not in response.content
            assert b"Canari" not in response.content


def test_psychologists_read_the_summary_never_the_clinical_note(
    world: World, setting: dict[str, Any],
) -> None:
    client = signed_in(world.acme_members["psychologist"], world.acme)
    response = client.get(f"/api/v1/cases/{setting['cases']['followed'].pk}/interactions/",
                          **JSON)
    (row,) = response.json()["results"]
    assert row["summary"] == "Premier entretien"
    assert row["kind"]["label"]
    assert "clinical_note" not in row
    assert NOTE.encode() not in response.content
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action="clinical.read").exists()


def test_volunteers_read_no_contact_and_no_exchange(world: World,
                                                     setting: dict[str, Any]) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    problem_of(client.get("/api/v1/contacts/", **JSON), 404)
    problem_of(client.get(f"/api/v1/contacts/{setting['contacts']['alone'].pk}/", **JSON), 404)
    problem_of(client.get(f"/api/v1/cases/{setting['cases']['alone'].pk}/interactions/",
                          **JSON), 404)


def test_a_key_reads_what_coordinators_read_within_its_scope(
    world: World, setting: dict[str, Any],
) -> None:
    _key, raw = make_key(world.acme, "cases:read")
    client = key_client(world.acme, raw)
    listed = client.get("/api/v1/contacts/", {"case": setting["cases"]["alone"].pk})
    assert [r["first_name"] for r in listed.json()["results"]] == ["Mère-Lina"]
    assert listed.json()["results"][0]["phone"] == "01 02 03 04 05"
    assert client.get("/api/v1/contacts/", {"kind": "school"}).json()["count"] == 0
    problem_of(client.get("/api/v1/contacts/", {"kind": "voisin"}), 400)
    # Ids are per association: the other association's ids show acme's rows or nothing.
    for path in (f"/api/v1/contacts/{setting['other_contact'].pk}/",
                 f"/api/v1/cases/{setting['other'].pk}/interactions/"):
        assert b"Canari" not in client.get(path).content
    exchanges = client.get(f"/api/v1/cases/{setting['cases']['followed'].pk}/interactions/")
    assert exchanges.json()["count"] == 1
    assert NOTE.encode() not in exchanges.content
    # ETags on these reads too.
    for response, path in ((listed, f"/api/v1/contacts/?case={setting['cases']['alone'].pk}"),
                           (exchanges,
                            f"/api/v1/cases/{setting['cases']['followed'].pk}/interactions/")):
        assert client.get(path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    _wrong, wrong = make_key(world.acme, "figures:read", "referrals:write")
    alone = setting["cases"]["alone"].pk
    for path in ("/api/v1/contacts/", f"/api/v1/cases/{alone}/interactions/"):
        assert problem_of(key_client(world.acme, wrong).get(path), 403)["code"] == "scope_missing"


def _exchange(**overrides: Any) -> dict[str, Any]:
    with schema_context("a_acme"):
        kind = item("interaction_kind", "interview").pk
    body = {"kind": kind, "channel": "phone",
            "occurred_at": (timezone.now() - timedelta(hours=2)).isoformat(),
            "duration_minutes": 30, "summary": "Appel à la mère"}
    return body | overrides


def _count(world: World) -> int:
    with schema_context(world.acme.schema_name):
        return Interaction.objects.count()


def test_a_key_logs_an_exchange_as_the_admin_who_made_it(
    world: World, setting: dict[str, Any],
) -> None:
    admin = world.acme_members["admin"]
    key, raw = make_key(world.acme, "cases:write", actor=actor(admin, "admin"))
    case = setting["cases"]["alone"]
    response = key_client(world.acme, raw).post(
        f"/api/v1/cases/{case.pk}/interactions/",
        _exchange(clinical_note="jamais-enregistrée"), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["summary"] == "Appel à la mère"
    assert body["duration_minutes"] == 30
    with schema_context(world.acme.schema_name):
        saved = Interaction.objects.get(pk=body["id"])
        assert saved.staff_id == admin.pk
        assert saved.created_by_id == admin.pk
        assert saved.clinical_note == ""
        assert list(saved.cases.values_list("pk", flat=True)) == [case.pk]
        entry = AuditLog.objects.get(action="interaction.create", object_id=str(saved.pk))
        assert entry.actor_id == admin.pk
        call = AuditLog.objects.get(action="api.interactions")
        assert call.detail["key"] == key.prefix
        assert call.detail["as_user"] == admin.pk
        assert call.detail["status"] == 201


def test_keys_that_may_not_write_save_nothing(world: World, setting: dict[str, Any]) -> None:
    path = f"/api/v1/cases/{setting['cases']['alone'].pk}/interactions/"
    _read, read_only = make_key(world.acme, "cases:read",
                                actor=actor(world.acme_members["admin"], "admin"))
    refused = key_client(world.acme, read_only).post(path, _exchange(),
                                                     content_type="application/json")
    assert problem_of(refused, 403)["code"] == "scope_missing"
    _op, operator = make_key(world.acme, "cases:write")  # made by an operator: nobody
    refused = key_client(world.acme, operator).post(path, _exchange(),
                                                    content_type="application/json")
    assert problem_of(refused, 403)["code"] == "key_without_author"
    _beta, beta = make_key(world.beta, "cases:write", actor=actor(world.beta_admin, "admin"))
    problem_of(key_client(world.acme, beta).post(path, _exchange(),
                                                 content_type="application/json"), 401)
    on_beta = key_client(world.beta, beta).post(path, _exchange(),
                                                content_type="application/json")
    assert on_beta.status_code in (201, 400, 404)  # beta's own case of that id, if any
    assert b"Lina" not in on_beta.content
    assert _count(world) == 1


@pytest.mark.parametrize(("role", "case", "status"), [
    ("listener", "listened", 201), ("listener", "alone", 404), ("psychologist", "followed", 201),
    ("coordinator", "alone", 201), ("read_only", "alone", 404), ("volunteer", "alone", 404),
])
def test_members_log_exchanges_where_their_page_lets_them(
    world: World, setting: dict[str, Any], role: str, case: str, status: int,
) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    response = client.post(f"/api/v1/cases/{setting['cases'][case].pk}/interactions/",
                           _exchange(), content_type="application/json", **JSON)
    assert response.status_code == status, response.content[:300]
    assert _count(world) == (2 if status == 201 else 1)
    if status == 201:
        with schema_context(world.acme.schema_name):
            assert Interaction.objects.get(pk=response.json()["id"]).staff_id == \
                world.acme_members[role].pk


@pytest.mark.parametrize(("overrides", "field"), [
    ({"kind": 999999}, "kind"),
    ({"kind": "interview"}, "kind"),
    ({"channel": "pigeon"}, "channel"),
    ({"occurred_at": "2999-01-01T10:00:00+01:00"}, "occurred_at"),
    ({"occurred_at": "hier"}, "occurred_at"),
    ({"duration_minutes": 0}, "duration_minutes"),
    ({"summary": "x" * 5001}, "summary"),
])
def test_bad_input_is_refused_in_french_or_english_and_saves_nothing(
    world: World, setting: dict[str, Any], overrides: dict[str, Any], field: str,
    english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "cases:write",
                         actor=actor(world.acme_members["admin"], "admin"))
    client = key_client(world.acme, raw)
    path = f"/api/v1/cases/{setting['cases']['alone'].pk}/interactions/"
    french = problem_of(client.post(path, _exchange(**overrides),
                                    content_type="application/json"), 400)
    assert [e["field"] for e in french["errors"]] == [field]
    assert french["title"] == "Requête invalide"
    english = problem_of(client.post(path, _exchange(**overrides),
                                     content_type="application/json",
                                     HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert english["title"] == "Invalid request"
    assert english["errors"][0]["message"] != french["errors"][0]["message"]
    assert _count(world) == 1
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action="interaction.create").exclude(
            actor_id=world.acme_members["psychologist"].pk).exists()
