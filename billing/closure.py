"""Billing when an association closes (tenants/offboarding/services.py). Schema: public.

A closing association's Stripe subscription is set to end with its current period (what it
paid for stays paid, nothing more is charged); cancelling the closure undoes it. The state
is read at each run, so retries and requests in any order end where the association is.
"""

from __future__ import annotations

from django.db import transaction

from billing import gateway
from billing.models import Subscription
from tenants.models import Association, AuditEntry
from tenants.tenancy.services import audit

ENDS = ("active", "trialing", "past_due", "unpaid")


def subscription_closure_sync(*, association_id: int) -> bool:
    """True when Stripe was asked to change something."""
    association = Association.objects.get(pk=association_id)
    subscription = Subscription.objects.filter(
        association=association, stripe_subscription_id__isnull=False).first()
    if subscription is None or gateway.stub_mode():
        return False
    closing = association.state != Association.State.ACTIVE
    remote = gateway.subscription_retrieve(str(subscription.stripe_subscription_id))
    if remote.status not in ENDS:
        return False
    # One key per request or cancellation (its audit entry): a retried task sends the same.
    change = AuditEntry.objects.filter(
        association=association, action__in=["association.closure_requested",
                                             "association.closure_cancelled"]
    ).order_by("-pk").values_list("pk", flat=True).first() or 0
    gateway.subscription_cancel_at_period_end_set(
        subscription_id=remote.id, cancel=closing,
        idempotency_key=f"relier-closure-{association.pk}-{change}-{int(closing)}")
    with transaction.atomic():
        audit("billing.closure_synced", association=association,
              stripe_subscription=remote.id, cancel_at_period_end=closing)
    return True
