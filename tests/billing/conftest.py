"""A real, stateful Stripe stand-in (localstripe) on a free local port, the `stripe`
library pointed at it, and webhook payloads signed with Stripe's own scheme."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import stripe
from django.test import Client

from billing.models import Subscription
from tests.conftest import host_client

WEBHOOK_SECRET = "whsec_relier_test"
GOOD_CARD = "4242424242424242"
FAILING_CARD = "4000000000000341"  # attaches, then every charge is declined


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    binary = shutil.which("localstripe", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.fail("localstripe is not installed: `python3 dev.py start` installs it")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--from-scratch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@dataclass(frozen=True)
class Prices:
    monthly: str
    yearly: str


@pytest.fixture(scope="session")
def stripe_prices(localstripe_url: str) -> Prices:
    """localstripe serves Plans (the older name of recurring Prices) under fixed ids."""
    stripe.api_base = localstripe_url
    key: dict[str, Any] = {"api_key": "sk_test_relier"}
    product = stripe.Product.create(name="Relier", **key)
    suffix = uuid.uuid4().hex[:8]
    monthly = stripe.Plan.create(id=f"relier_mensuel_{suffix}", product=product.id,
                                 amount=800, currency="eur", interval="month", **key)
    yearly = stripe.Plan.create(id=f"relier_annuel_{suffix}", product=product.id,
                                amount=8000, currency="eur", interval="year", **key)
    return Prices(monthly=str(monthly.id), yearly=str(yearly.id))


@pytest.fixture
def stripe_on(settings: Any, localstripe_url: str, stripe_prices: Prices) -> Prices:
    settings.STRIPE_SECRET_KEY = "sk_test_relier"
    settings.STRIPE_API_BASE = localstripe_url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_WEBHOOK_TOLERANCE = 300
    settings.STRIPE_PRICE_MONTHLY = stripe_prices.monthly
    settings.STRIPE_PRICE_YEARLY = stripe_prices.yearly
    stripe.api_base = localstripe_url
    return stripe_prices


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=HMAC-SHA256(secret, "<t>.<body>")."""
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event_body(kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_{uuid.uuid4().hex[:20]}", "object": "event",
        "type": kind, "created": int(time.time()), "livemode": False,
        "data": {"object": obj},
    }).encode()


def deliver(body: bytes, signature: str | None = None) -> Any:
    client: Client = host_client()
    return client.post("/stripe/webhook/", data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=signature if signature is not None
                       else sign(body))


def _key() -> dict[str, Any]:
    return {"api_key": "sk_test_relier"}


def card(customer_id: str, number: str) -> None:
    method = stripe.PaymentMethod.create(
        type="card", card={"number": number, "exp_month": 12, "exp_year": 2035,
                           "cvc": "123"}, **_key())
    stripe.PaymentMethod.attach(method.id, customer=customer_id, **_key())
    stripe.Customer.modify(customer_id, invoice_settings={"default_payment_method": method.id},
                           **_key())


def remote_subscription(
    *, customer_id: str, price: str, quantity: int, association_id: int
) -> dict[str, Any]:
    """A subscription made in the stand-in, as Stripe Checkout would have made it."""
    made = stripe.Subscription.create(
        customer=customer_id, items=[{"plan": price, "quantity": quantity}],
        metadata={"association_id": str(association_id)}, **_key())
    return dict(made.to_dict())


def remote(subscription_id: str) -> dict[str, Any]:
    return dict(stripe.Subscription.retrieve(subscription_id, **_key()).to_dict())


def local(association_id: int) -> Subscription:
    return Subscription.objects.get(association_id=association_id)
