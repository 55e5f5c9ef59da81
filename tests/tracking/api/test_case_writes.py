"""POST /api/v1/cases/, PATCH /api/v1/cases/{id}/ and POST /api/v1/cases/{id}/contacts/:
each role writes where its pages let it (404 elsewhere, as the pages), keys with
`cases:write` as the admin who made them; through the pages' forms and services; bad input
saves nothing (400, French or English); a PATCH made from a stale version is refused (412)
and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.factories import actor, item, make_case
from tracking.models import AuditLog, Case, CaseContact, Contact

pytestmark = pytest.mark.django_db
JSON: dict[str, Any] = {"HTTP_ACCEPT": "application/json", "content_type": "application/json"}
LIST = "/api/v1/cases/"


@pytest.fixture
def cases(world: World) -> dict[str, Case]:
    admin = world.acme_members["admin"]
    return {
        "followed": make_case(world.acme, admin, staff=[world.acme_members["psychologist"]],
                              first_name="Inès"),
        "listened": make_case(world.acme, admin, staff=[world.acme_members["listener"]],
                              first_name="Noé"),
        "alone": make_case(world.acme, admin, first_name="Lina", town="Pantin"),
        "other": make_case(world.beta, world.beta_admin, first_name="Canari-Bêta"),
    }


def _new_case(**overrides: Any) -> dict[str, Any]:
    with schema_context("a_acme"):
        ids = {"programme": item("programme", "individual").pk,
               "situation_types": [item("situation_type", "bullying").pk]}
    body = {"first_name": "Sacha", "birth_year": timezone.localdate().year - 12,
            "gender": "other", "town": "Bobigny", "department": "93", "role": "targeted",
            **ids}
    return body | overrides


def _counts(world: World) -> tuple[int, int, int]:
    with schema_context(world.acme.schema_name):
        return Case.objects.count(), Contact.objects.count(), CaseContact.objects.count()


def _coordinator() -> User:
    user = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=user)
    return user


# --- POST /cases/ ----------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [
    ("admin", 201), ("coordinator", 201), ("psychologist", 201), ("listener", 201),
    ("read_only", 404), ("volunteer", 404),
])
def test_members_open_cases_where_their_page_lets_them(
    world: World, cases: dict[str, Case], role: str, status: int,
) -> None:
    before = _counts(world)
    client = signed_in(world.acme_members[role], world.acme)
    response = client.post(LIST, _new_case(), **JSON)
    assert response.status_code == status, response.content[:300]
    if status != 201:
        problem_of(response, 404)
        assert _counts(world) == before
        return
    body = response.json()
    assert _counts(world)[0] == before[0] + 1
    assert body == client.get(f"{LIST}{body['id']}/", HTTP_ACCEPT="application/json").json()
    assert response["Location"] == f"{LIST}{body['id']}/"
    assert body["town"] == "Bobigny"
    assert body["programme"]["label"]
    with schema_context(world.acme.schema_name):
        saved = Case.objects.get(pk=body["id"])
        assert [i.code for i in saved.situation_types.all()] == ["bullying"]
        # Whoever opens a case follows it unless they see every case (the service's rule).
        followers = set(saved.assigned_staff.values_list("pk", flat=True))
        assert (world.acme_members[role].pk in followers) == (
            role in ("psychologist", "listener"))
        assert AuditLog.objects.get(action="case.create", object_id=str(saved.pk)).actor_id \
            == world.acme_members[role].pk


def test_a_key_opens_a_case_as_the_admin_who_made_it(world: World,
                                                     cases: dict[str, Case]) -> None:
    admin = world.acme_members["admin"]
    key, raw = make_key(world.acme, "cases:write", actor=actor(admin, "admin"))
    response = key_client(world.acme, raw).post(LIST, _new_case(), content_type="application/json")
    assert response.status_code == 201, response.content
    with schema_context(world.acme.schema_name):
        saved = Case.objects.get(pk=response.json()["id"])
        assert AuditLog.objects.get(action="case.create", object_id=str(saved.pk)).actor_id \
            == admin.pk
        call = AuditLog.objects.get(action="api.case_list")
        assert call.detail["key"] == key.prefix
        assert call.detail["as_user"] == admin.pk


def test_who_may_not_open_cases_writes_nothing(world: World, cases: dict[str, Case]) -> None:
    before = _counts(world)
    admin = world.acme_members["admin"]
    _read, read_only = make_key(world.acme, "cases:read", actor=actor(admin, "admin"))
    refused = key_client(world.acme, read_only).post(LIST, _new_case(),
                                                     content_type="application/json")
    assert problem_of(refused, 403)["code"] == "scope_missing"
    _op, operator = make_key(world.acme, "cases:write")
    refused = key_client(world.acme, operator).post(LIST, _new_case(),
                                                    content_type="application/json")
    assert problem_of(refused, 403)["code"] == "key_without_author"
    _beta, beta = make_key(world.beta, "cases:write", actor=actor(world.beta_admin, "admin"))
    problem_of(key_client(world.acme, beta).post(LIST, _new_case(),
                                                 content_type="application/json"), 401)
    problem_of(signed_in(world.beta_admin, world.acme).post(LIST, _new_case(), **JSON), 403)
    assert signed_in(_coordinator(), world.acme).post(LIST, _new_case(),
                                                      **JSON).status_code == 403
    assert _counts(world) == before


@pytest.mark.parametrize(("overrides", "field"), [
    ({"role": "bully"}, "role"),
    ({"role": None}, "role"),
    ({"birth_year": "2012"}, "birth_year"),
    ({"birth_year": 1950}, "birth_year"),
    ({"programme": 999999}, "programme"),
    ({"situation_types": [999999]}, "situation_types"),
    ({"assigned_staff": [999999]}, "assigned_staff"),
    ({"opened_on": "2999-01-01"}, "opened_on"),
    ({"department": "9300"}, "department"),
])
def test_bad_cases_are_refused_in_french_or_english_and_save_nothing(
    world: World, cases: dict[str, Case], overrides: dict[str, Any], field: str,
    english_catalogue: None,
) -> None:
    before = _counts(world)
    _key, raw = make_key(world.acme, "cases:write",
                         actor=actor(world.acme_members["admin"], "admin"))
    client = key_client(world.acme, raw)
    french = problem_of(client.post(LIST, _new_case(**overrides),
                                    content_type="application/json"), 400)
    assert [e["field"] for e in french["errors"]] == [field]
    assert french["title"] == "Requête invalide"
    english = problem_of(client.post(LIST, _new_case(**overrides),
                                     content_type="application/json",
                                     HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert english["title"] == "Invalid request"
    assert english["errors"][0]["message"] != french["errors"][0]["message"]
    assert _counts(world) == before


# --- PATCH /cases/{id}/ ----------------------------------------------------------------


def _version(world: World, case: Case) -> int:
    with schema_context(world.acme.schema_name):
        return Case.objects.get(pk=case.pk).version


@pytest.mark.parametrize(("role", "case", "status"), [
    ("admin", "alone", 200), ("coordinator", "alone", 200),
    ("psychologist", "followed", 200), ("psychologist", "alone", 404),
    ("listener", "listened", 200), ("listener", "alone", 404),
    ("read_only", "alone", 404), ("volunteer", "alone", 404),
])
def test_members_edit_cases_where_their_page_lets_them(
    world: World, cases: dict[str, Case], role: str, case: str, status: int,
) -> None:
    edited = cases[case]
    version = _version(world, edited)
    client = signed_in(world.acme_members[role], world.acme)
    response = client.patch(f"{LIST}{edited.pk}/", {"town": "Aubervilliers",
                                                   "version": version}, **JSON)
    assert response.status_code == status, response.content[:300]
    with schema_context(world.acme.schema_name):
        saved = Case.objects.get(pk=edited.pk)
    if status != 200:
        problem_of(response, 404)
        assert (saved.town, saved.version) == (edited.town, version)
        return
    assert response.json()["town"] == "Aubervilliers"
    assert response.json()["version"] == version + 1
    # Only the field given changed.
    assert (saved.town, saved.first_name, saved.role) == (
        "Aubervilliers", edited.first_name, edited.role)


def test_a_patch_made_from_a_stale_version_is_refused_and_changes_nothing(
    world: World, cases: dict[str, Case], english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "cases:read", "cases:write",
                         actor=actor(world.acme_members["admin"], "admin"))
    client = key_client(world.acme, raw)
    path = f"{LIST}{cases['alone'].pk}/"
    etag = client.get(path)["ETag"]
    first = client.patch(path, {"first_name": "Léna"}, HTTP_IF_MATCH=etag,
                         content_type="application/json")
    assert first.status_code == 200, first.content
    assert first.json()["first_name"] == "Léna"
    stale = problem_of(client.patch(path, {"first_name": "Zoé"}, HTTP_IF_MATCH=etag,
                                    content_type="application/json"), 412)
    assert stale["code"] == "conflict"
    english = problem_of(client.patch(path, {"first_name": "Zoé"}, HTTP_IF_MATCH=etag,
                                      content_type="application/json",
                                      HTTP_ACCEPT_LANGUAGE="en"), 412)
    assert english["title"] == "Precondition failed"
    assert english["detail"].startswith("This case was changed")
    old_version = first.json()["version"] - 1
    problem_of(client.patch(path, {"first_name": "Zoé", "version": old_version},
                            content_type="application/json"), 412)
    assert problem_of(client.patch(path, {"first_name": "Zoé"},
                                   content_type="application/json"),
                      428)["code"] == "precondition_required"
    with schema_context(world.acme.schema_name):
        saved = Case.objects.get(pk=cases["alone"].pk)
        assert (saved.first_name, saved.version) == ("Léna", old_version + 1)
    fresh = client.get(path)["ETag"]
    assert client.patch(path, {"first_name": "Zoé"}, HTTP_IF_MATCH=fresh,
                        content_type="application/json").status_code == 200


@pytest.mark.parametrize(("change", "field"), [
    ({"role": "bully"}, "role"), ({"birth_year": 1950}, "birth_year"),
    ({"detection_source": 999999}, "detection_source"), ({"version": "3"}, "version"),
])
def test_bad_changes_save_nothing(world: World, cases: dict[str, Case],
                                  change: dict[str, Any], field: str) -> None:
    case = cases["alone"]
    version = _version(world, case)
    client = signed_in(world.acme_members["coordinator"], world.acme)
    refused = problem_of(client.patch(f"{LIST}{case.pk}/",
                                      {"town": "Ailleurs", "version": version} | change,
                                      **JSON), 400)
    assert [e["field"] for e in refused["errors"]] == [field]
    with schema_context(world.acme.schema_name):
        saved = Case.objects.get(pk=case.pk)
        assert (saved.town, saved.version) == ("Pantin", version)


def test_outsiders_edit_nothing(world: World, cases: dict[str, Case]) -> None:
    case = cases["alone"]
    version = _version(world, case)
    body = {"town": "Ailleurs", "version": version}
    _read, read_only = make_key(world.acme, "cases:read",
                                actor=actor(world.acme_members["admin"], "admin"))
    assert problem_of(key_client(world.acme, read_only).patch(
        f"{LIST}{case.pk}/", body, content_type="application/json"), 403)["code"] == \
        "scope_missing"
    _beta, beta = make_key(world.beta, "cases:write", actor=actor(world.beta_admin, "admin"))
    problem_of(key_client(world.acme, beta).patch(f"{LIST}{case.pk}/", body,
                                                  content_type="application/json"), 401)
    problem_of(signed_in(world.beta_admin, world.acme).patch(f"{LIST}{case.pk}/", body,
                                                             **JSON), 403)
    assert signed_in(_coordinator(), world.acme).patch(f"{LIST}{case.pk}/", body,
                                                       **JSON).status_code == 403
    # Acme's admin on acme cannot reach beta's case through its id.
    other = cases["other"]
    response = signed_in(world.acme_members["admin"], world.acme).patch(
        f"{LIST}{other.pk}/", body, **JSON)
    assert b"Canari" not in response.content
    with schema_context(world.beta.schema_name):
        assert Case.objects.get(pk=other.pk).town == other.town
    with schema_context(world.acme.schema_name):
        assert Case.objects.get(pk=case.pk).version == version


# --- POST /cases/{id}/contacts/ --------------------------------------------------------


def _contact(**overrides: Any) -> dict[str, Any]:
    return {"kind": "parent", "first_name": "Awa", "last_name": "D.",
            "relationship": "mère", "phone": "06 01 02 03 04",
            "email": "awa@example.org"} | overrides


@pytest.mark.parametrize(("role", "case", "status"), [
    ("admin", "alone", 201), ("coordinator", "alone", 201),
    ("psychologist", "followed", 201), ("psychologist", "alone", 404),
    ("listener", "listened", 201), ("listener", "alone", 404),
    ("read_only", "alone", 404), ("volunteer", "alone", 404),
])
def test_members_add_contacts_where_their_page_lets_them(
    world: World, cases: dict[str, Case], role: str, case: str, status: int,
) -> None:
    before = _counts(world)
    client = signed_in(world.acme_members[role], world.acme)
    response = client.post(f"{LIST}{cases[case].pk}/contacts/", _contact(), **JSON)
    assert response.status_code == status, response.content[:300]
    if status != 201:
        problem_of(response, 404)
        assert _counts(world) == before
        return
    body = response.json()
    assert body == client.get(f"/api/v1/contacts/{body['id']}/",
                              HTTP_ACCEPT="application/json").json()
    assert body["cases"] == [{"id": cases[case].pk, "code": cases[case].code,
                              "relationship": "mère"}]
    assert _counts(world)[1:] == (before[1] + 1, before[2] + 1)


def test_contacts_by_key_and_refusals(world: World, cases: dict[str, Case]) -> None:
    admin = world.acme_members["admin"]
    path = f"{LIST}{cases['alone'].pk}/contacts/"
    _key, raw = make_key(world.acme, "cases:write", actor=actor(admin, "admin"))
    created = key_client(world.acme, raw).post(path, _contact(),
                                               content_type="application/json")
    assert created.status_code == 201, created.content
    with schema_context(world.acme.schema_name):
        assert AuditLog.objects.get(action="contact.create",
                                    object_id=str(created.json()["id"])).actor_id == admin.pk
    before = _counts(world)
    _read, read_only = make_key(world.acme, "cases:read", actor=actor(admin, "admin"))
    assert problem_of(key_client(world.acme, read_only).post(
        path, _contact(), content_type="application/json"), 403)["code"] == "scope_missing"
    _beta, beta = make_key(world.beta, "cases:write", actor=actor(world.beta_admin, "admin"))
    problem_of(key_client(world.acme, beta).post(path, _contact(),
                                                 content_type="application/json"), 401)
    problem_of(signed_in(world.beta_admin, world.acme).post(path, _contact(), **JSON), 403)
    assert signed_in(_coordinator(), world.acme).post(path, _contact(),
                                                      **JSON).status_code == 403
    for bad, field in (({"kind": "voisin"}, "kind"), ({"email": "pas-un-mail"}, "email"),
                       ({"relationship": ""}, "relationship"),
                       ({"first_name": "x" * 81}, "first_name")):
        refused = problem_of(key_client(world.acme, raw).post(
            path, _contact(**bad), content_type="application/json"), 400)
        assert [e["field"] for e in refused["errors"]] == [field]
    assert _counts(world) == before
