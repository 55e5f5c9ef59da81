"""Membership is enforced on every association host; sessions stay on their host."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from tenants.models import Membership
from tenants.tenancy.services import membership_deactivate
from tests.conftest import PASSWORD, World, host_client, signed_in

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_sign_in(world: World) -> None:
    response = host_client(world.acme).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["admin", "coordinator", "psychologist", "listener",
                                  "volunteer", "read_only"])
def test_every_role_enters_its_own_association(world: World, role: str) -> None:
    assert signed_in(world.acme_members[role], world.acme).get("/").status_code == 200


def test_member_of_another_association_sees_nothing(world: World) -> None:
    client = host_client(world.acme)
    client.post("/accounts/login/", {"login": world.beta_admin.email, "password": PASSWORD})
    response = client.get("/")
    assert response.status_code == 403
    assert "Acme Solidarité" not in response.content.decode().split("<main", 1)[1]


def test_account_without_membership_sees_nothing(world: World) -> None:
    client = signed_in(world.outsider, world.acme)
    assert client.get("/").status_code == 403


def test_session_cookie_is_host_only(world: World) -> None:
    client = host_client(world.acme)
    response = client.post(
        "/accounts/login/", {"login": world.acme_members["admin"].email, "password": PASSWORD}
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["domain"] == ""
    assert cookie["httponly"]


def test_session_from_one_host_is_worthless_on_another(world: World) -> None:
    """A session opened on acme's host, replayed on beta's host, finds no session there."""
    acme_client = signed_in(world.acme_members["admin"], world.acme)
    session_key = acme_client.cookies["sessionid"].value
    beta_client = host_client(world.beta)
    beta_client.cookies["sessionid"] = session_key
    response = beta_client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    # and the session row lives in acme's schema only
    from django_tenants.utils import schema_context

    with schema_context("a_beta"):
        assert not SessionStore().exists(session_key)
    with schema_context("a_acme"):
        assert SessionStore().exists(session_key)


def test_deactivation_cuts_access_on_next_request(world: World) -> None:
    user = world.acme_members["listener"]
    client = signed_in(user, world.acme)
    assert client.get("/").status_code == 200
    membership = Membership.objects.get(user=user, association=world.acme)
    membership_deactivate(actor=world.acme_members["admin"], membership=membership)
    assert client.get("/").status_code == 403


def test_public_host_session_does_not_open_an_association(world: World) -> None:
    client = signed_in(world.acme_members["admin"])
    session_key = client.cookies["sessionid"].value
    acme = host_client(world.acme)
    acme.cookies["sessionid"] = session_key
    assert acme.get("/").status_code == 302
