"""The catalogue of plans (no Stripe yet: prices are shown, nothing is charged).

A seat is an active membership or a pending invitation (billing.selectors.seats_used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TRIAL_DAYS = 30
TRIAL = timedelta(days=TRIAL_DAYS)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str | Promise
    seat_limit: int
    monthly_price_cents: int

    @property
    def monthly_price_euros(self) -> str:
        euros, cents = divmod(self.monthly_price_cents, 100)
        return f"{euros},{cents:02d}" if cents else str(euros)


PLANS: dict[str, Plan] = {
    plan.code: plan for plan in (
        Plan("essentiel", _("Essentiel"), seat_limit=5, monthly_price_cents=2900),
        Plan("equipe", _("Équipe"), seat_limit=15, monthly_price_cents=5900),
        Plan("reseau", _("Réseau"), seat_limit=50, monthly_price_cents=11900),
    )
}
# New associations start a trial on this plan.
DEFAULT_PLAN = "equipe"


def plan_get(code: str) -> Plan | None:
    return PLANS.get(code)
