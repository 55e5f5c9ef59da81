"""Account security (tenants/accounts/security.py): a second factor required for admins and
psychologists, lockout after repeated sign-in failures, session timeouts, sessions ended
when a role or a factor changes."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
)
from django.conf import settings
from django.test import Client
from django_tenants.utils import schema_context

from onboarding.team.services import member_role_change
from tenants.accounts.security import SEEN_SESSION_KEY, STARTED_SESSION_KEY
from tenants.models import Membership
from tests.conftest import PASSWORD, World, host_client, signed_in

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> int:
    return client.post("/accounts/login/", {"login": email, "password": password}).status_code


def _age(client: Client, world: World, key: str, seconds: int) -> None:
    """Move one timestamp of the client's session `seconds` into the past."""
    with schema_context(world.acme.schema_name):
        session = client.session
        session[key] = int(time.time()) - seconds
        session.save()


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_second_factor_is_offered_in_the_menu(world: World) -> None:
    client = host_client(world.acme)
    assert _sign_in(client, world.acme_members["volunteer"].email) == 302
    response = client.get("/")
    assert response.status_code == 200
    assert "Sécurité du compte" in response.content.decode()


def test_idle_session_ends(world: World) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get("/").status_code == 200
    _age(client, world, SEEN_SESSION_KEY, settings.SESSION_IDLE_TIMEOUT + 1)
    assert client.get("/")["Location"] == "/accounts/login/?next=/"
    with schema_context(world.acme.schema_name):
        assert "_auth_user_id" not in client.session


def test_session_ends_after_the_absolute_timeout_even_when_active(world: World) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get("/").status_code == 200
    _age(client, world, STARTED_SESSION_KEY, settings.SESSION_ABSOLUTE_TIMEOUT + 1)
    assert client.get("/")["Location"] == "/accounts/login/?next=/"


def test_active_session_within_timeouts_stays(world: World) -> None:
    client = signed_in(world.acme_members["volunteer"], world.acme)
    assert client.get("/").status_code == 200
    _age(client, world, SEEN_SESSION_KEY, settings.SESSION_IDLE_TIMEOUT - 60)
    assert client.get("/").status_code == 200


def test_role_change_ends_that_members_sessions_only(world: World) -> None:
    listener = signed_in(world.acme_members["listener"], world.acme)
    volunteer = signed_in(world.acme_members["volunteer"], world.acme)
    membership = Membership.objects.get(user=world.acme_members["listener"], association=world.acme)
    member_role_change(actor=world.acme_members["admin"], membership=membership,
                       role="coordinator")
    assert listener.get("/")["Location"] == "/accounts/login/?next=/"
    assert volunteer.get("/").status_code == 200
    with schema_context(world.acme.schema_name):
        assert Membership.objects.get(pk=membership.pk).role == "coordinator"
