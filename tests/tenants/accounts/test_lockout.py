"""Lockout after repeated sign-in failures (django-axes with allauth; tenants/accounts/lockout.py):
exactly N failures lock an account, a locked account is refused with a French page even with
the right password, a success before N forgets the failures, the lockout ends with the
cool-off, one address trying many accounts is stopped too, and the count is the same on the
platform host and on every association's host (axes' tables are in the public schema)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from freezegun import freeze_time

from tenants.models import AuditEntry, Role, User
from tenants.tenancy.services import membership_create
from tests.conftest import PASSWORD, World, host_client

pytestmark = pytest.mark.django_db

N = settings.AXES_FAILURE_LIMIT
IP_LIMIT = settings.RELIER_LOCKOUT_IP_LIMIT
LOCKED = "Connexion temporairement bloquée"
ATTACKER = "203.0.113.66"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """Every attempt checks a password: a fast hasher keeps this module quick (the accounts
    below are made with it; the lockout does not depend on the hasher)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _member(world: World, email: str) -> str:
    user = User.objects.create_user(email, password=PASSWORD)
    membership_create(actor=None, association=world.acme, user=user, role=Role.LISTENER)
    return user.email


@pytest.fixture
def person(world: World, fast_hashing: None) -> str:
    return _member(world, "verrou@acme.example")


@pytest.fixture
def colleague(world: World, fast_hashing: None) -> str:
    return _member(world, "collegue-verrou@acme.example")


def attempt(client: Client, email: str, password: str = "pas-le-bon-mot-de-passe",
            ip: str = "198.51.100.10") -> tuple[int, str]:
    response = client.post("/accounts/login/", {"login": email, "password": password},
                           REMOTE_ADDR=ip)
    return response.status_code, response.content.decode()


def signed_in_as(client: Client, association: object = None) -> bool:
    from django_tenants.utils import schema_context

    schema = getattr(association, "schema_name", "public")
    with schema_context(schema):
        return "_auth_user_id" in client.session


def test_the_settings_are_the_ones_the_tests_read() -> None:
    assert N == 5
    assert IP_LIMIT == 20
    assert timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_exactly_n_failures_lock_and_the_right_password_is_refused(
    world: World, person: str,
) -> None:
    email = person
    client = host_client(world.acme)
    for _ in range(N - 1):
        status, body = attempt(client, email)
        assert status == 200
        assert LOCKED not in body
    status, body = attempt(client, email)  # the N-th failure
    assert status == 429
    assert LOCKED in body
    assert "15 minutes" in body
    assert "même avec le bon mot de passe" in body

    status, body = attempt(client, email, PASSWORD)
    assert status == 429
    assert LOCKED in body
    assert not signed_in_as(client, world.acme)
    # Tries during the lockout neither count nor extend it.
    assert AccessAttempt.objects.get(username=email).failures_since_start == N


def test_n_minus_one_failures_do_not_lock(world: World, person: str) -> None:
    email = person
    client = host_client(world.acme)
    for _ in range(N - 1):
        assert attempt(client, email)[0] == 200
    status, _ = attempt(client, email, PASSWORD)
    assert status == 302
    assert signed_in_as(client, world.acme)


def test_a_success_before_n_forgets_the_failures(world: World, person: str) -> None:
    email = person
    for _ in range(N - 1):
        attempt(host_client(world.acme), email)
    assert attempt(host_client(world.acme), email, PASSWORD)[0] == 302
    assert not AccessAttempt.objects.filter(username=email).exists()
    # A fresh allowance: N - 1 more failures still leave the account open.
    for _ in range(N - 1):
        assert attempt(host_client(world.acme), email)[0] == 200
    assert attempt(host_client(world.acme), email, PASSWORD)[0] == 302


def test_the_lockout_ends_after_the_cool_off(world: World, person: str) -> None:
    email = person
    start = timezone.now()
    with freeze_time(start):
        for _ in range(N):
            attempt(host_client(world.acme), email)
    with freeze_time(start + timedelta(minutes=14, seconds=59)):
        assert attempt(host_client(world.acme), email, PASSWORD)[0] == 429
    with freeze_time(start + timedelta(minutes=15, seconds=1)):
        client = host_client(world.acme)
        assert attempt(client, email, PASSWORD)[0] == 302
        assert signed_in_as(client, world.acme)


def test_spellings_of_one_address_are_one_account(world: World, person: str) -> None:
    email = person
    spellings = ["Verrou@Acme.example", " verrou@acme.example ", "VERROU@ACME.EXAMPLE",
                 "verrou@acme.example", "vErrou@acme.Example"]
    for spelling in spellings[: N - 1]:
        assert attempt(host_client(world.acme), spelling)[0] == 200
    assert attempt(host_client(world.acme), spellings[N - 1])[0] == 429
    assert list(AccessAttempt.objects.values_list("username", flat=True).distinct()) == [email]


def test_failures_count_from_every_address_against_the_account(
    world: World, person: str, colleague: str,
) -> None:
    """An attacker changing address still locks the account (and only that account)."""
    email = person
    for i in range(N - 1):
        assert attempt(host_client(world.acme), email, ip=f"192.0.2.{i + 1}")[0] == 200
    assert attempt(host_client(world.acme), email, ip="192.0.2.99")[0] == 429
    other = colleague
    assert attempt(host_client(world.acme), other, PASSWORD, ip="192.0.2.99")[0] == 302


def test_one_address_trying_many_accounts_is_stopped(world: World, colleague: str) -> None:
    emails = [f"inconnu{i}@acme.example" for i in range(IP_LIMIT)]
    for email in emails[:-1]:  # one failure each: no account comes near N
        assert attempt(host_client(world.acme), email, ip=ATTACKER)[0] == 200
    status, body = attempt(host_client(world.acme), emails[-1], ip=ATTACKER)
    assert status == 429
    assert LOCKED in body
    # From that address even a real account with its right password is refused...
    volunteer = colleague
    assert attempt(host_client(world.acme), volunteer, PASSWORD, ip=ATTACKER)[0] == 429
    # ...and from elsewhere the same account signs in.
    assert attempt(host_client(world.acme), volunteer, PASSWORD, ip="198.51.100.20")[0] == 302


def test_a_valid_account_does_not_reset_its_address_count(world: World, colleague: str) -> None:
    """Signing into one's own account between guesses forgets only that account's failures,
    not the address's guesses on the others."""
    volunteer = colleague
    for i in range(IP_LIMIT - 1):
        attempt(host_client(world.acme), f"cible{i}@acme.example", ip=ATTACKER)
        if i % 5 == 4:
            assert attempt(host_client(world.acme), volunteer, PASSWORD, ip=ATTACKER)[0] == 302
    assert attempt(host_client(world.acme), "cible-derniere@acme.example", ip=ATTACKER)[0] == 429


def test_the_count_is_shared_by_the_platform_and_association_hosts(
    world: World, person: str,
) -> None:
    email = person
    for _ in range(2):
        assert attempt(host_client(), email)[0] == 200  # platform host
    for _ in range(2):
        assert attempt(host_client(world.acme), email)[0] == 200
    assert attempt(host_client(world.beta), email)[0] == 429  # the N-th, on another host
    assert attempt(host_client(), email, PASSWORD)[0] == 429
    assert attempt(host_client(world.acme), email, PASSWORD)[0] == 429


def test_the_django_admin_sign_in_respects_the_lockout(world: World) -> None:
    operator = User.objects.create_superuser("operateur@relier.test", password=PASSWORD)
    for _ in range(N):
        attempt(host_client(), operator.email)
    client = host_client()
    # The admin's own form is replaced by allauth's sign-in (second factor,
    # tenants/accounts/mfa.py),
    # which is the one axes watches: the locked operator cannot get in that way either.
    response = client.post("/admin/login/?next=/admin/",
                           {"username": operator.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not signed_in_as(client)
    status, page = attempt(client, operator.email, PASSWORD)
    assert status == 429
    assert LOCKED in page
    assert not signed_in_as(client)


def test_the_operator_command_unlocks_at_once(world: World, person: str) -> None:
    email = person
    for _ in range(N):
        attempt(host_client(world.acme), email)
    assert attempt(host_client(world.acme), email, PASSWORD)[0] == 429
    call_command("account_unlock", email=" Verrou@Acme.example")
    assert attempt(host_client(world.acme), email, PASSWORD)[0] == 302
    entry = AuditEntry.objects.get(action="signin.unlocked")
    assert entry.detail["email"] == email
    assert entry.detail["attempts"] == 1


def test_the_operator_command_unlocks_an_address(world: World, colleague: str) -> None:
    for i in range(IP_LIMIT):
        attempt(host_client(world.acme), f"inconnu{i}@acme.example", ip=ATTACKER)
    volunteer = colleague
    assert attempt(host_client(world.acme), volunteer, PASSWORD, ip=ATTACKER)[0] == 429
    call_command("account_unlock", ip=ATTACKER)
    assert attempt(host_client(world.acme), volunteer, PASSWORD, ip=ATTACKER)[0] == 302


def test_operators_see_attempts_in_the_admin() -> None:
    assert AccessAttempt in admin.site._registry


def test_the_attempts_table_is_in_the_public_schema_only(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_schema FROM information_schema.tables "
                       "WHERE table_name = 'axes_accessattempt'")
        assert [row[0] for row in cursor.fetchall()] == ["public"]

