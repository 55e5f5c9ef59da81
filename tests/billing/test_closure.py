"""Closing an association (tenants/offboarding/services.py) ends its Stripe subscription with the
current period; cancelling the closure lets it go on. Against localstripe."""

from __future__ import annotations

from typing import Any

import pytest

from billing.closure import subscription_closure_sync
from tenants.models import AuditEntry
from tenants.offboarding import services as offboarding
from tests.billing.conftest import Prices, remote
from tests.billing.test_webhooks import subscribe
from tests.conftest import World

pytestmark = pytest.mark.django_db


def test_closing_ends_the_subscription_with_its_period_and_cancelling_undoes_it(
    world: World, stripe_on: Prices, django_capture_on_commit_callbacks: Any,
) -> None:
    made = subscribe(world, stripe_on)
    admin = world.acme_members["admin"]
    assert remote(made["id"])["cancel_at_period_end"] is False
    with django_capture_on_commit_callbacks() as callbacks:
        offboarding.association_closure_request(actor=admin, association=world.acme,
                                                slug_typed="acme")
    assert callbacks  # Stripe is reached after commit, by a task
    assert subscription_closure_sync(association_id=world.acme.pk) is True
    after = remote(made["id"])
    assert after["cancel_at_period_end"] is True
    assert after["status"] == "active"  # what was paid for stays paid
    subscription_closure_sync(association_id=world.acme.pk)  # a retried task: harmless
    assert remote(made["id"])["cancel_at_period_end"] is True

    offboarding.association_closure_cancel(actor=admin, association=world.acme)
    subscription_closure_sync(association_id=world.acme.pk)
    assert remote(made["id"])["cancel_at_period_end"] is False
    assert list(AuditEntry.objects.filter(action="billing.closure_synced",
                                          association=world.acme)
                .order_by("pk").values_list("detail__cancel_at_period_end", flat=True)) == [
        True, True, False]


def test_without_a_stripe_subscription_nothing_is_sent(world: World) -> None:
    offboarding.association_closure_request(actor=world.beta_admin, association=world.beta,
                                            slug_typed="beta")
    assert subscription_closure_sync(association_id=world.beta.pk) is False
