"""Public sign-up: checks, duplicates (nothing created), e-mail verification link."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from onboarding.models import DPA_VERSION, TERMS_VERSION, SignUp
from onboarding.services import signup as signup_services
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import AuditEntry
from tests.conftest import SentTask, World, host_client
from tests.onboarding.helpers import last_link, sign_up

pytestmark = pytest.mark.django_db


def provisioning_sent(tasks_sent: list[SentTask]) -> list[int]:
    """Sign-up ids handed to the provisioning task (no worker in these tests)."""
    return [t.args[0] for t in tasks_sent if t.name == "onboarding.signup_provision_task"]


def test_sign_up_records_the_accepted_texts_and_mails_a_link(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    before = timezone.now()
    signup = sign_up(django_capture_on_commit_callbacks, identifier="732 829 320 00074")
    signup.refresh_from_db()
    assert (signup.status, signup.identifier_kind, signup.identifier, signup.identity_key,
            signup.slug, signup.email, signup.terms_version, signup.dpa_version) == (
        "pending", "siret", "73282932000074", "732829320", "mains-tendues",
        "direction@mains-tendues.example", TERMS_VERSION, DPA_VERSION)
    assert before <= signup.terms_accepted_at == signup.dpa_accepted_at <= timezone.now()
    assert signup.password_hash.startswith("pbkdf2_sha256$")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["direction@mains-tendues.example"]
    assert mail.outbox[0].subject == (
        "Relier — confirmez votre adresse pour créer l'espace de Les Mains Tendues")
    token = last_link("verifier")
    assert signup.token_hash != token
    assert len(signup.token_hash or "") == 64


@pytest.mark.parametrize(("overrides", "code", "field"), [
    ({"slug": "acme"}, ErrorCode.SLUG_TAKEN, "slug"),  # an existing association
    ({"slug": "admin"}, ErrorCode.SLUG_RESERVED, "slug"),
    ({"slug": "Mains_Tendues"}, ErrorCode.SLUG_INVALID, "slug"),
    ({"identifier": "732829321"}, ErrorCode.IDENTIFIER_INVALID, "identifier"),
    ({"password": "motdepasse"}, ErrorCode.PASSWORD_INVALID, "password"),
    ({"email": "pas-une-adresse"}, ErrorCode.EMAIL_INVALID, "email"),
    ({"accept_terms": False}, ErrorCode.TERMS_REQUIRED, "accept_terms"),
    ({"accept_dpa": False}, ErrorCode.TERMS_REQUIRED, "accept_dpa"),
    ({"association_name": "X"}, ErrorCode.NAME_INVALID, "association_name"),
])
def test_bad_input_is_refused_and_nothing_is_created(
    world: World, django_capture_on_commit_callbacks: Any, overrides: dict[str, Any],
    code: ErrorCode, field: str,
) -> None:
    with pytest.raises(ApplicationError) as caught:
        sign_up(django_capture_on_commit_callbacks, **overrides)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert SignUp.objects.count() == 0
    assert mail.outbox == []


def test_duplicate_identifier_or_address_of_a_pending_sign_up_is_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    first = sign_up(django_capture_on_commit_callbacks, identifier="732829320")
    with pytest.raises(ApplicationError) as same_person:
        # Another establishment (SIRET) of the same association.
        sign_up(django_capture_on_commit_callbacks, identifier="73282932000074",
                slug="autre-adresse")
    assert same_person.value.code == ErrorCode.IDENTIFIER_TAKEN
    assert same_person.value.message == (
        "Une association avec l'identifiant 73282932000074 a déjà un espace Relier ou une "
        "inscription en cours. Si c'est la vôtre, demandez à son administrateur de vous "
        "inviter ; sinon écrivez-nous.")
    with pytest.raises(ApplicationError) as same_slug:
        sign_up(django_capture_on_commit_callbacks, identifier="W930000001")
    assert (same_slug.value.code, same_slug.value.message) == (
        ErrorCode.SLUG_TAKEN, "L'adresse « mains-tendues » est déjà prise.")
    assert list(SignUp.objects.values_list("pk", flat=True)) == [first.pk]
    assert len(mail.outbox) == 1


def test_a_stale_unverified_sign_up_frees_its_identifier(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    old = sign_up(django_capture_on_commit_callbacks)
    SignUp.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    new = sign_up(django_capture_on_commit_callbacks)
    old.refresh_from_db()
    assert (old.status, new.status) == ("expired", "pending")


def test_verification_link_works_once_and_enqueues_provisioning(
    world: World, django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask]
) -> None:
    signup = sign_up(django_capture_on_commit_callbacks)
    token = last_link("verifier")
    with django_capture_on_commit_callbacks(execute=True):
        signup_services.signup_verify(token=token)
    signup.refresh_from_db()
    assert signup.status == "verified"
    assert signup.email_verified_at is not None
    assert provisioning_sent(tasks_sent) == [signup.pk]
    with pytest.raises(ApplicationError) as again:
        signup_services.signup_verify(token=token)
    assert again.value.message.startswith("Ce lien a déjà servi")
    assert provisioning_sent(tasks_sent) == [signup.pk]
    assert AuditEntry.objects.filter(action="signup.verified").count() == 1


def test_expired_link_is_refused_and_a_resent_link_replaces_it(
    world: World, django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask]
) -> None:
    signup = sign_up(django_capture_on_commit_callbacks)
    old = last_link("verifier")
    SignUp.objects.filter(pk=signup.pk).update(
        token_sent_at=timezone.now() - timedelta(hours=49))
    with pytest.raises(ApplicationError) as expired:
        signup_services.signup_verify(token=old)
    assert expired.value.message == (
        "Ce lien a expiré (il est valable 48 heures). Demandez-en un nouveau depuis la page "
        "de votre inscription.")
    with django_capture_on_commit_callbacks(execute=True):
        signup_services.signup_resend(public_id=signup.public_id)
    new = last_link("verifier")
    assert new != old
    with pytest.raises(ApplicationError) as dead:
        signup_services.signup_verify(token=old)
    assert dead.value.code == ErrorCode.SIGNUP_LINK_INVALID
    assert SignUp.objects.get(pk=signup.pk).status == "pending"
    signup_services.signup_verify(token=new)
    assert SignUp.objects.get(pk=signup.pk).status == "verified"


def test_resend_is_refused_within_a_minute(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    signup = sign_up(django_capture_on_commit_callbacks)
    with pytest.raises(ApplicationError) as caught:
        signup_services.signup_resend(public_id=signup.public_id)
    assert caught.value.code == ErrorCode.SIGNUP_RATE_LIMITED
    assert len(mail.outbox) == 1


def test_sign_up_page_creates_a_sign_up_and_shows_errors_in_french(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    client = host_client()
    assert client.get("/inscription/").status_code == 200
    form = {"association_name": "Les Mains Tendues", "identifier": "W751234567",
            "slug": "acme", "contact_name": "Nadia Benali",
            "email": "direction@mains-tendues.example",
            "password": "un-mot-de-passe-solide-42", "accept_terms": "on",
            "accept_dpa": "on"}
    refused = client.post("/inscription/", form)
    assert refused.status_code == 400
    assert "L&#x27;adresse « acme » est déjà prise." in refused.content.decode()
    assert SignUp.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/inscription/", {**form, "slug": "mains-tendues"})
    signup = SignUp.objects.get()
    assert created.status_code == 302
    assert created["Location"] == f"/inscription/{signup.public_id}/"
    page = client.get(created["Location"])
    assert "Vérifiez votre adresse e-mail" in page.content.decode()


def test_honeypot_creates_nothing(world: World) -> None:
    response = host_client().post("/inscription/", {
        "association_name": "Robot", "identifier": "W751234567", "slug": "robot-asso",
        "contact_name": "Robot", "email": "robot@spam.example",
        "password": "un-mot-de-passe-solide-42", "accept_terms": "on", "accept_dpa": "on",
        "website": "http://spam.example"})
    assert response.status_code == 200
    assert SignUp.objects.count() == 0
    assert mail.outbox == []


def test_verification_page_asks_before_using_the_link(
    world: World, django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask]
) -> None:
    signup = sign_up(django_capture_on_commit_callbacks)
    token = last_link("verifier")
    client = host_client()
    assert client.get(f"/inscription/verifier/{token}/").status_code == 200
    assert SignUp.objects.get(pk=signup.pk).status == "pending"  # a GET uses nothing
    response = client.post(f"/inscription/verifier/{token}/")
    assert response["Location"] == f"/inscription/{signup.public_id}/"
    assert client.session["onboarding_verified"] == str(signup.public_id)
    refused = host_client().get(f"/inscription/verifier/{token}/")
    assert refused.status_code == 400


def test_a_mail_server_down_fails_no_sign_up_and_the_link_can_be_sent_again(
    world: World, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from onboarding import emails

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(emails, "send_mail", refuse)
    signup = sign_up(django_capture_on_commit_callbacks)  # no exception after commit
    assert SignUp.objects.get(pk=signup.pk).status == "pending"
    assert mail.outbox == []
    assert "the verify e-mail was not sent" in caplog.text
    monkeypatch.undo()  # the mail server is back; the sign-up's page sends it again
    SignUp.objects.filter(pk=signup.pk).update(
        token_sent_at=timezone.now() - timedelta(minutes=2))
    with django_capture_on_commit_callbacks(execute=True):
        signup_services.signup_resend(public_id=signup.public_id)
    assert [m.to for m in mail.outbox] == [[signup.email]]
    signup_services.signup_verify(token=last_link("verifier"))
    assert SignUp.objects.get(pk=signup.pk).status == "verified"
