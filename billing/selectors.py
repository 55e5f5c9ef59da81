"""Reads on subscriptions and seats. Schema: public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from billing.models import Subscription
from billing.plans import DEFAULT_PLAN, PLANS, Plan
from tenants.models import Association, Membership


def subscription_get(*, association: Association) -> Subscription | None:
    return Subscription.objects.filter(association=association).first()


def plan_of(association: Association) -> Plan:
    """The association's plan; associations made before billing existed (command line,
    demo) count as the default plan."""
    subscription = subscription_get(association=association)
    code = subscription.plan_code if subscription else DEFAULT_PLAN
    return PLANS.get(code, PLANS[DEFAULT_PLAN])


def seat_limit(association: Association) -> int:
    return plan_of(association).seat_limit


def seats_used(association: Association) -> int:
    """Active memberships plus pending (unexpired, unrevoked, unaccepted) invitations."""
    from onboarding.models import Invitation

    members = Membership.objects.filter(
        association=association, is_active=True, user__is_active=True
    ).count()
    invitations = Invitation.objects.pending(now=timezone.now()).filter(
        association=association
    ).count()
    return members + invitations


@dataclass(frozen=True)
class BillingState:
    """What the association may do because of its billing: `ok`, `grace` (a payment
    failed, writing still allowed until `grace_ends_at`) or `read_only`."""

    state: str
    grace_ends_at: datetime | None = None
    days_left: int = 0

    @property
    def read_only(self) -> bool:
        return self.state == "read_only"


OK = BillingState("ok")


def billing_state(association: Association, now: datetime | None = None) -> BillingState:
    subscription = subscription_get(association=association)
    if subscription is None:
        return OK
    now = now or timezone.now()
    ends = subscription.grace_ends_at
    if ends is not None:
        if now >= ends:
            return BillingState("read_only", ends)
        return BillingState("grace", ends, max(0, (ends - now).days))
    plan = PLANS.get(subscription.plan_code)
    if subscription.status == Subscription.Status.CANCELED and plan is not None and plan.paid:
        return BillingState("read_only")
    return OK


def subscription_list_for_operators() -> QuerySet[Subscription]:
    return Subscription.objects.select_related("association", "payer").order_by(
        "plan_code", "status", "association__name")


def monthly_recurring_revenue_cents() -> int:
    """Paying subscriptions (active, or late but not cancelled), a yearly one for 1/12."""
    total = 0
    rows = Subscription.objects.filter(
        status__in=[Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE],
        stripe_subscription_id__isnull=False,
    ).values_list("plan_code", "quantity")
    for code, quantity in rows:
        plan = PLANS.get(code)
        total += plan.monthly_revenue_cents(quantity) if plan else 0
    return total
