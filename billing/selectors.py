"""Reads on subscriptions and seats. Schema: public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Subscription
from billing.plans import DEFAULT_PLAN, GRACE, PLANS, Plan
from relier_platform.cache import LocalMemo
from relier_platform.tenancy import current_schema
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


# Read on every request of an association's host: kept in the cache (no query), dropped
# by every billing service that changes a subscription (billing_state_forget).
STATE_CACHE_TIMEOUT = 5 * 60


# This process's copy of the cached facts, by association id (relier_platform.cache.LocalMemo).
STATES = LocalMemo("billing states")


def _state_key(association_id: int) -> str:
    return f"billing:state:{association_id}"


def billing_state_forget(association_id: int) -> None:
    """Cache keys carry the schema of whoever wrote them (django_tenants.cache.make_key):
    the state is cached by requests on the association's host, so drop it there."""
    STATES.forget(association_id)
    schema = Association.objects.filter(pk=association_id).values_list(
        "schema_name", flat=True).first()
    if schema is not None:
        with schema_context(schema):
            cache.delete(_state_key(association_id))


def billing_state(association: Association, now: datetime | None = None) -> BillingState:
    """Computed at each call from the grace period's start (so read-only begins on time),
    which is read from the cache."""
    # Cached only on the association's own host (see billing_state_forget).
    cached = current_schema() == association.schema_name
    key = _state_key(association.pk)
    facts = STATES.get(association.pk) if cached else None
    if facts is None and cached:
        facts = cache.get(key)
        if facts is not None:
            STATES.set(association.pk, facts)
    if facts is None:
        subscription = subscription_get(association=association)
        facts = ((subscription.grace_started_at, subscription.status, subscription.plan_code)
                 if subscription else (None, "", ""))
        if cached:
            cache.set(key, facts, STATE_CACHE_TIMEOUT)
            STATES.set(association.pk, facts)
    grace_started_at, status, plan_code = facts
    now = now or timezone.now()
    if grace_started_at is not None:
        ends = grace_started_at + GRACE
        if now >= ends:
            return BillingState("read_only", ends)
        return BillingState("grace", ends, max(0, (ends - now).days))
    plan = PLANS.get(plan_code)
    if status == Subscription.Status.CANCELED and plan is not None and plan.paid:
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
