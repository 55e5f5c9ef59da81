"""The webhook's processing runs in a real Celery worker, in the public schema, after the
response: an HTTP delivery, a stored event, a task, the subscription read from the
stand-in. These tests commit: they use an association of their own ("paiement-worker")."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe
from django.conf import settings
from django.db import connection
from psycopg.conninfo import make_conninfo

from billing.models import StripeEvent, Subscription
from billing.services import subscription_create
from tenants.models import Association
from tenants.tenancy.services import association_create
from tests.billing.conftest import (
    GOOD_CARD,
    WEBHOOK_SECRET,
    Prices,
    card,
    deliver,
    event_body,
    remote_subscription,
)
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.worker
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def association(world: World, django_db_blocker: Any) -> Association:
    with django_db_blocker.unblock():
        existing = Association.objects.filter(slug="paiement-worker").first()
        association = existing or association_create(
            actor=None, slug="paiement-worker", name="Paiement Worker",
            admin_email="admin@paiement-worker.example", admin_password=PASSWORD).association
        subscription_create(actor=None, association=association)
        return association


@pytest.fixture(scope="module")
def billing_worker(
    association: Association, localstripe_url: str, stripe_prices: Prices
) -> Iterator[None]:
    db = connection.settings_dict
    url = make_conninfo(host=db["HOST"] or "", port=str(db["PORT"] or ""), dbname=db["NAME"],
                        user=db["USER"] or "", password=db["PASSWORD"] or "")
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL,
           "RELIER_REDIS_DB": "0", "STRIPE_SECRET_KEY": "sk_test_relier",
           "STRIPE_API_BASE": localstripe_url, "STRIPE_PRICE_MONTHLY": stripe_prices.monthly,
           "STRIPE_PRICE_YEARLY": stripe_prices.yearly}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "relier_platform.celery", "worker",
         "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"], cwd=ROOT, env=env)
    yield
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def _wait_processed(event_id: str) -> StripeEvent:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        event = StripeEvent.objects.filter(event_id=event_id).first()
        if event is not None and event.processed_at is not None:
            return event
        time.sleep(0.2)
    pytest.fail(f"{event_id} was not processed by the worker")


def test_webhook_is_processed_by_a_worker_once(
    association: Association, billing_worker: None, stripe_on: Prices, django_db_blocker: Any,
):
    customer = stripe.Customer.create(email="admin@paiement-worker.example",
                                      api_key="sk_test_relier")
    card(str(customer.id), GOOD_CARD)
    made = remote_subscription(customer_id=str(customer.id), price=stripe_on.monthly,
                               quantity=4, association_id=association.pk)
    body = event_body("checkout.session.completed", {
        "id": "cs_worker", "subscription": made["id"], "customer": customer.id,
        "client_reference_id": str(association.pk)}, event_id=f"evt_worker_{made['id']}")
    assert settings.STRIPE_WEBHOOK_SECRET == WEBHOOK_SECRET
    with django_db_blocker.unblock():
        # Committed at once (autocommit): the task leaves when the response does.
        assert deliver(body).status_code == 200
        assert deliver(body).status_code == 200  # again: stored and processed once
        event = _wait_processed(f"evt_worker_{made['id']}")
        subscription = Subscription.objects.get(association=association)
        assert (subscription.plan_code, subscription.status, subscription.quantity,
                subscription.stripe_subscription_id) == ("mensuel", "active", 4, made["id"])
        assert (event.attempts, StripeEvent.objects.filter(
            event_id=event.event_id).count()) == (1, 1)
