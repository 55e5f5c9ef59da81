"""A second factor (tenants/accounts/mfa.py): required of admins, psychologists and operators,
offered
to everyone; a code at every sign-in of whoever has one; every session but the current one
ended when a factor or the password changes (tenants/accounts/security.py)."""

from __future__ import annotations

import html
import re
import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from tenants.models import Association, AuditEntry, NetworkCoordinator, Role, User
from tenants.networks.services import network_create
from tenants.tenancy.services import membership_create
from tests.conftest import (
    PASSWORD,
    TOTP_SECRET,
    World,
    host_client,
    signed_in,
    totp_code,
    totp_give,
)

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"


def member(association: Association, role: str, email: str | None = None) -> User:
    """A new person with that role (no authenticator: world's people may have one)."""
    user = User.objects.create_user(email or f"{role}-mfa@{association.slug}.example",
                                    password=PASSWORD)
    membership_create(actor=None, association=association, user=user, role=role)
    return user


def code_now(secret: str = TOTP_SECRET) -> str:
    """The current code, never one about to expire (a test must not cross a 30 s step)."""
    if 30 - time.time() % 30 < 2:
        time.sleep(2)
    return totp_code(secret)


def live_sessions(user: User, schema_name: str) -> int:
    with schema_context(schema_name):
        return sum(1 for session in Session.objects.all()
                   if session.get_decoded().get("_auth_user_id") == str(user.pk))


def sign_in_with_password(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post("/accounts/login/", {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


# --- Who is required, who is offered -------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PSYCHOLOGIST])
def test_admin_or_psychologist_without_totp_is_sent_to_set_one_up_on_every_page(
    world: World, role: str,
) -> None:
    user = member(world.acme, role)
    client = signed_in(user, world.acme, second_factor=False)
    for path in ("/", "/dossiers/", "/dossiers/nouveau/", "/equipe/", "/parametres/parcours/",
                 "/chiffres/", "/journal/", "/groupes/", "/accounts/password/change/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == SETUP, path
    refused = client.post("/dossiers/nouveau/", {"town": "Montreuil"})
    assert refused["Location"] == SETUP
    with schema_context(world.acme.schema_name):
        from tracking.models import Case

        assert not Case.objects.filter(town="Montreuil").exists()
    # What stays open: setting it up, signing out, the referral form, health checks.
    for path in (SETUP, "/accounts/2fa/", "/signaler", "/healthz"):
        assert client.get(path).status_code == 200, path
    assert client.get("/accounts/logout/").status_code == 200
    # The association's public pages (open or closed by its settings: 200 or 404) are
    # never turned into the setup page.
    for path in ("/rendez-vous", "/question-psy/", "/question-psy/reponses/"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert response.get("Location") != SETUP, path


def test_the_setup_page_says_why(world: World) -> None:
    client = signed_in(member(world.acme, Role.ADMIN), world.acme, second_factor=False)
    page = client.get("/", follow=True)
    assert page.redirect_chain[-1][0] == SETUP
    assert "protégez votre compte par une application d'authentification" in (
        html.unescape(page.content.decode()))


def test_an_htmx_request_is_sent_to_the_setup_page_whole(world: World) -> None:
    client = signed_in(member(world.acme, Role.PSYCHOLOGIST), world.acme, second_factor=False)
    response = client.get("/dossiers/", HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == SETUP


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LISTENER, Role.VOLUNTEER,
                                  Role.READ_ONLY])
def test_other_roles_are_offered_a_second_factor_not_forced(world: World, role: str) -> None:
    client = signed_in(member(world.acme, role), world.acme, second_factor=False)
    response = client.get("/")
    assert response.status_code == 200
    assert "Sécurité du compte" in response.content.decode()
    assert client.get("/accounts/2fa/").status_code == 200


def test_the_role_that_counts_is_the_one_held_in_this_association(world: World) -> None:
    user = member(world.beta, Role.PSYCHOLOGIST, "psy-beta-benevole-acme@example.org")
    membership_create(actor=None, association=world.acme, user=user, role=Role.VOLUNTEER)
    assert signed_in(user, world.acme, second_factor=False).get("/").status_code == 200
    assert signed_in(user, world.beta, second_factor=False).get("/")["Location"] == SETUP


def test_with_totp_pages_open_and_cost_no_extra_query_once_known(world: World) -> None:
    client = signed_in(member(world.acme, Role.ADMIN), world.acme)
    assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/dossiers/").status_code == 200
    assert not [q for q in queries.captured_queries if "mfa_authenticator" in q["sql"]]


def test_operator_needs_a_second_factor_for_the_django_admin(world: World) -> None:
    operator = User.objects.create_user("operateur-mfa@relier.example", password=PASSWORD,
                                        is_staff=True, is_superuser=True)
    without = signed_in(operator, second_factor=False)
    assert without.get("/admin/")["Location"] == SETUP
    assert signed_in(operator).get("/admin/").status_code == 200


def test_the_django_admin_sign_in_form_is_allauths(world: World) -> None:
    """The admin's own form would skip the second factor: it sends to allauth's sign-in."""
    response = host_client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    operator = User.objects.create_user("operateur-form@relier.example", password=PASSWORD,
                                        is_staff=True)
    totp_give(operator)
    client = host_client()
    client.post("/admin/login/", {"username": operator.email, "password": PASSWORD})
    assert client.get("/admin/").status_code == 302  # not signed in by the admin's form


def test_network_coordinator_is_offered_not_forced(world: World) -> None:
    coordinator = User.objects.create_user("coord-mfa@reseau.example", password=PASSWORD)
    NetworkCoordinator.objects.create(user=coordinator,
                                      network=network_create(actor=None, name="Réseau MFA"))
    client = signed_in(coordinator, second_factor=False)
    response = client.get("/reseaux/", follow=True)
    assert response.status_code == 200
    assert "Sécurité du compte" in response.content.decode()


# --- Signing in -------------------------------------------------------------------------------


def test_sign_in_with_totp_asks_a_code_and_refuses_a_wrong_one(world: World) -> None:
    admin = member(world.acme, Role.ADMIN)
    totp_give(admin)
    client = host_client(world.acme)
    assert sign_in_with_password(client, admin.email).startswith("/accounts/2fa/authenticate/")
    assert client.get("/dossiers/")["Location"].startswith("/accounts/login/")  # not yet in

    right = code_now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    refused = client.post("/accounts/2fa/authenticate/", {"code": wrong})
    assert refused.status_code == 200
    assert "Code incorrect." in refused.content.decode()
    assert client.get("/dossiers/")["Location"].startswith("/accounts/login/")

    accepted = client.post("/accounts/2fa/authenticate/", {"code": right})
    assert accepted.status_code == 302
    assert client.get("/dossiers/").status_code == 200
    # The same code cannot be used twice (allauth remembers it for its 30 s).
    other = host_client(world.acme)
    sign_in_with_password(other, admin.email)
    assert other.post("/accounts/2fa/authenticate/", {"code": right}).status_code == 200
    assert other.get("/dossiers/")["Location"].startswith("/accounts/login/")


def test_a_recovery_code_signs_in_instead_of_the_app(world: World) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    psychologist = member(world.acme, Role.PSYCHOLOGIST)
    totp_give(psychologist)
    codes = RecoveryCodes.activate(psychologist).get_unused_codes()
    client = host_client(world.acme)
    sign_in_with_password(client, psychologist.email)
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200


def test_a_new_admin_sets_up_totp_then_reaches_the_association(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    admin = member(world.acme, Role.ADMIN)
    client = host_client(world.acme)
    assert sign_in_with_password(client, admin.email) == "/"
    assert client.get("/")["Location"] == SETUP
    # Just signed in with the password: no second password before the set-up.
    page = client.get(SETUP)
    assert page.status_code == 200
    match = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    assert match, page.content.decode()[:3000]
    secret = match.group(1)

    wrong = client.post(SETUP, {"code": "000000" if code_now(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=admin).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(SETUP, {"code": code_now(secret)})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/2fa/recovery-codes/"
    assert set(Authenticator.objects.filter(user=admin).values_list("type", flat=True)) == {
        "totp", "recovery_codes"}
    assert client.get("/").status_code == 200
    assert client.get("/equipe/").status_code == 200


# --- Sessions end when a factor changes ------------------------------------------------------


def test_adding_a_factor_ends_the_other_sessions_everywhere(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    listener = member(world.acme, Role.LISTENER)
    membership_create(actor=None, association=world.beta, user=listener, role=Role.VOLUNTEER)
    other_acme = signed_in(listener, world.acme, second_factor=False)
    other_beta = signed_in(listener, world.beta, second_factor=False)
    platform = signed_in(listener, second_factor=False)
    current = signed_in(listener, world.acme, second_factor=False)
    assert live_sessions(listener, "a_acme") == 2

    page = current.get(SETUP).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page)
    assert secret
    with django_capture_on_commit_callbacks(execute=True):
        assert current.post(SETUP, {"code": code_now(secret.group(1))}).status_code == 302

    for client in (other_acme, other_beta):
        assert client.get("/")["Location"].startswith("/accounts/login/")
    assert platform.get("/reseaux/")["Location"].startswith("/accounts/login/")
    assert current.get("/").status_code == 200
    assert live_sessions(listener, "a_acme") == 1
    assert live_sessions(listener, "a_beta") == 0
    assert live_sessions(listener, "public") == 0
    assert AuditEntry.objects.filter(action="account.sessions_ended", actor=listener,
                                     detail__reason="totp.added").exists()


def test_removing_the_totp_ends_the_other_sessions_and_asks_for_a_new_one(world: World) -> None:
    admin = member(world.acme, Role.ADMIN)
    other = signed_in(admin, world.acme)
    current = signed_in(admin, world.acme)
    assert other.get("/").status_code == 200
    assert current.get("/").status_code == 200
    assert current.post("/accounts/2fa/totp/deactivate/").status_code == 302
    assert not Authenticator.objects.filter(user=admin, type="totp").exists()
    assert other.get("/")["Location"].startswith("/accounts/login/")
    # Still signed in, but an admin again without a second factor.
    assert current.get("/")["Location"] == SETUP


def test_new_recovery_codes_end_the_other_sessions(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    psychologist = member(world.acme, Role.PSYCHOLOGIST)
    other = signed_in(psychologist, world.acme)
    current = signed_in(psychologist, world.acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = current.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert other.get("/")["Location"].startswith("/accounts/login/")
    assert current.get("/").status_code == 200
    assert AuditEntry.objects.filter(action="account.sessions_ended", actor=psychologist,
                                     detail__reason="recovery_codes.reset").exists()


def test_a_password_change_ends_every_session(world: World) -> None:
    volunteer = member(world.acme, Role.VOLUNTEER)
    other = signed_in(volunteer, world.acme, second_factor=False)
    platform = signed_in(volunteer, second_factor=False)
    current = signed_in(volunteer, world.acme, second_factor=False)
    response = current.post("/accounts/password/change/", {
        "oldpassword": PASSWORD, "password1": "un-autre-mot-de-passe-7",
        "password2": "un-autre-mot-de-passe-7"})
    assert response.status_code == 302
    assert live_sessions(volunteer, "a_acme") == 0
    assert live_sessions(volunteer, "public") == 0
    assert other.get("/")["Location"].startswith("/accounts/login/")
    assert platform.get("/reseaux/")["Location"].startswith("/accounts/login/")


def test_an_authenticator_removed_by_an_operator_ends_the_sessions_too(world: World) -> None:
    """Outside allauth's pages (the Django admin): no session keeps believing it has one."""
    admin = member(world.acme, Role.ADMIN)
    client = signed_in(admin, world.acme)
    assert client.get("/").status_code == 200  # the session now knows "has a TOTP"
    Authenticator.objects.filter(user=admin).delete()
    assert client.get("/")["Location"].startswith("/accounts/login/")
    assert live_sessions(admin, "a_acme") == 0
