"""What every signed-in request reads — its session, its account, its memberships — with SQL
compiled once per connection (relier_platform.prepared, relier_platform.sessions,
tenants.accounts.authentication), and the Content-Security-Policy header built once
(relier_platform.security_headers): the same objects and answers as the ORM, each schema
reading its own rows, and every refusal immediate."""

from __future__ import annotations

from typing import Any

import pytest
from csp.decorators import csp_update
from csp.utils import build_policy
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from relier_platform.prepared import PreparedRead
from relier_platform.security_headers import ContentSecurityPolicyMiddleware
from relier_platform.sessions import SESSION_READ, SessionStore
from tenants.accounts import selectors
from tenants.models import Membership
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


def test_prepared_memberships_equal_the_querysets_with_related_objects(world: World) -> None:
    user = world.acme_members["admin"]
    expected = list(selectors.membership_list_for_user(user=user))
    got = selectors.membership_list_for_user_every_request(user=user)
    assert [(m.pk, m.role, m.association_id) for m in got] == [
        (m.pk, m.role, m.association_id) for m in expected]
    assert [m.__dict__.keys() for m in got] == [m.__dict__.keys() for m in expected]
    with CaptureQueriesContext(connection) as captured:  # select_related came along
        names = [(m.association.name, m.association.schema_name) for m in got]
        for m in got:
            assert Membership.association.is_cached(m)
    assert names == [("Acme Solidarité", "a_acme")]
    assert captured.captured_queries == []
    assert selectors.user_get_every_request(user_id=user.pk) == user
    assert selectors.user_get_every_request(user_id=-1) is None


def test_prepared_sql_names_no_schema_and_each_schema_reads_its_own_sessions(
        world: World) -> None:
    acme = signed_in(world.acme_members["coordinator"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    acme_key, beta_key = acme.session.session_key, beta.session.session_key
    sql = SESSION_READ.compiled().sql
    for schema in ("a_acme", "a_beta", '"public".'):
        assert schema not in sql
    with schema_context("a_acme"):
        assert SessionStore(acme_key).load()["_auth_user_id"] == str(
            world.acme_members["coordinator"].pk)
        assert SessionStore(beta_key).load() == {}
    with schema_context("a_beta"):
        assert SessionStore(beta_key).load()["_auth_user_id"] == str(world.beta_admin.pk)
        assert SessionStore(acme_key).load() == {}
        assert not Session.objects.filter(session_key=acme_key).exists()


def test_a_sample_missing_from_the_sql_is_refused() -> None:
    read: PreparedRead[Session] = PreparedRead(
        lambda key: Session.objects.filter(session_key="fixed"), key="\x00absent")
    with pytest.raises(ValueError, match="sample"):
        read(key="x")


def _sent_to_sign_in(response: HttpResponseBase) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_deactivated_account_is_refused_on_its_next_request(world: World) -> None:
    user = world.acme_members["listener"]
    client = signed_in(user, world.acme)
    assert client.get("/dossiers/").status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    try:
        assert _sent_to_sign_in(client.get("/dossiers/"))
    finally:
        user.is_active = True
        user.save(update_fields=["is_active"])


def test_a_deactivated_membership_is_refused_on_its_next_request(world: World) -> None:
    user = world.acme_members["listener"]
    client = signed_in(user, world.acme)
    assert client.get("/dossiers/").status_code == 200
    Membership.objects.filter(user=user, association=world.acme).update(is_active=False)
    try:
        assert client.get("/dossiers/").status_code == 403
    finally:
        Membership.objects.filter(user=user, association=world.acme).update(is_active=True)


def test_a_changed_password_ends_the_session_on_its_next_request(world: World) -> None:
    user = world.acme_members["volunteer"]
    client = signed_in(user, world.acme)
    assert client.get("/groupes/").status_code == 200
    old = user.password
    user.set_password("un-tout-autre-mot-de-passe")
    user.save(update_fields=["password"])
    try:
        assert _sent_to_sign_in(client.get("/groupes/"))
    finally:
        user.password = old
        user.save(update_fields=["password"])


def _respond(view: Any) -> HttpResponseBase:
    request = RequestFactory().get("/")
    middleware = ContentSecurityPolicyMiddleware(view)
    middleware.process_request(request)
    return middleware.process_response(request, view(request))


def test_csp_header_built_once_equals_django_csp(settings: Any) -> None:
    def plain(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert _respond(plain)["Content-Security-Policy"] == build_policy()
    # A setting changed (override_settings) is taken into account at once.
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    assert _respond(plain)["Content-Security-Policy"] == "default-src 'none'"


def test_csp_nonce_and_per_view_policies_take_django_csp_path() -> None:
    def with_nonce(request: HttpRequest) -> HttpResponse:
        return HttpResponse(str(request.csp_nonce))  # type: ignore[attr-defined]

    response: Any = _respond(with_nonce)
    assert f"'nonce-{response.content.decode()}'" in response["Content-Security-Policy"]

    @csp_update({"img-src": "https://example.org"})
    def updated(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    assert "https://example.org" in _respond(updated)["Content-Security-Policy"]
    assert "https://example.org" not in build_policy()


def test_prepared_on_the_server_and_each_schema_still_reads_its_own(world: World) -> None:
    """Unlogged reads are PostgreSQL prepared statements, planned again when the
    search_path changes: alternating schemas well past psycopg's first executions."""
    acme = signed_in(world.acme_members["coordinator"], world.acme)
    beta = signed_in(world.beta_admin, world.beta)
    acme_key, beta_key = acme.session.session_key, beta.session.session_key
    for _ in range(8):
        with schema_context("a_acme"):
            assert SessionStore(acme_key).load()["_auth_user_id"] == str(
                world.acme_members["coordinator"].pk)
            assert SessionStore(beta_key).load() == {}
        with schema_context("a_beta"):
            assert SessionStore(beta_key).load()["_auth_user_id"] == str(world.beta_admin.pk)
            assert SessionStore(acme_key).load() == {}
    assert not connection.queries_logged
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "django_session"' in statement for statement in prepared)
