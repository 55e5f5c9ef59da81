"""What the gateway sends to Stripe. Checkout and the Customer Portal are not in the
stand-in: their requests are recorded at the HTTP client and answered with Stripe's shape;
the rest go to localstripe. Every POST carries an idempotency key."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import stripe

from billing.models import Payer, Subscription
from billing.services import checkout_start, portal_start, subscription_seats_sync
from tests.billing.conftest import Prices
from tests.billing.test_webhooks import subscribe
from tests.conftest import World, signed_in

pytestmark = pytest.mark.django_db


class Recorder:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    """Every request the stripe library makes; Checkout and Portal answered here."""
    recorder = Recorder()
    client = stripe.default_http_client or stripe.new_default_http_client()
    stripe.default_http_client = client
    real = client.request

    def request(method: str, url: str, headers: Any, post_data: Any = None, **kw: Any):
        path = urlsplit(url).path
        recorder.calls.append({"method": method, "path": path, "headers": dict(headers or {}),
                               "params": parse_qs(post_data or "")})
        if path == "/v1/checkout/sessions":
            return json.dumps({"id": "cs_test_1", "object": "checkout.session",
                               "url": "https://checkout.stripe.com/c/pay/cs_test_1"}), 200, {}
        if path == "/v1/billing_portal/sessions":
            return json.dumps({"id": "bps_1", "object": "billing_portal.session",
                               "url": "https://billing.stripe.com/p/session/bps_1"}), 200, {}
        return real(method, url, headers, post_data, **kw)

    monkeypatch.setattr(client, "request", request)
    return recorder


def test_checkout_sends_a_subscription_for_every_member(
    world: World, stripe_on: Prices, sent: Recorder,
):
    admin = world.acme_members["admin"]
    url = checkout_start(actor=admin, association=world.acme, plan_code="annuel",
                         nonce="n0nce1", base_url="http://acme.relier.test")
    assert url == "https://checkout.stripe.com/c/pay/cs_test_1"
    customer, checkout = sent.calls
    payer = Payer.objects.get()
    assert (customer["path"], customer["headers"]["Idempotency-Key"]) == (
        "/v1/customers", f"relier-customer-{payer.pk}")
    assert customer["params"]["email"] == ["admin@acme.example"]
    assert checkout["path"] == "/v1/checkout/sessions"
    assert checkout["headers"]["Idempotency-Key"] == f"relier-checkout-{world.acme.pk}-n0nce1"
    page = "http://acme.relier.test/parametres/abonnement/"
    assert checkout["params"] == {
        "mode": ["subscription"], "customer": [payer.stripe_customer_id],
        "line_items[0][price]": [stripe_on.yearly], "line_items[0][quantity]": ["6"],
        "client_reference_id": [str(world.acme.pk)],
        "metadata[association_id]": [str(world.acme.pk)],
        "subscription_data[metadata][association_id]": [str(world.acme.pk)],
        "locale": ["fr"], "success_url": [page + "?paiement=ok"], "cancel_url": [page],
    }
    # A double click sends the same key again: Stripe answers with the same session.
    checkout_start(actor=admin, association=world.acme, plan_code="annuel", nonce="n0nce1",
                   base_url="http://acme.relier.test")
    assert sent.calls[-1]["headers"]["Idempotency-Key"] == checkout["headers"][
        "Idempotency-Key"]
    assert [c["path"] for c in sent.calls].count("/v1/customers") == 1


def test_portal_sends_the_customer_and_the_way_back(
    world: World, stripe_on: Prices, sent: Recorder,
):
    admin = world.acme_members["admin"]
    url = portal_start(actor=admin, association=world.acme, nonce="abc",
                       base_url="http://acme.relier.test")
    assert url == "https://billing.stripe.com/p/session/bps_1"
    portal = sent.calls[-1]
    assert portal["headers"]["Idempotency-Key"] == f"relier-portal-{world.acme.pk}-abc"
    assert portal["params"] == {
        "customer": [Payer.objects.get().stripe_customer_id],
        "return_url": ["http://acme.relier.test/parametres/abonnement/"]}


def test_every_write_to_stripe_carries_an_idempotency_key(
    world: World, stripe_on: Prices, sent: Recorder,
):
    subscribe(world, stripe_on)
    subscription = Subscription.objects.get(association=world.acme)
    Subscription.objects.filter(pk=subscription.pk).update(seats_version=7)
    world.acme.memberships.filter(role="volunteer").update(is_active=False)
    sent.calls.clear()
    subscription_seats_sync(subscription_pk=subscription.pk)
    assert [(c["method"], c["path"].split("_")[0]) for c in sent.calls] == [
        ("get", "/v1/subscriptions/sub"), ("post", "/v1/subscription")]
    write = sent.calls[1]
    assert write["headers"]["Idempotency-Key"] == f"relier-seats-{subscription.pk}-7"
    assert write["params"] == {"quantity": ["5"]}
    # Reads carry none (Stripe ignores them on GET); writes always do.
    assert all("Idempotency-Key" in c["headers"] for c in sent.calls if c["method"] == "post")


def test_without_a_key_checkout_goes_to_the_local_stub_page(world: World, settings: Any):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PRICE_MONTHLY = "price_stub_month"
    admin = signed_in(world.acme_members["admin"], world.acme)
    response = admin.post("/parametres/abonnement/", {
        "action": "checkout", "plan": "mensuel", "nonce": "abc"})
    assert response.status_code == 302
    assert response["Location"] == (
        "/parametres/abonnement/paiement-simule/?plan_price=price_stub_month&quantity=6")
    page = admin.get(response["Location"]).content.decode()
    assert "Offre Par membre, au mois, 6 membre(s)." in page


def test_the_stub_pages_do_not_exist_with_a_real_key(world: World, settings: Any):
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    admin = signed_in(world.acme_members["admin"], world.acme)
    assert admin.get("/parametres/abonnement/paiement-simule/").status_code == 404
