"""Invitations: single-use token, 7-day expiry, resend, revoke, acceptance, seat limit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.utils import timezone

from billing.models import Subscription
from billing.services import subscription_create, subscription_plan_choose
from onboarding.models import Invitation
from onboarding.team import invitations as svc
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, Membership, User
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World, host_client, signed_in
from tests.onboarding.helpers import last_link

pytestmark = pytest.mark.django_db


def invite(capture: Any, actor: User, association: Association, email: str,
           role: str = "psychologist") -> tuple[Invitation, str]:
    with capture(execute=True):
        invitation = svc.invitation_create(actor=actor, association=association,
                                           email=email, role=role)
    return invitation, last_link("invitation")


def test_invitation_mail_and_acceptance_creates_the_account(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.acme_members["admin"]
    invitation, token = invite(django_capture_on_commit_callbacks, admin, world.acme,
                               "Psy@Nouvelle.example")
    assert invitation.email == "psy@nouvelle.example"
    assert invitation.token_hash != token
    assert (invitation.expires_at - invitation.sent_at) == timedelta(days=7)
    assert mail.outbox[-1].subject == (
        "Relier — vous êtes invité·e à rejoindre l'équipe de Acme Solidarité")
    assert "avec le rôle : Psychologue" in mail.outbox[-1].body
    _invitation, member = svc.invitation_accept(token=token, user=None,
                                                display_name="Léa Martin",
                                                password="un-mot-de-passe-solide-42")
    assert (member.email, member.display_name) == ("psy@nouvelle.example", "Léa Martin")
    assert check_password("un-mot-de-passe-solide-42", member.password)
    membership = Membership.objects.get(user=member, association=world.acme)
    assert (membership.role, membership.is_active) == ("psychologist", True)
    invitation.refresh_from_db()
    assert (invitation.state(), invitation.accepted_by_id) == ("accepted", member.pk)
    with pytest.raises(ApplicationError) as reused:
        svc.invitation_accept(token=token, user=member)
    assert (reused.value.code, reused.value.message) == (
        ErrorCode.INVITATION_USED,
        "Cette invitation a déjà été acceptée. Connectez-vous à l'espace de l'association.")


def test_expired_invitation_is_refused_and_nothing_changes(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    invitation, token = invite(django_capture_on_commit_callbacks,
                               world.acme_members["admin"], world.acme, "tard@asso.example")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ApplicationError) as caught:
        svc.invitation_accept(token=token, user=None, display_name="Tard",
                              password="un-mot-de-passe-solide-42")
    assert (caught.value.code, caught.value.message) == (
        ErrorCode.INVITATION_EXPIRED,
        "Cette invitation a expiré (elle était valable 7 jours). Demandez à l'association "
        "de vous la renvoyer.")
    assert not User.objects.filter(email="tard@asso.example").exists()


def test_resend_kills_the_old_link_and_revoke_kills_the_new(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.acme_members["admin"]
    invitation, old = invite(django_capture_on_commit_callbacks, admin, world.acme,
                             "deux-fois@asso.example")
    with django_capture_on_commit_callbacks(execute=True):
        svc.invitation_resend(actor=admin, invitation=invitation)
    new = last_link("invitation")
    assert new != old
    with pytest.raises(ApplicationError) as dead:
        svc.invitation_for_token(token=old)
    assert dead.value.code == ErrorCode.INVITATION_INVALID
    assert svc.invitation_for_token(token=new).pk == invitation.pk
    svc.invitation_revoke(actor=admin, invitation=invitation)
    with pytest.raises(ApplicationError) as revoked:
        svc.invitation_accept(token=new, user=None, display_name="X Y",
                              password="un-mot-de-passe-solide-42")
    assert (revoked.value.code, revoked.value.message) == (
        ErrorCode.INVITATION_REVOKED, "Cette invitation a été annulée par l'association.")
    assert Invitation.objects.get(pk=invitation.pk).send_count == 2


def test_a_second_pending_invitation_to_the_same_person_is_refused(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    admin = world.acme_members["admin"]
    invite(django_capture_on_commit_callbacks, admin, world.acme, "une@asso.example")
    with pytest.raises(ApplicationError) as caught:
        invite(django_capture_on_commit_callbacks, admin, world.acme, "UNE@asso.example")
    assert caught.value.code == ErrorCode.INVITATION_PENDING
    assert Invitation.objects.filter(email="une@asso.example").count() == 1
    with pytest.raises(ApplicationError) as member:
        invite(django_capture_on_commit_callbacks, admin, world.acme,
               world.acme_members["listener"].email)
    assert member.value.code == ErrorCode.MEMBERSHIP_EXISTS


def test_existing_account_must_sign_in_as_the_invited_address(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    beta_admin = world.beta_admin
    _invitation, token = invite(django_capture_on_commit_callbacks,
                               world.acme_members["admin"], world.acme, beta_admin.email)
    with pytest.raises(ApplicationError) as anonymous:
        svc.invitation_accept(token=token, user=None, display_name="X", password="y")
    assert anonymous.value.message == (
        "Un compte existe déjà pour admin@beta.example : connectez-vous pour accepter "
        "l'invitation.")
    with pytest.raises(ApplicationError) as wrong:
        svc.invitation_accept(token=token, user=world.outsider)
    assert wrong.value.code == ErrorCode.INVITATION_WRONG_ACCOUNT
    assert not Membership.objects.filter(user=beta_admin, association=world.acme).exists()
    svc.invitation_accept(token=token, user=beta_admin)
    assert Membership.objects.get(user=beta_admin, association=world.acme).role == (
        "psychologist")


@pytest.fixture
def small(world: World) -> tuple[Association, User]:
    """An association of its own on the smallest plan (5 seats), its admin holding one."""
    made = association_create(actor=None, slug="petite", name="Petite Asso",
                              admin_email="admin@petite.example", admin_password=PASSWORD)
    subscription_create(actor=None, association=made.association, plan_code="essentiel")
    return made.association, made.admin


def test_seat_limit_counts_members_and_pending_invitations(
    small: tuple[Association, User], django_capture_on_commit_callbacks: Any
) -> None:
    association, admin = small
    first = None
    for n in range(4):
        invitation, _token = invite(django_capture_on_commit_callbacks, admin, association,
                                    f"p{n}@petite.example")
        first = first or invitation
    with pytest.raises(ApplicationError) as caught:
        invite(django_capture_on_commit_callbacks, admin, association, "p5@petite.example")
    assert (caught.value.code, caught.value.message) == (
        ErrorCode.SEAT_LIMIT,
        "Votre offre Essentiel compte 5 places et 5 sont occupées (membres actifs et "
        "invitations en attente). Choisissez une offre plus grande, révoquez une invitation "
        "ou désactivez un membre.")
    assert Invitation.objects.filter(association=association).count() == 4
    assert first is not None
    svc.invitation_revoke(actor=admin, invitation=first)
    invite(django_capture_on_commit_callbacks, admin, association, "p5@petite.example")
    # An expired invitation frees its seat, and needs one again to be resent.
    Invitation.objects.filter(email="p1@petite.example").update(
        expires_at=timezone.now() - timedelta(days=1))
    invite(django_capture_on_commit_callbacks, admin, association, "p6@petite.example")
    with pytest.raises(ApplicationError) as resend:
        svc.invitation_resend(actor=admin,
                              invitation=Invitation.objects.get(email="p1@petite.example"))
    assert resend.value.code == ErrorCode.SEAT_LIMIT


def test_a_smaller_plan_is_refused_when_the_team_does_not_fit(world: World) -> None:
    admin = world.acme_members["admin"]  # acme: 6 active members
    with pytest.raises(ApplicationError) as caught:
        subscription_plan_choose(actor=admin, association=world.acme, plan_code="essentiel")
    assert caught.value.code == ErrorCode.SEAT_LIMIT
    assert not Subscription.objects.filter(association=world.acme).exists()
    subscription_plan_choose(actor=admin, association=world.acme, plan_code="reseau")
    assert Subscription.objects.get(association=world.acme).plan_code == "reseau"


def test_accept_page_creates_the_account_and_hands_off_to_the_workspace(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _invitation, token = invite(django_capture_on_commit_callbacks,
                                world.acme_members["admin"], world.acme, "page@asso.example")
    client = host_client()
    page = client.get(f"/inscription/invitation/{token}/")
    assert "Rejoindre l'équipe de Acme Solidarité" in page.content.decode()
    short = client.post(f"/inscription/invitation/{token}/",
                        {"display_name": "Page", "password": "court"})
    assert short.status_code == 400
    assert not User.objects.filter(email="page@asso.example").exists()
    response = client.post(f"/inscription/invitation/{token}/",
                           {"display_name": "Paul Page",
                            "password": "un-mot-de-passe-solide-42"})
    assert response.status_code == 302
    assert response["Location"].startswith("http://acme.relier.test/passage/?t=")
    acme = host_client(world.acme)
    home = acme.get(response["Location"].split("relier.test", 1)[1], follow=True)
    assert home.status_code == 200
    # In the workspace, a psychologist is first asked to set up a second factor
    # (tenants/accounts/mfa.py), after typing the password again (a pass between hosts is no proof).
    assert [url for url, _status in home.redirect_chain] == [
        "/", "/accounts/2fa/totp/activate/",
        "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"]
    assert acme.post(home.redirect_chain[-1][0], {"password": "un-mot-de-passe-solide-42"},
                     follow=True).redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    refused = host_client().get(f"/inscription/invitation/{token}/")
    assert refused.status_code == 400


def test_accept_page_for_a_signed_in_account(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    _invitation, token = invite(django_capture_on_commit_callbacks,
                                world.acme_members["admin"], world.acme, world.outsider.email,
                                role="volunteer")
    client = signed_in(world.outsider)
    assert "Vous êtes connecté·e en tant que" in client.get(
        f"/inscription/invitation/{token}/").content.decode()
    response = client.post(f"/inscription/invitation/{token}/")
    assert response.status_code == 302
    assert Membership.objects.get(user=world.outsider, association=world.acme).role == (
        "volunteer")
