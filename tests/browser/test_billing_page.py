"""An association admin, as a new user would, in headless Chromium: finds the subscription
page in the menu, starts a checkout (the gateway's local stub page, as no Stripe key is
configured), then sees the banner when a payment fails (a signed webhook posted to the
live server, the subscription and invoice read from the localstripe stand-in). This test
commits: it works in an association of its own ("paiement-walk")."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.conf import settings

from billing.models import StripeEvent, Subscription
from billing.selectors import billing_state_forget
from billing.services import stripe_event_process
from tenants.models import Association
from tenants.tenancy.services import association_create
from tests.billing.conftest import (  # noqa: F401 (fixtures)
    GOOD_CARD,
    WEBHOOK_SECRET,
    Prices,
    card,
    event_body,
    localstripe_url,
    remote_subscription,
    sign,
    stripe_prices,
)
from tests.billing.test_entitlements import fail_a_renewal
from tests.browser.conftest import sign_in, url
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser

SLUG = "paiement-walk"
HOST = f"{SLUG}.{settings.BASE_DOMAIN}"
ADMIN = "admin@paiement-walk.example"


@pytest.fixture(scope="module")
def walk(world: World, django_db_blocker: Any) -> Association:
    with django_db_blocker.unblock():
        existing = Association.objects.filter(slug=SLUG).first()
        if existing is not None:
            return existing
        return association_create(actor=None, slug=SLUG, name="Paiement Entraide",
                                  admin_email=ADMIN, admin_password=PASSWORD).association


def webhook(page: Any, live_url: str, body: bytes, django_db_blocker: Any) -> None:
    """POST a signed event to the public host, then apply it (the worker's part: shown in
    tests/billing/test_worker.py)."""
    request = urllib.request.Request(  # the live server, named by its public host
        url(live_url, "127.0.0.1", "/stripe/webhook/"), data=body, method="POST",
        headers={"Host": live_url.format(host=settings.BASE_DOMAIN),
                 "Content-Type": "application/json", "Stripe-Signature": sign(body)})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    with django_db_blocker.unblock():
        for pk in StripeEvent.objects.filter(processed_at__isnull=True).values_list(
                "pk", flat=True):
            stripe_event_process(event_pk=pk)


def test_admin_subscribes_then_sees_the_banner_when_payment_fails(
    walk: Association, live_url: str, page: Any, settings: Any,
    localstripe_url: str, stripe_prices: Prices,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch, django_db_blocker: Any,
) -> None:
    from billing import tasks

    monkeypatch.setattr(tasks.stripe_event_process_task, "delay", lambda *a, **k: None)
    settings.STRIPE_SECRET_KEY = ""  # no Stripe: the gateway's stub checkout page
    settings.STRIPE_PRICE_MONTHLY = stripe_prices.monthly
    settings.STRIPE_PRICE_YEARLY = stripe_prices.yearly
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET

    sign_in(page, live_url, HOST, ADMIN)
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Abonnement").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "Abonnement"
    # Made from the command line: no subscription yet, the default plan.
    assert page.get_by_test_id("current-plan").inner_text() == "Offre actuelle : Équipe"
    assert page.get_by_test_id("billing-banner").count() == 0
    page.get_by_role("button", name="S'abonner : Par membre, au mois").click()
    page.wait_for_load_state()
    assert "/parametres/abonnement/paiement-simule/" in page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Paiement simulé"
    assert page.get_by_test_id("stub-summary").inner_text() == (
        "Offre Par membre, au mois, 1 membre(s).")

    # Stripe made the subscription; then a renewal fails.
    settings.STRIPE_SECRET_KEY = "sk_test_relier"
    settings.STRIPE_API_BASE = localstripe_url
    stripe.api_base = localstripe_url
    customer = stripe.Customer.create(email=ADMIN, api_key="sk_test_relier")
    card(str(customer.id), GOOD_CARD)
    made = remote_subscription(customer_id=str(customer.id), price=stripe_prices.monthly,
                               quantity=1, association_id=walk.pk)
    webhook(page, live_url, event_body("checkout.session.completed", {
        "id": "cs_walk", "subscription": made["id"], "customer": customer.id,
        "client_reference_id": str(walk.pk)}), django_db_blocker)
    page.goto(url(live_url, HOST, "/parametres/abonnement/"))
    assert page.get_by_test_id("current-plan").inner_text() == (
        "Offre actuelle : Par membre, au mois · Active")

    invoice = fail_a_renewal(made)
    webhook(page, live_url, event_body("invoice.payment_failed", {"id": invoice}),
            django_db_blocker)
    page.goto(url(live_url, HOST, "/"))
    banner = page.get_by_test_id("billing-banner")
    assert banner.is_visible()
    assert "Le dernier paiement a échoué." in banner.inner_text()
    assert banner.get_by_role("link", name="Régulariser le paiement").is_visible()

    # Fourteen days later: read-only, said in the same place.
    with django_db_blocker.unblock():
        subscription = Subscription.objects.get(association=walk)
        assert subscription.grace_started_at is not None
        subscription.grace_started_at -= timedelta(days=14)
        subscription.save(update_fields=["grace_started_at"])
        billing_state_forget(walk.pk)
    page.goto(url(live_url, HOST, "/"))
    assert "l'espace est en lecture seule" in page.get_by_test_id(
        "billing-banner").inner_text()
