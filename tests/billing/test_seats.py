"""Seats: the Stripe quantity follows the active members (after commit, through a task,
with an idempotency key per change), and a plan's limit is refused with a clear message."""

from __future__ import annotations

from typing import Any

import pytest

from billing.models import Subscription
from billing.services import subscription_plan_choose, subscription_seats_sync
from onboarding.team import invitations
from onboarding.team import services as team
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Membership
from tests.billing.conftest import Prices, remote
from tests.billing.test_webhooks import subscribe
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_seat_sync_follows_members_removed_and_added(
    world: World, stripe_on: Prices, django_capture_on_commit_callbacks: Any,
):
    made = subscribe(world, stripe_on)
    assert int(remote(made["id"])["items"]["data"][0]["quantity"]) == 6
    admin = world.acme_members["admin"]
    volunteer = Membership.objects.get(association=world.acme,
                                       user=world.acme_members["volunteer"])
    with django_capture_on_commit_callbacks() as callbacks:
        team.member_deactivate(actor=admin, membership=volunteer)
    assert len(callbacks) == 1  # the sync task, enqueued after commit
    subscription = Subscription.objects.get(association=world.acme)
    assert subscription.seats_version == 1
    subscription_seats_sync(subscription_pk=subscription.pk)
    subscription_seats_sync(subscription_pk=subscription.pk)  # a retried task: harmless
    assert int(remote(made["id"])["items"]["data"][0]["quantity"]) == 5
    assert Subscription.objects.get(pk=subscription.pk).quantity == 5

    with django_capture_on_commit_callbacks() as callbacks:
        team.member_reactivate(actor=admin, membership=volunteer)
    assert len(callbacks) == 1
    subscription_seats_sync(subscription_pk=subscription.pk)
    assert int(remote(made["id"])["items"]["data"][0]["quantity"]) == 6
    subscription.refresh_from_db()
    assert (subscription.quantity, subscription.seats_version) == (6, 2)


def test_a_rolled_back_change_sends_nothing(
    world: World, stripe_on: Prices, django_capture_on_commit_callbacks: Any,
):
    subscribe(world, stripe_on)
    admin = world.acme_members["admin"]
    own = Membership.objects.get(association=world.acme, user=admin)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError):
        team.member_deactivate(actor=admin, membership=own)  # the last admin: refused
    assert callbacks == []


def test_no_sync_for_a_plan_not_billed_per_member(
    world: World, django_capture_on_commit_callbacks: Any,
):
    admin = world.acme_members["admin"]
    volunteer = Membership.objects.get(association=world.acme,
                                       user=world.acme_members["volunteer"])
    with django_capture_on_commit_callbacks() as callbacks:
        team.member_deactivate(actor=admin, membership=volunteer)
    assert callbacks == []


def test_solidaire_holds_three_members_and_says_so(world: World):
    admin = world.beta_admin
    subscription_plan_choose(actor=admin, association=world.beta, plan_code="solidaire")
    invitations.invitation_create(actor=admin, association=world.beta,
                                  email="un@beta.example", role="listener")
    invitations.invitation_create(actor=admin, association=world.beta,
                                  email="deux@beta.example", role="listener")
    with pytest.raises(ApplicationError) as refused:
        invitations.invitation_create(actor=admin, association=world.beta,
                                      email="trois@beta.example", role="listener")
    assert refused.value.code == ErrorCode.SEAT_LIMIT
    assert refused.value.message == (
        "Votre offre Solidaire compte 3 places et 3 sont occupées (membres actifs et "
        "invitations en attente). Choisissez une offre plus grande, révoquez une invitation "
        "ou désactivez un membre.")
    assert world.beta.invitations.count() == 2


def test_a_team_too_big_for_solidaire_cannot_choose_it(world: World):
    with pytest.raises(ApplicationError) as refused:
        subscription_plan_choose(actor=world.acme_members["admin"], association=world.acme,
                                 plan_code="solidaire")
    assert refused.value.message.startswith("L'offre Solidaire compte 3 places, mais votre "
                                            "équipe en occupe déjà 6")
    assert not Subscription.objects.filter(association=world.acme,
                                           plan_code="solidaire").exists()


def test_paid_plans_cannot_be_chosen_without_paying(world: World):
    with pytest.raises(ApplicationError):
        subscription_plan_choose(actor=world.acme_members["admin"], association=world.acme,
                                 plan_code="mensuel")
    assert not Subscription.objects.filter(plan_code="mensuel").exists()


def test_a_running_paid_subscription_is_not_silently_replaced(world: World):
    Subscription.objects.update_or_create(association=world.beta, defaults={
        "plan_code": "mensuel", "status": "active", "stripe_status": "active",
        "stripe_subscription_id": "sub_running", "quantity": 1})
    with pytest.raises(ApplicationError) as refused:
        subscription_plan_choose(actor=world.beta_admin, association=world.beta,
                                 plan_code="solidaire")
    assert refused.value.message.startswith("Votre abonnement payant est en cours")
    assert Subscription.objects.get(association=world.beta).plan_code == "mensuel"
