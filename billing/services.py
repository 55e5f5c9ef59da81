"""Writes on subscriptions. Schema: public.

Stripe is reached only through billing.gateway. Webhook events are stored once and
processed by a task; every object an event names is read again from Stripe. Nothing is
deleted for a billing reason: a failed payment opens a 14-day grace period, then the
association is read-only (billing.middleware) until payment succeeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from billing import gateway
from billing.models import Payer, StripeEvent, Subscription
from billing.plans import DEFAULT_PLAN, PLANS, TRIAL, plan_for_price, plan_get
from billing.selectors import billing_state_forget, seats_used
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, Membership, User
from tenants.outbox.services import enqueue
from tenants.tenancy.services import audit


def _changed(association_id: int) -> None:
    """The cached billing state is dropped now and again after commit (a request between
    the two could have cached the state being replaced)."""
    billing_state_forget(association_id)
    transaction.on_commit(lambda: billing_state_forget(association_id))


def subscription_create(
    *, actor: User | None, association: Association, plan_code: str = DEFAULT_PLAN
) -> Subscription:
    """A trial on `plan_code`; safe to call twice (returns the existing subscription)."""
    if plan_get(plan_code) is None:
        raise ApplicationError(_("Cette offre n'existe pas."), code=ErrorCode.PLAN_INVALID)
    with transaction.atomic():
        subscription, created = Subscription.objects.get_or_create(
            association=association,
            defaults={"plan_code": plan_code, "status": Subscription.Status.TRIALING,
                      "trial_ends_at": timezone.now() + TRIAL},
        )
        if created:
            _changed(association.pk)
            audit("subscription.created", actor=actor, association=association,
                  plan=plan_code)
    return subscription


def subscription_plan_choose(
    *, actor: User, association: Association, plan_code: str
) -> Subscription:
    """Change the plan; refused when the team already holds more seats than it offers."""
    plan = plan_get(plan_code)
    if plan is None:
        raise ApplicationError(_("Cette offre n'existe pas."), code=ErrorCode.PLAN_INVALID)
    if plan.paid:
        raise ApplicationError(
            _("Les offres payantes se souscrivent par le paiement en ligne, depuis la page "
              "Abonnement."), code=ErrorCode.PLAN_INVALID)
    with transaction.atomic():
        subscription = subscription_create(actor=actor, association=association)
        subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
        used = seats_used(association)
        if used > plan.seat_limit:
            raise ApplicationError(
                _("L'offre %(plan)s compte %(limit)d places, mais votre équipe en occupe "
                  "déjà %(used)d (membres actifs et invitations en attente). Désactivez des "
                  "membres ou révoquez des invitations d'abord.")
                % {"plan": plan.name, "limit": plan.seat_limit, "used": used},
                code=ErrorCode.SEAT_LIMIT,
            )
        if subscription.stripe_status in ("active", "trialing", "past_due", "unpaid"):
            raise ApplicationError(
                _("Votre abonnement payant est en cours : résiliez-le d'abord depuis « Gérer "
                  "le paiement », puis choisissez cette offre."),
                code=ErrorCode.PLAN_INVALID)
        previous = subscription.plan_code
        subscription.plan_code = plan.code
        subscription.plan_chosen_at = timezone.now()
        subscription.save(update_fields=["plan_code", "plan_chosen_at"])
        _changed(association.pk)
        audit("subscription.plan_chosen", actor=actor, association=association,
              plan=plan.code, previous=previous)
    return subscription


# --- Stripe: checkout, portal, webhooks, seats -------------------------------------------

log = logging.getLogger(__name__)

# Stripe's statuses → ours. `incomplete` (first payment not through yet) counts as late.
STATUS_FROM_STRIPE = {
    "trialing": Subscription.Status.TRIALING,
    "active": Subscription.Status.ACTIVE,
    "past_due": Subscription.Status.PAST_DUE,
    "unpaid": Subscription.Status.PAST_DUE,
    "incomplete": Subscription.Status.PAST_DUE,
    "paused": Subscription.Status.PAST_DUE,
    "canceled": Subscription.Status.CANCELED,
    "incomplete_expired": Subscription.Status.CANCELED,
}
HANDLED_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created", "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid", "invoice.payment_failed",
)


def _payer_for(*, actor: User, association: Association) -> Payer:
    """The association's payer (a sponsor's, when an operator attached one), with its
    Stripe customer."""
    subscription = subscription_create(actor=actor, association=association)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update(of=("self",)).select_related(
            "payer").get(pk=subscription.pk)
        payer = subscription.payer
        if payer is None:
            payer = Payer.objects.create(name=association.name, email=actor.email)
            subscription.payer = payer
            subscription.save(update_fields=["payer"])
            audit("billing.payer_created", actor=actor, association=association,
                  payer_id=payer.pk)
    if not payer.stripe_customer_id and not gateway.stub_mode():
        # Outside the transaction: the key makes a retry return the same customer.
        customer_id = gateway.customer_create(payer_id=payer.pk, name=payer.name,
                                              email=payer.email)
        Payer.objects.filter(pk=payer.pk, stripe_customer_id__isnull=True).update(
            stripe_customer_id=customer_id)
        payer.refresh_from_db()
    return payer


def members_billed(association: Association) -> int:
    """The subscription quantity: active members (at least one)."""
    return max(1, Membership.objects.filter(
        association=association, is_active=True, user__is_active=True).count())


def checkout_start(
    *, actor: User, association: Association, plan_code: str, nonce: str, base_url: str
) -> str:
    """The Stripe Checkout URL for a paid plan, for as many members as the team has."""
    plan = plan_get(plan_code)
    if plan is None or not plan.paid:
        raise ApplicationError(_("Cette offre n'existe pas."), code=ErrorCode.PLAN_INVALID)
    if not nonce.isalnum() or len(nonce) > 64:
        raise ApplicationError(_("Le formulaire a expiré : rechargez la page."),
                               code=ErrorCode.CONFLICT)
    payer = _payer_for(actor=actor, association=association)
    page = base_url + reverse("billing_plan")
    url = gateway.checkout_session_create(
        idempotency_key=f"relier-checkout-{association.pk}-{nonce}",
        customer_id=payer.stripe_customer_id or "", price_id=plan.stripe_price_id,
        quantity=members_billed(association), association_id=association.pk,
        success_url=page + "?paiement=ok", cancel_url=page,
    )
    audit("billing.checkout_started", actor=actor, association=association, plan=plan.code)
    return url


def portal_start(*, actor: User, association: Association, nonce: str, base_url: str) -> str:
    payer = _payer_for(actor=actor, association=association)
    url = gateway.portal_session_create(
        customer_id=payer.stripe_customer_id or "",
        return_url=base_url + reverse("billing_plan"),
        idempotency_key=f"relier-portal-{association.pk}-{nonce}",
    )
    audit("billing.portal_opened", actor=actor, association=association)
    return url


def stripe_event_record(*, event: dict[str, Any]) -> StripeEvent | None:
    """Store a verified event once; the new ones are processed by a task after commit.
    Returns None for a duplicate (Stripe delivers at least once)."""

    with transaction.atomic():
        stored, created = StripeEvent.objects.get_or_create(
            event_id=str(event["id"]),
            defaults={"type": str(event.get("type", "")), "payload": event},
        )
        if not created:
            log.info("stripe event %s received again: ignored", stored.event_id)
            return None
        enqueue("billing.stripe_event_process_task", args=(stored.pk,))
    return stored


def stripe_event_process(*, event_pk: int) -> StripeEvent:
    """Apply one stored event; a second run does nothing. The objects it names are read
    again from Stripe: their state now, whatever order the events came in."""
    event = StripeEvent.objects.get(pk=event_pk)
    if event.processed_at is not None:
        return event
    StripeEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1)
    try:
        _stripe_event_apply(event)
    except Exception as error:
        # Kept for the sweep's audit entry and the operators' admin, then raised: the task
        # retries a temporary failure, the sweep sends the event again later.
        StripeEvent.objects.filter(pk=event.pk).update(
            error=f"{type(error).__name__}: {error}"[:1000])
        raise
    with transaction.atomic():
        done = StripeEvent.objects.select_for_update().get(pk=event.pk)
        if done.processed_at is None:
            done.processed_at, done.error = timezone.now(), ""
            done.save(update_fields=["processed_at", "error"])
    return done


def _stripe_event_apply(event: StripeEvent) -> None:
    obj = (event.payload.get("data") or {}).get("object") or {}
    if event.type == "checkout.session.completed" and obj.get("subscription"):
        hint = obj.get("client_reference_id") or (obj.get("metadata") or {}).get(
            "association_id")
        subscription_refresh(stripe_subscription_id=str(obj["subscription"]),
                             association_id=int(str(hint)) if str(hint).isdigit() else None)
    elif event.type.startswith("customer.subscription.") and event.type in HANDLED_EVENTS:
        subscription_refresh(stripe_subscription_id=str(obj["id"]))
    elif event.type in ("invoice.paid", "invoice.payment_failed"):
        invoice_refresh(stripe_invoice_id=str(obj["id"]),
                        failed=event.type == "invoice.payment_failed")


# --- The sweep: events left unprocessed ----------------------------------------------------

# An event still unprocessed this long after it arrived is sent again by the sweep (Celery
# beat, billing.stripe_events_sweep_task): its own task's retries (about 30 s) are long over.
SWEEP_AFTER = timedelta(minutes=10)
# Each re-send waits twice as long as the previous one (10 min, 20 min, ... 21 h: about
# 42 hours in all, a long Stripe or worker outage included); after this many, the event is
# abandoned: audited, logged as an error, shown in the admin, never sent again.
SWEEP_MAX = 8
SWEEP_BATCH = 500


@dataclass(frozen=True)
class Sweep:
    sent: int
    abandoned: int


def stripe_events_sweep(*, batch: int = SWEEP_BATCH) -> Sweep:
    """Send again, through the outbox, the stored events whose processing has not
    succeeded; abandon those re-sent SWEEP_MAX times. Safe to run twice (and two at once):
    an event is sent at most once per due date, under a row lock."""

    now = timezone.now()
    sent, abandoned = 0, 0
    with transaction.atomic():
        due = (StripeEvent.objects.select_for_update(skip_locked=True)
               .filter(processed_at__isnull=True, abandoned_at__isnull=True)
               .filter(Q(next_sweep_at__lte=now)
                       | Q(next_sweep_at__isnull=True, received_at__lte=now - SWEEP_AFTER))
               .order_by("received_at")[:batch])
        for event in due:
            if event.sweeps >= SWEEP_MAX:
                event.abandoned_at = now
                event.save(update_fields=["abandoned_at"])
                audit("billing.stripe_event_abandoned", event_id=event.event_id,
                      type=event.type, attempts=event.attempts, error=event.error[:300])
                log.error("stripe event %s (%s) abandoned after %s re-sends: %s",
                          event.event_id, event.type, event.sweeps, event.error)
                abandoned += 1
                continue
            event.sweeps += 1
            event.next_sweep_at = now + SWEEP_AFTER * 2 ** (event.sweeps - 1)
            event.save(update_fields=["sweeps", "next_sweep_at"])
            log.warning("stripe event %s (%s) still unprocessed: sent again (%s/%s)",
                        event.event_id, event.type, event.sweeps, SWEEP_MAX)
            enqueue("billing.stripe_event_process_task", args=(event.pk,))
            sent += 1
    return Sweep(sent=sent, abandoned=abandoned)


def _local_subscription(
    remote: gateway.RemoteSubscription, association_id: int | None
) -> Subscription | None:
    found = Subscription.objects.select_for_update().filter(
        stripe_subscription_id=remote.id).first()
    association_id = association_id or remote.association_id
    if found is None and association_id is not None:
        found = Subscription.objects.select_for_update().filter(
            association_id=association_id).first()
    return found


def subscription_refresh(
    *, stripe_subscription_id: str, association_id: int | None = None
) -> Subscription | None:
    remote = gateway.subscription_retrieve(stripe_subscription_id)
    with transaction.atomic():
        subscription = _local_subscription(remote, association_id)
        if subscription is None:
            log.warning("stripe subscription %s matches no association", remote.id)
            return None
        if (subscription.stripe_subscription_id and subscription.stripe_subscription_id
                != remote.id and remote.status in ("canceled", "incomplete_expired")):
            # An old subscription ending does not end the one the association has now.
            return subscription
        before = (subscription.status, subscription.plan_code, subscription.quantity)
        plan = plan_for_price(remote.price_id)
        subscription.stripe_subscription_id = remote.id
        subscription.stripe_status = remote.status
        subscription.status = STATUS_FROM_STRIPE.get(remote.status, subscription.status)
        subscription.plan_code = plan.code if plan else subscription.plan_code
        if plan and remote.status in ("active", "trialing") and not subscription.plan_chosen_at:
            subscription.plan_chosen_at = timezone.now()  # the first-run checklist's step
        subscription.quantity = remote.quantity
        subscription.current_period_end = remote.current_period_end
        subscription.synced_at = timezone.now()
        if subscription.payer is None or subscription.payer.stripe_customer_id != (
                remote.customer_id):
            payer = Payer.objects.filter(stripe_customer_id=remote.customer_id).first()
            subscription.payer = payer or subscription.payer
        if remote.status in ("past_due", "unpaid") and subscription.grace_started_at is None:
            subscription.grace_started_at = timezone.now()
        subscription.save()
        _changed(subscription.association_id)
        after = (subscription.status, subscription.plan_code, subscription.quantity)
        if before != after:
            audit("billing.subscription_synced", association=subscription.association,
                  stripe_status=remote.status, plan=subscription.plan_code,
                  quantity=subscription.quantity)
    if (remote.status in ("active", "trialing") and subscription.grace_started_at
            and not subscription.unpaid_invoice_id):
        _grace_lift(subscription.pk, reason="subscription_active")
    return subscription


def invoice_refresh(*, stripe_invoice_id: str, failed: bool) -> Subscription | None:
    invoice = gateway.invoice_retrieve(stripe_invoice_id)
    if not invoice.subscription_id:
        return None
    subscription = subscription_refresh(stripe_subscription_id=invoice.subscription_id)
    if subscription is None:
        return None
    if invoice.status in ("paid", "void"):
        if subscription.grace_started_at and subscription.unpaid_invoice_id in (
                "", invoice.id):
            _grace_lift(subscription.pk, reason="invoice_paid")
    elif failed and invoice.status in ("open", "uncollectible"):
        with transaction.atomic():
            locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
            if locked.grace_started_at is None or not locked.unpaid_invoice_id:
                locked.grace_started_at = locked.grace_started_at or timezone.now()
                locked.unpaid_invoice_id = invoice.id
                locked.save(update_fields=["grace_started_at", "unpaid_invoice_id"])
                _changed(locked.association_id)
                audit("billing.grace_started", association=locked.association,
                      invoice=invoice.id, ends_at=str(locked.grace_ends_at))
    subscription.refresh_from_db()
    return subscription


def _grace_lift(subscription_pk: int, *, reason: str) -> None:
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription_pk)
        if locked.grace_started_at is not None:
            locked.grace_started_at, locked.unpaid_invoice_id = None, ""
            locked.save(update_fields=["grace_started_at", "unpaid_invoice_id"])
            _changed(locked.association_id)
            audit("billing.grace_lifted", association=locked.association, reason=reason)


def subscription_seats_changed(*, association: Association) -> None:
    """Called inside the transaction that adds or removes a member: after commit, the
    Stripe quantity follows. Nothing happens for a plan not billed per member."""

    subscription = Subscription.objects.filter(
        association=association, stripe_subscription_id__isnull=False).first()
    if subscription is None or not PLANS.get(subscription.plan_code, PLANS["solidaire"]).paid:
        return
    Subscription.objects.filter(pk=subscription.pk).update(
        seats_version=F("seats_version") + 1)
    pk = subscription.pk
    enqueue("billing.subscription_seats_sync_task", args=(pk,))


def subscription_seats_sync(*, subscription_pk: int) -> Subscription:
    """Set the Stripe quantity to the members billed; safe to run twice (same key)."""
    subscription = Subscription.objects.select_related("association").get(pk=subscription_pk)
    if not subscription.stripe_subscription_id:
        return subscription
    wanted = members_billed(subscription.association)
    remote = gateway.subscription_retrieve(subscription.stripe_subscription_id)
    if remote.status in ("canceled", "incomplete_expired"):
        return subscription
    if remote.quantity != wanted:
        gateway.subscription_quantity_set(
            item_id=remote.item_id, quantity=wanted,
            idempotency_key=f"relier-seats-{subscription.pk}-{subscription.seats_version}")
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if locked.quantity != wanted:
            audit("billing.seats_synced", association=subscription.association,
                  quantity=wanted, previous=locked.quantity)
        locked.quantity, locked.synced_at = wanted, timezone.now()
        locked.save(update_fields=["quantity", "synced_at"])
    return locked
