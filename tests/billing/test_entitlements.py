"""Entitlements: a failed payment opens a 14-day grace period (banner), then the
association is read-only — everything readable and exportable, nothing written, on every
URL — until the payment succeeds. Nothing is deleted."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.middleware import WRITABLE_PREFIXES
from billing.models import Subscription
from billing.selectors import billing_state, billing_state_forget
from relier_platform import urls_tenant
from tests.billing.conftest import FAILING_CARD, GOOD_CARD, Prices, card, deliver, event_body
from tests.billing.test_webhooks import process_pending, subscribe
from tests.conftest import World, host_client, signed_in
from tests.tracking.factories import make_case
from tracking.models import AuditLog, Case

pytestmark = pytest.mark.django_db
KEY = "sk_test_relier"
BANNER_GRACE = "Le dernier paiement a échoué"
BANNER_READ_ONLY = "l'espace est en lecture seule"


def new_case(client: Any) -> Any:
    return client.post("/dossiers/nouveau/", {
        "first_name": "Lina", "birth_year": timezone.localdate().year - 12,
        "gender": "girl", "town": "Bobigny", "department": "93", "role": "targeted"})


def counts(world: World) -> tuple[int, int]:
    with schema_context(world.acme.schema_name):
        return Case.objects.count(), AuditLog.objects.count()


def fail_a_renewal(made: dict[str, Any]) -> str:
    """In the stand-in: the card now declines, and the next invoice stays unpaid."""
    customer = made["customer"]
    card(customer, FAILING_CARD)
    stripe.InvoiceItem.create(customer=customer, amount=4800, currency="eur",
                              subscription=made["id"], api_key=KEY)
    invoice = stripe.Invoice.create(customer=customer, subscription=made["id"], api_key=KEY)
    stripe.Invoice.pay(invoice.id, api_key=KEY)
    assert stripe.Invoice.retrieve(invoice.id, api_key=KEY).status == "open"
    return str(invoice.id)


def days_pass(world: World, days: int) -> None:
    """Move the grace period back in time, as if `days` had gone by."""
    subscription = Subscription.objects.get(association=world.acme)
    assert subscription.grace_started_at is not None
    subscription.grace_started_at -= timedelta(days=days)
    subscription.save(update_fields=["grace_started_at"])
    billing_state_forget(world.acme.pk)


def test_grace_period_then_read_only_then_restored(world: World, stripe_on: Prices):
    made = subscribe(world, stripe_on)
    invoice = fail_a_renewal(made)
    deliver(event_body("invoice.payment_failed", {"id": invoice, "object": "invoice"}))
    process_pending()
    subscription = Subscription.objects.get(association=world.acme)
    assert subscription.grace_started_at is not None
    assert subscription.unpaid_invoice_id == invoice
    assert subscription.grace_ends_at == subscription.grace_started_at + timedelta(days=14)

    # Grace: a banner for everyone, writing still allowed.
    admin = signed_in(world.acme_members["admin"], world.acme)
    listener = signed_in(world.acme_members["listener"], world.acme)
    page = admin.get("/").content.decode()
    assert BANNER_GRACE in page
    assert "Régulariser le paiement" in page
    assert BANNER_GRACE in listener.get("/").content.decode()
    assert new_case(admin).status_code == 302
    state = billing_state(world.acme)
    assert (state.state, state.days_left) == ("grace", 13)

    # Day 13: still grace. Day 14: read-only.
    days_pass(world, 13)
    assert billing_state(world.acme).state == "grace"
    days_pass(world, 1)
    assert billing_state(world.acme).state == "read_only"
    before = counts(world)
    response = new_case(admin)
    assert response.status_code == 403
    assert "Espace en lecture seule" in response.content.decode()
    assert counts(world) == before
    assert BANNER_READ_ONLY in admin.get("/dossiers/").content.decode()
    # The cases are all still there.
    assert before[0] == 1

    # Payment succeeds in Stripe: read-only is lifted at once.
    card(made["customer"], GOOD_CARD)
    stripe.Invoice.pay(invoice, api_key=KEY)
    deliver(event_body("invoice.paid", {"id": invoice, "object": "invoice"}))
    process_pending()
    subscription.refresh_from_db()
    assert (subscription.grace_started_at, subscription.unpaid_invoice_id) == (None, "")
    assert billing_state(world.acme).state == "ok"
    again = new_case(admin)
    assert again.status_code == 302, again.content.decode()[-3000:]
    assert counts(world)[0] == 2
    assert "billing-banner" not in admin.get("/").content.decode()


def test_a_late_failure_notice_for_a_paid_invoice_opens_no_grace(
    world: World, stripe_on: Prices
):
    made = subscribe(world, stripe_on)
    invoice = fail_a_renewal(made)
    card(made["customer"], GOOD_CARD)
    stripe.Invoice.pay(invoice, api_key=KEY)
    # invoice.paid first, then the older payment_failed.
    deliver(event_body("invoice.paid", {"id": invoice}))
    deliver(event_body("invoice.payment_failed", {"id": invoice}))
    process_pending()
    subscription = Subscription.objects.get(association=world.acme)
    assert (subscription.grace_started_at, subscription.unpaid_invoice_id) == (None, "")


def _read_only(world: World) -> None:
    Subscription.objects.update_or_create(association=world.acme, defaults={
        "plan_code": "mensuel", "status": "past_due",
        "grace_started_at": timezone.now() - timedelta(days=15)})
    billing_state_forget(world.acme.pk)


def test_read_only_still_allows_reading_and_exports(world: World):
    make_case(world.acme, world.acme_members["admin"], town="Pantin")
    _read_only(world)
    admin = signed_in(world.acme_members["admin"], world.acme)
    for path in ("/", "/dossiers/", "/chiffres/", "/parametres/abonnement/"):
        assert admin.get(path).status_code == 200, path
    csv = admin.get("/dossiers/export.csv")
    assert csv.status_code == 200
    assert "Pantin" in b"".join(csv).decode()
    for path in ("/dossiers/export.xlsx", "/chiffres/export.csv", "/chiffres/export.xlsx"):
        response = admin.get(path)
        assert response.status_code == 200, path
        assert response["Content-Disposition"].startswith("attachment"), path


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route)
        else:
            found.append("/" + re.sub(r"<int:\w+>", "1", re.sub(r"<(str|slug):\w+>", "x",
                                                                 route)))
    return sorted(set(found))


WRITE_ROUTES = [r for r in _routes(urls_tenant.urlpatterns)  # type: ignore[arg-type]
                if not r.startswith(WRITABLE_PREFIXES)]


@pytest.mark.parametrize("path", WRITE_ROUTES)
def test_read_only_refuses_every_write_url(world: World, path: str):
    case = make_case(world.acme, world.acme_members["admin"], town="Pantin")
    _read_only(world)
    before = counts(world)
    admin = signed_in(world.acme_members["admin"], world.acme)
    response = admin.post(path.replace("/1/", f"/{case.pk}/", 1), {"town": "Ailleurs"})
    assert response.status_code == 403
    assert "Espace en lecture seule" in response.content.decode()
    assert counts(world) == before


def test_paying_stays_possible_in_read_only(world: World):
    _read_only(world)
    admin = signed_in(world.acme_members["admin"], world.acme)
    response = admin.post("/parametres/abonnement/", {"action": "portal", "nonce": "abc123"})
    assert (response.status_code, response["Location"]) == (
        302, "/parametres/abonnement/portail-simule/")


def test_a_referral_is_never_refused_for_a_billing_reason(world: World):
    from tests.tracking.cases.test_referral import FORM
    from tracking.models import Referral

    _read_only(world)
    with schema_context(world.acme.schema_name):
        before = Referral.objects.count()
    response = host_client(world.acme).post("/signaler", FORM)
    assert response.status_code == 200
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == before + 1


def test_a_referral_through_the_api_is_never_refused_for_a_billing_reason(world: World):
    import json

    from tests.tracking.api.conftest import key_client, make_key
    from tests.tracking.api.test_referrals import REFERRAL
    from tracking.models import Referral

    _key, raw = make_key(world.acme, "referrals:write")
    _read_only(world)
    response = key_client(world.acme, raw).post("/api/v1/referrals/", json.dumps(REFERRAL),
                                                content_type="application/json")
    assert response.status_code == 201
    with schema_context(world.acme.schema_name):
        assert Referral.objects.count() == 1
