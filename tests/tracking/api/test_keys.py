"""API keys (tracking/api/): hashed at rest, bound to their association's host, refused
once revoked or expired or when their admin left, audited, rate-limited per key; the
command that prints one; the admins' page that creates and revokes them."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Membership, Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.factories import actor
from tracking.api.models import ApiKey
from tracking.api.throttling import ApiRateThrottle
from tracking.models import AuditLog

pytestmark = pytest.mark.django_db
WHOAMI = "/api/v1/whoami/"


def test_only_a_digest_of_the_key_is_stored(world: World) -> None:
    key, raw = make_key(world.acme, "referrals:write")
    assert raw.startswith("rlr_")
    assert len(raw) == 4 + 8 + 1 + 43
    assert key.prefix == raw[:12]
    secret = raw[13:]
    with schema_context(world.acme.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(k)::text FROM tracking_apikey k WHERE id = %s",
                       [key.pk])
        (row,) = cursor.fetchone()
        stored = ApiKey.objects.get(pk=key.pk)
    assert secret not in row
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert stored.scopes == ["referrals:write"]


def test_a_key_works_on_its_association_host_and_notes_its_use(world: World) -> None:
    key, raw = make_key(world.acme, "cases:read", "referrals:write", expires_in_days=30)
    response = key_client(world.acme, raw).get(WHOAMI)
    assert response.status_code == 200
    body = response.json()
    assert body["association"] == "acme"
    assert body["role"] is None
    assert body["key"]["prefix"] == key.prefix
    assert body["key"]["scopes"] == ["referrals:write", "cases:read"]
    with schema_context(world.acme.schema_name):
        assert ApiKey.objects.get(pk=key.pk).last_used_at is not None
        entry = AuditLog.objects.filter(action="api.whoami").get()
    assert entry.actor_id is None
    assert entry.detail == {"method": "GET", "path": WHOAMI, "status": 200,
                            "key": key.prefix}


def test_a_key_is_useless_on_another_host(world: World) -> None:
    key, raw = make_key(world.acme)
    body = problem_of(key_client(world.beta, raw).get(WHOAMI), 401)
    assert body["code"] == "invalid_api_key"
    with schema_context(world.beta.schema_name):
        assert not AuditLog.objects.filter(action__startswith="api.").exists()
    # The platform host has no association endpoint at all.
    platform = key_client(None, raw).get(WHOAMI)
    assert platform.status_code == 404
    assert key.prefix.encode() not in platform.content


def test_a_revoked_key_is_refused(world: World) -> None:
    from tracking.api.services import api_key_revoke

    key, raw = make_key(world.acme)
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context(world.acme.schema_name):
        api_key_revoke(actor=admin, key=key)
        api_key_revoke(actor=admin, key=key)  # idempotent: one audit entry
        assert AuditLog.objects.filter(action="api_key.revoked").count() == 1
    problem_of(key_client(world.acme, raw).get(WHOAMI), 401)


def test_an_expired_key_is_refused(world: World) -> None:
    key, raw = make_key(world.acme, expires_in_days=1)
    with schema_context(world.acme.schema_name):
        ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    problem_of(key_client(world.acme, raw).get(WHOAMI), 401)


def test_the_key_of_an_admin_who_is_no_longer_one_is_refused(world: World) -> None:
    admin = world.acme_members["admin"]
    _key, raw = make_key(world.acme, actor=actor(admin, "admin"))
    assert key_client(world.acme, raw).get(WHOAMI).status_code == 200
    Membership.objects.filter(user=admin, association=world.acme).update(role="coordinator")
    problem_of(key_client(world.acme, raw).get(WHOAMI), 401)


@pytest.mark.parametrize("header", ["Bearer", "Bearer rlr_AAAAAAAA_" + "x" * 43,
                                    "Bearer a b", "Bearer rlr_\u00e9"])
def test_wrong_or_missing_credentials_answer_401(world: World, header: str) -> None:
    client = host_client(world.acme, HTTP_AUTHORIZATION=header, HTTP_ACCEPT="application/json")
    problem_of(client.get(WHOAMI), 401)
    anonymous = host_client(world.acme, HTTP_ACCEPT="application/json").get(WHOAMI)
    problem_of(anonymous, 401)
    assert anonymous["WWW-Authenticate"] == 'Bearer realm="api"'


def test_members_call_with_their_session_outsiders_get_403(world: World) -> None:
    member = signed_in(world.acme_members["listener"], world.acme)
    assert member.get(WHOAMI, HTTP_ACCEPT="application/json").json()["role"] == "listener"
    coordinator = User.objects.create_user("coord@reseau.example", password="x" * 12)
    network_coordinator_add(actor=None, network=Network.objects.create(name="Réseau"),
                            user=coordinator)
    for outsider in (world.beta_admin, coordinator, world.outsider):
        client = signed_in(outsider, world.acme)
        body = problem_of(client.get(WHOAMI, HTTP_ACCEPT="application/json"), 403)
        assert body["code"] == "not_member"


def test_calls_are_limited_per_key_and_counted_per_association(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(ApiRateThrottle.THROTTLE_RATES, "api", "2/minute")
    key, raw = make_key(world.acme)
    other_key, other_raw = make_key(world.acme)
    client = key_client(world.acme, raw)
    assert [client.get(WHOAMI).status_code for _ in range(2)] == [200, 200]
    refused = client.get(WHOAMI)
    problem_of(refused, 429)
    assert int(refused["Retry-After"]) > 0
    assert key_client(world.acme, other_raw).get(WHOAMI).status_code == 200
    redis = cache._cache.get_client()  # type: ignore[attr-defined]
    names = [k.decode() for k in redis.scan_iter(match="*api-throttle:key:*")]
    assert any(n.startswith("a_acme:") and n.endswith(f"api-throttle:key:{key.pk}")
               for n in names), names
    assert other_key.pk != key.pk


def test_the_command_prints_a_working_key_once(world: World) -> None:
    out, err = StringIO(), StringIO()
    call_command("api_key_create", association="acme", name="essai",
                 scopes="referrals:write", expires=90, stdout=out, stderr=err)
    raw = out.getvalue().strip()
    assert raw.startswith("rlr_")
    assert "essai" in err.getvalue()
    assert raw not in err.getvalue()
    assert key_client(world.acme, raw).get(WHOAMI).json()["key"]["scopes"] == [
        "referrals:write"]
    problem_of(key_client(world.beta, raw).get(WHOAMI), 401)


@pytest.mark.parametrize(("options", "message"), [
    ({"association": "nulle-part", "scopes": "cases:read"}, "Association introuvable"),
    ({"association": "acme", "scopes": "cases:read,tout"}, "Portée inconnue : tout"),
    ({"association": "acme", "scopes": ","}, "au moins une portée"),
    ({"association": "acme", "scopes": "cases:read", "expires": 0}, "de 1 à 730 jours"),
])
def test_the_command_refuses_bad_input_and_saves_nothing(
    world: World, options: dict[str, object], message: str,
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("api_key_create", name="essai", stdout=StringIO(), stderr=StringIO(),
                     **options)
    with schema_context(world.acme.schema_name):
        assert not ApiKey.objects.exists()


def test_admins_create_a_key_shown_once_then_revoke_it(world: World) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.get("/parametres/api/").status_code == 200
    created = client.post("/parametres/api/", {
        "name": "Logiciel du collège", "scopes": ["referrals:write", "cases:read"],
        "expires_in_days": "365"})
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    raw = created.context["created"][1]
    assert raw.encode() in created.content
    with schema_context(world.acme.schema_name):
        key = ApiKey.objects.get()
        assert key.created_by_id == world.acme_members["admin"].pk
        assert key.scopes == ["referrals:write", "cases:read"]
        assert AuditLog.objects.filter(action="api_key.created", object_id=str(key.pk)).exists()
    listed = client.get("/parametres/api/")
    assert raw.encode() not in listed.content
    assert key.prefix.encode() in listed.content
    assert key_client(world.acme, raw).get(WHOAMI).status_code == 200
    revoked = client.post(f"/parametres/api/{key.pk}/revoquer/")
    assert revoked.status_code == 302
    with schema_context(world.acme.schema_name):
        key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_by_id == world.acme_members["admin"].pk
    problem_of(key_client(world.acme, raw).get(WHOAMI), 401)


@pytest.mark.parametrize(("form", "field"), [
    ({"name": "", "scopes": ["cases:read"]}, "name"),
    ({"name": "x", "scopes": []}, "scopes"),
    ({"name": "x", "scopes": ["cases:read", "admin:all"]}, "scopes"),
    ({"name": "x", "scopes": ["cases:read"], "expires_in_days": "dix"}, "expires_in_days"),
    ({"name": "x", "scopes": ["cases:read"], "expires_in_days": "9999"}, "expires_in_days"),
    ({"name": "a\x00b", "scopes": ["cases:read"]}, "name"),
])
def test_the_key_form_refuses_bad_input_in_french_and_saves_nothing(
    world: World, form: dict[str, object], field: str,
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post("/parametres/api/", form)
    assert response.status_code == 400
    assert response.context["error"].field == field
    assert 'role="alert"' in response.content.decode()
    with schema_context(world.acme.schema_name):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", ["coordinator", "psychologist", "listener", "volunteer",
                                  "read_only"])
def test_only_admins_reach_the_key_pages(world: World, role: str) -> None:
    key, _raw = make_key(world.acme)
    client = signed_in(world.acme_members[role], world.acme)
    assert client.get("/parametres/api/").status_code == 404
    assert client.post("/parametres/api/", {"name": "x", "scopes": ["cases:read"]}
                       ).status_code == 404
    assert client.post(f"/parametres/api/{key.pk}/revoquer/").status_code == 404
    with schema_context(world.acme.schema_name):
        assert ApiKey.objects.get().revoked_at is None


@pytest.mark.parametrize("path", [WHOAMI, "/api/v1/cases/", "/api/v1/figures/"])
def test_an_unknown_format_with_a_wrong_key_is_a_problem_not_a_crash(world: World,
                                                                    path: str) -> None:
    """Refused before authentication ran: the audit step must not authenticate then."""
    response = key_client(world.acme, "rlr_faux").get(path, {"format": "null"})
    problem_of(response, 404)
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action__startswith="api.").exists()
