"""Reads on subscriptions and seats. Schema: public."""

from __future__ import annotations

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
