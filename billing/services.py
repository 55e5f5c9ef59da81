"""Writes on subscriptions. Schema: public. No Stripe call yet (a later issue)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Subscription
from billing.plans import DEFAULT_PLAN, TRIAL, plan_get
from billing.selectors import seats_used
from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Association, User
from tenants.services import audit


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
        previous = subscription.plan_code
        subscription.plan_code = plan.code
        subscription.plan_chosen_at = timezone.now()
        subscription.save(update_fields=["plan_code", "plan_chosen_at"])
        audit("subscription.plan_chosen", actor=actor, association=association,
              plan=plan.code, previous=previous)
    return subscription
