"""Refusals that happen before the API's views (the second factor, a suspended
subscription, a closing association) answer an API call with a problem in JSON, never with
an HTML page or a redirect to one; and nothing is written."""

from __future__ import annotations

from django_tenants.utils import schema_context

from tenants.models import Association
from tests.billing.test_entitlements import _read_only
from tests.conftest import World, signed_in
from tests.tracking.api.conftest import key_client, make_key, problem_of
from tests.tracking.api.test_referrals import REFERRAL, _post
from tracking.models import Case, Referral


def test_a_psychologist_without_a_second_factor_gets_a_problem_not_a_redirect(
    world: World,
) -> None:
    client = signed_in(world.acme_members["psychologist"], world.acme, second_factor=False)
    body = problem_of(client.get("/api/v1/cases/", HTTP_ACCEPT="application/json"), 403)
    assert body["code"] == "second_factor_required"
    assert "application d'authentification" in body["detail"]
    # The pages still send them to the set-up page.
    assert client.get("/dossiers/").status_code == 302


def test_a_suspended_subscription_refuses_api_writes_with_a_problem(world: World) -> None:
    _key, raw = make_key(world.acme, "cases:read", "cases:write")
    _read_only(world)
    client = key_client(world.acme, raw)
    body = problem_of(client.post("/api/v1/cases/", "{}", content_type="application/json"),
                      403)
    assert body["code"] == "billing_read_only"
    assert client.get("/api/v1/cases/").status_code == 200  # reading goes on


def test_a_closing_association_refuses_api_referrals_with_the_help_lines(world: World) -> None:
    _key, raw = make_key(world.acme, "referrals:write")
    world.acme.state = Association.State.CLOSING
    world.acme.save()
    try:
        body = problem_of(_post(key_client(world.acme, raw), REFERRAL), 403)
        assert body["code"] == "association_closing"
        assert "3018" in body["detail"]
        with schema_context(world.acme.schema_name):
            assert not Referral.objects.exists()
            assert not Case.objects.exists()
    finally:  # the host cache keeps the association as saved: forget the closing one
        world.acme.state = Association.State.ACTIVE
        world.acme.save()


def test_a_session_post_needs_the_csrf_token_a_key_does_not(world: World) -> None:
    """A signed-in browser is the only caller that a forged cross-site form could use:
    its API writes need the CSRF token, as the pages' forms do. A key is no cookie."""
    client = signed_in(world.acme_members["coordinator"], world.acme)
    client.handler.enforce_csrf_checks = True
    body = problem_of(_post(client, REFERRAL, HTTP_ACCEPT="application/json"), 403)
    assert "CSRF" in body["detail"]
    with schema_context(world.acme.schema_name):
        assert not Referral.objects.exists()
    client.get("/dossiers/")  # a page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    created = _post(client, REFERRAL, HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201, created.content
    _key, raw = make_key(world.acme, "referrals:write")
    keyed = key_client(world.acme, raw)
    keyed.handler.enforce_csrf_checks = True
    assert _post(keyed, {**REFERRAL, "first_name": "Inès"}).status_code == 201
