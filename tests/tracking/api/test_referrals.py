"""POST /api/v1/referrals/: the referral form's road (rules, limit, staff notice) for a
partner's tool, idempotent with an Idempotency-Key header."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import SentTask, World, host_client, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tracking.models import AuditLog, Case, Referral

pytestmark = pytest.mark.django_db
URL = "/api/v1/referrals/"
REFERRAL = {
    "referrer_kind": "school", "referrer_name": "CPE du collège Jean-Moulin",
    "referrer_contact": "cpe@college.example", "first_name": "Yanis", "birth_year": 2012,
    "town": "Créteil",
    "description": "Un élève est insulté chaque jour sur un groupe de messagerie.",
}


def _post(client: Any, body: Any, **headers: Any) -> Any:
    return client.post(URL, json.dumps(body), content_type="application/json", **headers)


def _nothing_saved(world: World) -> None:
    with schema_context(world.acme.schema_name):
        assert not Case.objects.exists()
        assert not Referral.objects.exists()


def test_a_key_sends_a_referral_that_the_staff_see(
    world: World, django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask],
) -> None:
    key, raw = make_key(world.acme, "referrals:write")
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(key_client(world.acme, raw), REFERRAL)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "received_at"}
    with schema_context(world.acme.schema_name):
        referral = Referral.objects.select_related("case__detection_source").get()
        assert referral.pk == body["id"]
        assert referral.description == REFERRAL["description"]
        assert referral.case.first_name == "Yanis"
        assert referral.case.detection_source.code == "referral_form"  # type: ignore[union-attr]
        assert AuditLog.objects.filter(action="referral.received").count() == 1
        call = AuditLog.objects.get(action="api.referral_create")
        assert call.detail["key"] == key.prefix
        assert call.detail["status"] == 201
        code = referral.case.code
    assert [(t.name, t.schema) for t in tasks_sent] == [
        ("tracking.referral_notify_task", "a_acme")]
    staff_page = signed_in(world.acme_members["coordinator"], world.acme).get("/dossiers/")
    assert code in staff_page.content.decode()


def test_a_key_without_the_scope_is_refused_and_nothing_saved(world: World) -> None:
    _key, raw = make_key(world.acme, "cases:read", "figures:read")
    body = problem_of(_post(key_client(world.acme, raw), REFERRAL), 403)
    assert body["code"] == "scope_missing"
    assert "referrals:write" in body["detail"]
    _nothing_saved(world)


def test_a_key_of_another_association_is_refused(world: World) -> None:
    _key, raw = make_key(world.beta, "referrals:write")
    problem_of(_post(key_client(world.acme, raw), REFERRAL), 401)
    _nothing_saved(world)


@pytest.mark.parametrize(("change", "field"), [
    ({"description": None}, "description"),
    ({"referrer_kind": "robot"}, "referrer_kind"),
    ({"description": "x" * 3001}, "description"),
    ({"referrer_name": "a\x00b"}, "referrer_name"),
    ({"birth_year": "douze"}, "birth_year"),
    ({"referrer_contact": ["a", "b"]}, "referrer_contact"),
])
def test_bad_input_is_refused_field_by_field_and_nothing_saved(
    world: World, change: dict[str, Any], field: str,
) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    body = {k: v for k, v in {**REFERRAL, **change}.items() if v is not None}
    problem = problem_of(_post(key_client(world.acme, raw), body), 400)
    assert problem["code"] == "invalid"
    assert problem["title"] == "Requête invalide"
    assert [e["field"] for e in problem["errors"]] == [field]
    _nothing_saved(world)


def test_a_birth_year_out_of_range_is_refused_in_french_or_english(
    world: World, english_catalogue: None,
) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    client = key_client(world.acme, raw)
    low = timezone.localdate().year - 26
    french = problem_of(_post(client, {**REFERRAL, "birth_year": 1950}), 400)
    assert french["errors"] == [{
        "field": "birth_year", "code": "min_value",
        "message": f"Assurez-vous que cette valeur est supérieure ou égale à\u00a0{low}."}]
    english = problem_of(_post(client, {**REFERRAL, "birth_year": 1950},
                               HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert english["title"] == "Invalid request"
    assert english["errors"][0]["message"] == (
        f"Ensure this value is greater than or equal to {low}.")
    _nothing_saved(world)


def test_a_service_refusal_is_a_problem_with_its_code_and_field(
    world: World, english_catalogue: None,
) -> None:
    """What a service raises (ApplicationError, already translated) becomes a 400 problem
    naming its code and field."""
    from django.utils import translation
    from rest_framework.test import APIRequestFactory

    from relier_platform.errors import ApplicationError, ErrorCode
    from relier_platform.problems import exception_handler

    request = APIRequestFactory().post(URL)
    with translation.override("en"):
        error = ApplicationError(translation.gettext("Choisissez au moins une portée."),
                                 code=ErrorCode.SCOPE_INVALID, field="scopes")
        response = exception_handler(error, {"request": request})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {
        "type": "https://relier.example/problemes/scope-invalid", "title": "Invalid request",
        "status": 400, "detail": "Choose at least one scope.", "instance": URL,
        "code": "scope_invalid", "errors": [{"field": "scopes", "code": "scope_invalid",
                                              "message": "Choose at least one scope."}]}


def test_the_same_idempotency_key_and_body_give_the_first_answer_again(world: World) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    client = key_client(world.acme, raw, HTTP_IDEMPOTENCY_KEY="transfert-2026-0042")
    first = _post(client, REFERRAL)
    again = _post(client, REFERRAL)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == 1
    conflict = problem_of(_post(client, {**REFERRAL, "town": "Vitry"}), 409)
    assert conflict["code"] == "idempotency_conflict"
    # Another key of the same association has its own idempotency keys.
    _other, other_raw = make_key(world.acme, "referrals:write")
    other = _post(key_client(world.acme, other_raw, HTTP_IDEMPOTENCY_KEY="transfert-2026-0042"),
                  REFERRAL)
    assert other.status_code == 201
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == 2


def test_a_refused_request_does_not_use_up_its_idempotency_key(world: World) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    client = key_client(world.acme, raw, HTTP_IDEMPOTENCY_KEY="essai-1")
    problem_of(_post(client, {**REFERRAL, "birth_year": 1950}), 400)
    assert _post(client, REFERRAL).status_code == 201


@pytest.mark.parametrize("value", ["", "é" * 3, "x" * 201, "a b"])
def test_a_malformed_idempotency_key_is_refused(world: World, value: str) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    client = key_client(world.acme, raw)
    problem = problem_of(_post(client, REFERRAL, HTTP_IDEMPOTENCY_KEY=value), 400)
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    _nothing_saved(world)


def test_the_referral_limit_holds_per_key_and_tells_whom_to_call(world: World) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    client = key_client(world.acme, raw)
    assert {_post(client, REFERRAL).status_code for _ in range(10)} == {201}
    refused = problem_of(_post(client, REFERRAL), 429)
    assert "3018" in refused["detail"]
    assert "119" in refused["detail"]
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == 10


@pytest.mark.parametrize(("role", "status"), [
    ("admin", 201), ("coordinator", 201), ("psychologist", 201), ("listener", 201),
    ("volunteer", 404), ("read_only", 404),
])
def test_members_send_referrals_as_their_role_allows(world: World, role: str,
                                                     status: int) -> None:
    client = signed_in(world.acme_members[role], world.acme)
    response = _post(client, REFERRAL, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == (1 if status == 201 else 0)


def test_outsiders_cannot_send_referrals_to_an_association(world: World) -> None:
    problem_of(_post(host_client(world.acme, HTTP_ACCEPT="application/json"), REFERRAL), 401)
    problem_of(_post(signed_in(world.beta_admin, world.acme), REFERRAL,
                     HTTP_ACCEPT="application/json"), 403)
    _nothing_saved(world)
