"""The one door to Stripe: every call the product makes goes through here, each with an
idempotency key, so a retried task or a double click never charges or changes twice.
Schema: none (no database access).

Without a secret key (development, tests) Checkout and the Customer Portal are served by a
local stub page instead of Stripe (`stub_mode`); webhooks are verified all the same.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import stripe
from django.conf import settings
from django.urls import reverse

log = logging.getLogger(__name__)

# Temporary failures a task may retry; anything else is a bug or a refusal.
TEMPORARY_ERRORS: tuple[type[Exception], ...] = (
    stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError,
)
SignatureError = stripe.SignatureVerificationError


@dataclass(frozen=True)
class RemoteSubscription:
    """What we keep of a subscription, as Stripe says it is now."""

    id: str
    customer_id: str
    status: str
    price_id: str
    item_id: str
    quantity: int
    current_period_end: datetime | None
    association_id: int | None


@dataclass(frozen=True)
class RemoteInvoice:
    id: str
    status: str  # draft | open | paid | uncollectible | void
    subscription_id: str


def stub_mode() -> bool:
    return not settings.STRIPE_SECRET_KEY


def _options(idempotency_key: str) -> dict[str, Any]:
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
    return {"api_key": settings.STRIPE_SECRET_KEY, "idempotency_key": idempotency_key}


def _read_options() -> dict[str, Any]:
    # GET requests carry no idempotency key in Stripe's API (they change nothing).
    if settings.STRIPE_API_BASE:
        stripe.api_base = settings.STRIPE_API_BASE
    return {"api_key": settings.STRIPE_SECRET_KEY}


def customer_create(*, payer_id: int, name: str, email: str) -> str:
    customer = stripe.Customer.create(
        name=name, email=email, metadata={"payer_id": str(payer_id)},
        **_options(f"relier-customer-{payer_id}"),
    )
    return str(customer.id)


def checkout_params(
    *, customer_id: str, price_id: str, quantity: int, association_id: int,
    success_url: str, cancel_url: str,
) -> dict[str, Any]:
    """The Checkout Session sent to Stripe: a subscription of `quantity` members."""
    metadata = {"association_id": str(association_id)}
    return {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": price_id, "quantity": quantity}],
        "client_reference_id": str(association_id),
        "metadata": metadata,
        "subscription_data": {"metadata": metadata},
        "locale": "fr",
        "success_url": success_url,
        "cancel_url": cancel_url,
    }


def checkout_session_create(*, idempotency_key: str, **kwargs: Any) -> str:
    """The URL the admin is sent to."""
    params = checkout_params(**kwargs)
    if stub_mode():
        return reverse("billing_stub_checkout") + "?" + urlencode(
            {"plan_price": params["line_items"][0]["price"],
             "quantity": params["line_items"][0]["quantity"]})
    session = stripe.checkout.Session.create(**params, **_options(idempotency_key))
    return str(session.url)


def portal_session_create(*, customer_id: str, return_url: str, idempotency_key: str) -> str:
    if stub_mode():
        return reverse("billing_stub_portal")
    session = stripe.billing_portal.Session.create(
        customer=customer_id, return_url=return_url, **_options(idempotency_key))
    return str(session.url)


def _when(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def subscription_retrieve(subscription_id: str) -> RemoteSubscription:
    data = stripe.Subscription.retrieve(subscription_id, **_read_options()).to_dict()
    item = data["items"]["data"][0]
    price = item.get("price") or item.get("plan") or {}
    period_end = data.get("current_period_end") or item.get("current_period_end")
    association = (data.get("metadata") or {}).get("association_id")
    customer = data["customer"]
    return RemoteSubscription(
        id=data["id"], customer_id=customer if isinstance(customer, str) else customer["id"],
        status=data["status"], price_id=price.get("id", ""), item_id=item["id"],
        quantity=int(item.get("quantity") or 0), current_period_end=_when(period_end),
        association_id=int(str(association)) if str(association or "").isdigit() else None,
    )


def invoice_retrieve(invoice_id: str) -> RemoteInvoice:
    data = stripe.Invoice.retrieve(invoice_id, **_read_options()).to_dict()
    subscription = data.get("subscription") or (
        ((data.get("parent") or {}).get("subscription_details") or {}).get("subscription"))
    return RemoteInvoice(id=data["id"], status=data.get("status") or "",
                         subscription_id=str(subscription or ""))


def subscription_quantity_set(*, item_id: str, quantity: int, idempotency_key: str) -> None:
    stripe.SubscriptionItem.modify(item_id, quantity=quantity, **_options(idempotency_key))


def subscription_cancel_at_period_end_set(*, subscription_id: str, cancel: bool,
                                          idempotency_key: str) -> None:
    """End the subscription with its current period (an association closing), or undo it."""
    stripe.Subscription.modify(subscription_id, cancel_at_period_end=cancel,
                               **_options(idempotency_key))


def webhook_event_verify(*, payload: bytes, signature: str) -> dict[str, Any]:
    """The event, if `signature` signs this exact body with our secret within the
    tolerance; raises SignatureError (or ValueError for a body that is not JSON)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise SignatureError("no webhook secret configured", signature)
    event = stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET,
        tolerance=max(1, settings.STRIPE_WEBHOOK_TOLERANCE),
    )
    return dict(event.to_dict())
