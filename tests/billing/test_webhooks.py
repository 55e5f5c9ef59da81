"""The Stripe webhook: signature on the raw body, each event once, state re-read from
Stripe (the localstripe stand-in) whatever order the events come in."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
import stripe

from billing.models import Payer, StripeEvent, Subscription
from billing.services import members_billed, stripe_event_process
from tenants.models import AuditEntry, User
from tests.billing.conftest import (
    GOOD_CARD,
    Prices,
    card,
    deliver,
    event_body,
    local,
    remote,
    remote_subscription,
    sign,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


def process_pending() -> None:
    for pk in StripeEvent.objects.filter(processed_at__isnull=True).values_list(
            "pk", flat=True):
        stripe_event_process(event_pk=pk)


def subscribe(world: World, prices: Prices, *, quantity: int | None = None) -> dict[str, Any]:
    """Acme pays per member, monthly, as after a Stripe Checkout: the customer made by the
    gateway, then checkout.session.completed delivered and processed."""
    from billing.services import _payer_for

    admin = world.acme_members["admin"]
    payer = _payer_for(actor=admin, association=world.acme)
    assert payer.stripe_customer_id is not None
    card(payer.stripe_customer_id, GOOD_CARD)
    made = remote_subscription(customer_id=payer.stripe_customer_id, price=prices.monthly,
                               quantity=quantity or members_billed(world.acme),
                               association_id=world.acme.pk)
    body = event_body("checkout.session.completed", {
        "id": "cs_test_1", "object": "checkout.session", "mode": "subscription",
        "customer": payer.stripe_customer_id, "subscription": made["id"],
        "client_reference_id": str(world.acme.pk)})
    assert deliver(body).status_code == 200
    process_pending()
    return made


def snapshot(association_id: int) -> tuple[Any, ...]:
    s = local(association_id)
    return (s.plan_code, s.status, s.stripe_subscription_id, s.quantity, s.grace_started_at,
            StripeEvent.objects.count(), AuditEntry.objects.count())


def test_checkout_completed_links_the_stripe_subscription(world: World, stripe_on: Prices):
    made = subscribe(world, stripe_on)
    subscription = local(world.acme.pk)
    assert (subscription.plan_code, subscription.status, subscription.stripe_status,
            subscription.stripe_subscription_id, subscription.quantity) == (
        "mensuel", "active", "active", made["id"], 6)
    assert subscription.payer == Payer.objects.get(stripe_customer_id=made["customer"])
    assert StripeEvent.objects.get().processed_at is not None


@pytest.mark.parametrize("how", ["wrong_secret", "tampered_body", "no_header", "garbage",
                                 "stale", "old_signature_new_time"])
def test_forged_or_stale_signatures_are_refused_and_change_nothing(
    world: World, stripe_on: Prices, how: str, caplog: pytest.LogCaptureFixture,
):
    made = subscribe(world, stripe_on)
    before = snapshot(world.acme.pk)
    body = event_body("customer.subscription.deleted", {"id": made["id"]})
    now = int(time.time())
    signature, sent = {
        "wrong_secret": (sign(body, secret="whsec_not_ours"), body),
        "tampered_body": (sign(body), body.replace(b"deleted", b"updated")),
        "no_header": ("", body),
        "garbage": ("t=abc,v1=zzz", body),
        "stale": (sign(body, at=now - 301), body),  # tolerance: 300 s
        "old_signature_new_time": (
            sign(body, at=now - 100).replace(str(now - 100), str(now)), body),
    }[how]
    with caplog.at_level(logging.WARNING, logger="billing.views"):
        response = deliver(sent, signature)
    assert response.status_code == 400
    assert snapshot(world.acme.pk) == before
    assert [r.getMessage().split(":")[0] for r in caplog.records
            if r.name == "billing.views"] == ["stripe webhook refused"]


def test_a_signature_within_the_tolerance_is_accepted(world: World, stripe_on: Prices):
    body = event_body("customer.created", {"id": "cus_x"}, event_id="evt_tolerated")
    assert deliver(body, sign(body, at=int(time.time()) - 200)).status_code == 200
    assert StripeEvent.objects.get().event_id == "evt_tolerated"


def test_without_a_webhook_secret_everything_is_refused(world: World, settings: Any):
    settings.STRIPE_WEBHOOK_SECRET = ""
    body = event_body("invoice.paid", {"id": "in_x"})
    assert deliver(body, sign(body, secret="")).status_code == 400
    assert StripeEvent.objects.count() == 0


def test_the_same_event_delivered_twice_is_processed_once(
    world: World, stripe_on: Prices, django_capture_on_commit_callbacks: Any,
):
    made = subscribe(world, stripe_on)
    stripe.SubscriptionItem.modify(made["items"]["data"][0]["id"], quantity=9,
                                   api_key="sk_test_relier")
    body = event_body("customer.subscription.updated", {"id": made["id"]},
                      event_id="evt_twice")
    with django_capture_on_commit_callbacks() as callbacks:
        first, second = deliver(body), deliver(body)
    assert (first.status_code, second.status_code) == (200, 200)
    assert len(callbacks) == 1  # one task enqueued, for the first delivery only
    event = StripeEvent.objects.get(event_id="evt_twice")
    stripe_event_process(event_pk=event.pk)
    stripe_event_process(event_pk=event.pk)
    event.refresh_from_db()
    assert (event.attempts, local(world.acme.pk).quantity) == (1, 9)
    assert AuditEntry.objects.filter(action="billing.subscription_synced",
                                     detail__quantity=9).count() == 1


def test_deleted_arriving_before_updated_ends_cancelled(world: World, stripe_on: Prices):
    made = subscribe(world, stripe_on)
    # In Stripe: first a change (quantity 8), then the cancellation.
    stripe.SubscriptionItem.modify(made["items"]["data"][0]["id"], quantity=8,
                                   api_key="sk_test_relier")
    updated_payload = remote(made["id"])
    stripe.Subscription.cancel(made["id"], api_key="sk_test_relier")
    deleted_payload = remote(made["id"])
    # Delivered the other way round: deleted first, then the (older) updated.
    deliver(event_body("customer.subscription.deleted", deleted_payload))
    process_pending()
    deliver(event_body("customer.subscription.updated", updated_payload))
    process_pending()
    subscription = local(world.acme.pk)
    assert (subscription.status, subscription.stripe_status, subscription.plan_code,
            subscription.quantity) == ("canceled", "canceled", "mensuel", 8)
    assert StripeEvent.objects.filter(processed_at__isnull=True).count() == 0


def test_a_stale_payload_is_not_trusted(world: World, stripe_on: Prices):
    """The payload says past_due and 40 members; Stripe says active and 6."""
    made = subscribe(world, stripe_on)
    forged = {**remote(made["id"]), "status": "past_due"}
    forged["items"]["data"][0]["quantity"] = 40
    deliver(event_body("customer.subscription.updated", forged))
    process_pending()
    subscription = local(world.acme.pk)
    assert (subscription.status, subscription.quantity, subscription.grace_started_at) == (
        "active", 6, None)


def test_events_for_nobody_change_nothing(world: World, stripe_on: Prices):
    subscribe(world, stripe_on)
    before = list(Subscription.objects.values_list("status", "quantity", "plan_code"))
    other = stripe.Customer.create(email="x@ailleurs.example", api_key="sk_test_relier")
    card(other.id, GOOD_CARD)
    stranger = stripe.Subscription.create(customer=other.id,
                                          items=[{"plan": stripe_on.monthly, "quantity": 2}],
                                          api_key="sk_test_relier")
    deliver(event_body("customer.subscription.updated", {"id": stranger.id}))
    process_pending()
    assert list(Subscription.objects.values_list("status", "quantity", "plan_code")) == before
    assert User.objects.filter(email="x@ailleurs.example").count() == 0


def test_a_sponsor_pays_for_two_associations_with_one_customer(
    world: World, stripe_on: Prices,
):
    customer = stripe.Customer.create(email="dons@fondation.example", api_key="sk_test_relier")
    card(str(customer.id), GOOD_CARD)
    sponsor = Payer.objects.create(name="Fondation", email="dons@fondation.example",
                                   is_sponsor=True, stripe_customer_id=str(customer.id))
    made = {}
    for association in (world.acme, world.beta):
        Subscription.objects.update_or_create(association=association,
                                              defaults={"plan_code": "equipe"})
        made[association.pk] = remote_subscription(
            customer_id=str(customer.id), price=stripe_on.yearly,
            quantity=members_billed(association), association_id=association.pk)
        deliver(event_body("customer.subscription.created", made[association.pk]))
    process_pending()
    rows = {s.association_id: (s.plan_code, s.status, s.quantity, s.payer_id,
                               s.stripe_subscription_id)
            for s in Subscription.objects.filter(payer=sponsor)}
    assert rows == {
        world.acme.pk: ("annuel", "active", 6, sponsor.pk, made[world.acme.pk]["id"]),
        world.beta.pk: ("annuel", "active", 1, sponsor.pk, made[world.beta.pk]["id"]),
    }
    # Cancelling one association's subscription leaves the other one alone.
    stripe.Subscription.cancel(made[world.beta.pk]["id"], api_key="sk_test_relier")
    deliver(event_body("customer.subscription.deleted", {"id": made[world.beta.pk]["id"]}))
    process_pending()
    assert (local(world.acme.pk).status, local(world.beta.pk).status) == ("active", "canceled")
