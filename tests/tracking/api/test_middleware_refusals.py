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
    body = problem_of(_post(key_client(world.acme, raw), REFERRAL), 403)
    assert body["code"] == "association_closing"
    assert "3018" in body["detail"]
    with schema_context(world.acme.schema_name):
        assert not Referral.objects.exists()
        assert not Case.objects.exists()
