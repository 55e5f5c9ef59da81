"""Rate limits (tenants/accounts/ratelimit.py and allauth's ACCOUNT_RATE_LIMITS): the allowed count
goes through, the next one answers 429 with a French page and writes nothing, and another
association (or another address) keeps its own allowance: every key carries the schema."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from onboarding.models import Invitation, SignUp
from tenants.accounts import ratelimit
from tenants.models import RateCounter
from tests.conftest import PASSWORD, World, host_client, signed_in
from tracking.models import Case, Referral

pytestmark = pytest.mark.django_db

REFERRAL = {
    "referrer_kind": "school", "referrer_name": "CPE du collège", "referrer_contact": "01 23 45",
    "first_name": "Yanis", "birth_year": "2012", "town": "Créteil",
    "description": "Un élève est insulté chaque jour sur un groupe de messagerie.",
}
IP = "198.51.100.9"


@pytest.fixture(autouse=True)
def fast_hashing(settings: Any) -> None:
    """Sign-ups hash a password: a fast hasher keeps this module quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def cases(schema: str) -> int:
    with schema_context(schema):
        return Case.objects.count()


# --- The public referral form (/signaler) ---


def test_referral_form_allows_ten_an_hour_then_gives_the_help_lines(world: World) -> None:
    client = host_client(world.acme)
    for _ in range(ratelimit.REFERRAL.count):
        assert client.post("/signaler", REFERRAL, REMOTE_ADDR=IP).status_code == 200
    assert ratelimit.REFERRAL.count == 10
    assert cases("a_acme") == 10

    refused = client.post("/signaler", REFERRAL, REMOTE_ADDR=IP)
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "Votre signalement n'a pas pu être envoyé" in body
    assert "<strong>3018</strong>" in body
    assert "<strong>119</strong>" in body
    with schema_context("a_acme"):
        assert Case.objects.count() == 10
        assert Referral.objects.count() == 10


def test_referral_limit_is_per_association_and_per_address(world: World) -> None:
    client = host_client(world.acme)
    for _ in range(ratelimit.REFERRAL.count + 1):
        client.post("/signaler", REFERRAL, REMOTE_ADDR=IP)
    assert cases("a_acme") == 10
    # Another association, same address: its own allowance.
    assert host_client(world.beta).post("/signaler", REFERRAL,
                                        REMOTE_ADDR=IP).status_code == 200
    assert cases("a_beta") == 1
    # Same association, another address.
    assert client.post("/signaler", REFERRAL, REMOTE_ADDR="198.51.100.10").status_code == 200
    assert cases("a_acme") == 11


def test_referral_mistakes_do_not_use_the_allowance(world: World) -> None:
    client = host_client(world.acme)
    for _ in range(15):
        response = client.post("/signaler", {**REFERRAL, "description": ""}, REMOTE_ADDR=IP)
        assert response.status_code == 400
    assert client.post("/signaler", REFERRAL, REMOTE_ADDR=IP).status_code == 200
    assert cases("a_acme") == 1


def test_the_counter_key_names_the_schema_and_stores_no_address(world: World) -> None:
    host_client(world.acme).post("/signaler", REFERRAL, REMOTE_ADDR=IP)
    host_client(world.beta).post("/signaler", REFERRAL, REMOTE_ADDR=IP)
    keys = []
    for schema in ("a_acme", "a_beta"):
        with schema_context(schema):
            keys.append(ratelimit.counter_key(ratelimit.REFERRAL, f"ip:{IP}"))
    assert keys[0] != keys[1]
    rows = dict(RateCounter.objects.values_list("key", "count"))
    assert rows == {keys[0]: 1, keys[1]: 1}
    assert not any(IP in key for key in rows)


def test_the_limits_hold_while_the_cache_keeps_nothing(
    world: World, settings: Any
) -> None:
    """Redis down: the cache (platform/cache.py) keeps nothing; the counters do not live
    there, so the eleventh referral is still refused."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    client = host_client(world.acme)
    for _ in range(ratelimit.REFERRAL.count):
        assert client.post("/signaler", REFERRAL, REMOTE_ADDR=IP).status_code == 200
    refused = client.post("/signaler", REFERRAL, REMOTE_ADDR=IP)
    assert refused.status_code == 429
    assert "3018" in refused.content.decode()
    assert cases("a_acme") == ratelimit.REFERRAL.count


def test_a_window_ends_and_is_purged(world: World) -> None:
    start = timezone.now()
    with freeze_time(start):
        for _ in range(ratelimit.REFERRAL.count):
            host_client(world.acme).post("/signaler", REFERRAL, REMOTE_ADDR=IP)
        assert host_client(world.acme).post("/signaler", REFERRAL,
                                            REMOTE_ADDR=IP).status_code == 429
    later = start + timedelta(seconds=ratelimit.REFERRAL.window + 1)
    with freeze_time(later):
        assert ratelimit.ratelimit_purge() == 1
        assert not RateCounter.objects.exists()
        assert host_client(world.acme).post("/signaler", REFERRAL,
                                            REMOTE_ADDR=IP).status_code == 200
        assert RateCounter.objects.get().count == 1


def test_ipv6_clients_count_by_their_64(world: World) -> None:
    client = host_client(world.acme)
    for i in range(ratelimit.REFERRAL.count):
        assert client.post("/signaler", REFERRAL,
                           REMOTE_ADDR=f"2001:db8:1:2::{i + 1}").status_code == 200
    assert client.post("/signaler", REFERRAL,
                       REMOTE_ADDR="2001:db8:1:2:ffff::1").status_code == 429
    assert client.post("/signaler", REFERRAL,
                       REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    world: World, settings: Any
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    client = host_client(world.acme)
    for i in range(ratelimit.REFERRAL.count):
        # The client forges a left-most hop; the proxy appends the address it saw.
        forwarded = f"10.0.0.{i}, {IP}"
        assert client.post("/signaler", REFERRAL, REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR=forwarded).status_code == 200
    assert client.post("/signaler", REFERRAL, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR=IP).status_code == 429
    assert client.post("/signaler", REFERRAL, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR="198.51.100.77").status_code == 200


# --- Sign-up of an association (/inscription/, platform host) ---


def signup_form(i: int) -> dict[str, str]:
    return {"association_name": f"Les Mains Tendues {i}", "identifier": f"W75123{i:04d}",
            "slug": f"mains-tendues-{i}", "contact_name": "Nadia Benali",
            "email": f"direction{i}@mains-tendues.example",
            "password": "un-mot-de-passe-solide-42", "accept_terms": "on", "accept_dpa": "on"}


def test_sign_up_allows_ten_an_hour_per_address(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = host_client()
    assert ratelimit.SIGNUP.count == 10
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(ratelimit.SIGNUP.count):
            assert client.post("/inscription/", signup_form(i), REMOTE_ADDR=IP).status_code == 302
    sent = len(mail.outbox)
    refused = client.post("/inscription/", signup_form(10), REMOTE_ADDR=IP)
    assert refused.status_code == 429
    assert "Trop de demandes" in refused.content.decode()
    assert SignUp.objects.count() == 10
    assert len(mail.outbox) == sent
    # Another address is not affected.
    assert client.post("/inscription/", signup_form(10),
                       REMOTE_ADDR="198.51.100.10").status_code == 302
    assert SignUp.objects.count() == 11


def test_sign_up_mistakes_do_not_use_the_allowance(world: World) -> None:
    """Refused by the form or by the service (the identifier is checked there): not
    counted."""
    client = host_client()
    for _ in range(12):
        for bad in ({**signup_form(1), "identifier": "W000"}, {**signup_form(1), "slug": "acme"},
                    {**signup_form(1), "email": "pas-une-adresse"}):
            assert client.post("/inscription/", bad, REMOTE_ADDR=IP).status_code == 400
    assert SignUp.objects.count() == 0
    assert client.post("/inscription/", signup_form(1), REMOTE_ADDR=IP).status_code == 302


def test_resending_the_verification_mail_is_limited(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = host_client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/inscription/", signup_form(1), REMOTE_ADDR=IP)
    signup = SignUp.objects.get()
    url = f"/inscription/{signup.public_id}/renvoyer/"
    start = timezone.now()
    # The service itself refuses a resend within a minute (not counted here): space them.
    for i in range(ratelimit.SIGNUP_RESEND.count):
        with freeze_time(start + timedelta(minutes=2 * (i + 1))), \
                django_capture_on_commit_callbacks(execute=True):
            assert client.post(url, REMOTE_ADDR=IP).status_code == 302
    sent = len(mail.outbox)
    assert sent == 1 + ratelimit.SIGNUP_RESEND.count
    with freeze_time(start + timedelta(minutes=20)):
        assert client.post(url, REMOTE_ADDR=IP).status_code == 429
    assert len(mail.outbox) == sent


# --- Invitations (team page, association host) ---


@pytest.fixture
def small_invite_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Smaller allowances than production's, to stay under the plan's seats."""
    monkeypatch.setattr(ratelimit, "INVITE_PER_USER", ratelimit.Limit("invite-user", 3, 3600))
    monkeypatch.setattr(ratelimit, "INVITE_PER_IP", ratelimit.Limit("invite-ip", 5, 3600))


def invite(client: Any, i: int, ip: str = IP) -> int:
    return int(client.post("/equipe/", {"email": f"recrue{i}@acme.example", "role": "listener"},
                           REMOTE_ADDR=ip).status_code)


def test_invitations_are_limited_per_admin(world: World, small_invite_limits: None) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    for i in range(3):
        assert invite(client, i) == 302
    assert invite(client, 3) == 429
    assert Invitation.objects.filter(association=world.acme).count() == 3
    # Another association's admin, same address: unaffected.
    beta = signed_in(world.beta_admin, world.beta)
    assert beta.post("/equipe/", {"email": "recrue@beta.example", "role": "listener"},
                     REMOTE_ADDR=IP).status_code == 302
    assert Invitation.objects.filter(association=world.beta).count() == 1


def test_a_refused_invitation_takes_nothing(world: World, small_invite_limits: None) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    assert invite(client, 0) == 302
    for _ in range(5):  # the same person again: refused by the service, not counted
        assert invite(client, 0) == 400
    assert invite(client, 1) == 302
    assert invite(client, 2) == 302
    assert invite(client, 3) == 429


def test_resending_invitations_counts_too(world: World, small_invite_limits: None) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    assert invite(client, 0) == 302
    invitation = Invitation.objects.get(association=world.acme)
    for _ in range(2):
        response = client.post("/equipe/action/", {"action": "resend", "id": invitation.pk},
                               REMOTE_ADDR=IP)
        assert response.status_code == 302
    sent = len(mail.outbox)
    response = client.post("/equipe/action/", {"action": "resend", "id": invitation.pk},
                           REMOTE_ADDR=IP)
    assert response.status_code == 429
    assert len(mail.outbox) == sent


def test_invitations_are_limited_per_address(
    world: World, small_invite_limits: None
) -> None:
    """Two admins of one association behind one address share the address's allowance."""
    from tenants.models import Role, User
    from tenants.tenancy.services import membership_create

    second = User.objects.create_user("admin2@acme.example", password=PASSWORD)
    membership_create(actor=None, association=world.acme, user=second, role=Role.ADMIN)
    first_client = signed_in(world.acme_members["admin"], world.acme)
    second_client = signed_in(second, world.acme)
    for i in range(3):
        assert invite(first_client, i) == 302
    for i in range(3, 5):
        assert invite(second_client, i) == 302
    assert invite(second_client, 5) == 429  # the address's 5 are used
    assert Invitation.objects.filter(association=world.acme).count() == 5
    # From another address the second admin still has one of their 3 (the refusal above
    # took nothing).
    assert invite(second_client, 5, ip="198.51.100.10") == 302
    assert invite(second_client, 6, ip="198.51.100.10") == 429


# --- allauth's own limits ---


def test_sign_in_requests_are_limited_per_address(world: World) -> None:
    client = host_client(world.acme)
    for _ in range(30):  # "30/m/ip"; empty forms never reach authenticate (no lockout)
        assert client.post("/accounts/login/", {"login": "", "password": ""},
                           REMOTE_ADDR=IP).status_code == 200
    response = client.post("/accounts/login/", {"login": "", "password": ""}, REMOTE_ADDR=IP)
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()


def test_password_reset_mails_are_limited_per_address_and_account(world: World) -> None:
    client = host_client(world.acme)
    email = world.acme_members["listener"].email
    for _ in range(3):  # "3/h/key"
        response = client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=IP)
        assert response.status_code == 302
    sent = len(mail.outbox)
    response = client.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=IP)
    assert response.status_code == 429
    assert len(mail.outbox) == sent
