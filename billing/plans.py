"""The catalogue of plans, in euros. Schema: none (constants).

- **Solidaire**: free, sponsored, up to 3 members; no card, no Stripe.
- **Mensuel** / **Annuel**: paid per member (the Stripe subscription's quantity follows the
  number of active members, billing.services.subscription_seats_sync).
- Essentiel / Équipe / Réseau: the trial tiers of the first version (a seat cap, no
  payment); new associations still start a trial on Équipe, and pay by choosing Mensuel or
  Annuel through Stripe Checkout.

A seat is an active membership or a pending invitation (billing.selectors.seats_used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

TRIAL_DAYS = 30
TRIAL = timedelta(days=TRIAL_DAYS)
GRACE_DAYS = 14
GRACE = timedelta(days=GRACE_DAYS)


@dataclass(frozen=True)
class Plan:
    code: str
    name: str | Promise
    seat_limit: int
    monthly_price_cents: int
    # Paid per member through Stripe: the price of one member for one `interval`.
    interval: str = ""  # "month" | "year" | "" (not billed through Stripe)
    member_price_cents: int = 0
    price_setting: str = ""  # name of the setting holding the Stripe price id

    @property
    def monthly_price_euros(self) -> str:
        return euros(self.monthly_price_cents)

    @property
    def member_price_euros(self) -> str:
        return euros(self.member_price_cents)

    @property
    def paid(self) -> bool:
        return bool(self.interval)

    @property
    def stripe_price_id(self) -> str:
        return str(getattr(settings, self.price_setting, "")) if self.price_setting else ""

    def monthly_revenue_cents(self, quantity: int) -> int:
        """What one subscription brings in a month (a yearly one counts for a twelfth)."""
        if self.interval == "year":
            return round(self.member_price_cents * quantity / 12)
        if self.interval == "month":
            return self.member_price_cents * quantity
        return 0


def euros(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole},{rest:02d}" if rest else str(whole)


PLANS: dict[str, Plan] = {
    plan.code: plan for plan in (
        Plan("solidaire", _("Solidaire"), seat_limit=3, monthly_price_cents=0),
        Plan("mensuel", _("Par membre, au mois"), seat_limit=500, monthly_price_cents=800,
             interval="month", member_price_cents=800, price_setting="STRIPE_PRICE_MONTHLY"),
        Plan("annuel", _("Par membre, à l'année"), seat_limit=500, monthly_price_cents=667,
             interval="year", member_price_cents=8000, price_setting="STRIPE_PRICE_YEARLY"),
        Plan("essentiel", _("Essentiel"), seat_limit=5, monthly_price_cents=2900),
        Plan("equipe", _("Équipe"), seat_limit=15, monthly_price_cents=5900),
        Plan("reseau", _("Réseau"), seat_limit=50, monthly_price_cents=11900),
    )
}
# New associations start a trial on this plan.
DEFAULT_PLAN = "equipe"
# Offered on the subscription page.
PAID_PLANS = ("mensuel", "annuel")


def plan_get(code: str) -> Plan | None:
    return PLANS.get(code)


def plan_for_price(price_id: str) -> Plan | None:
    return next((p for p in PLANS.values() if p.paid and p.stripe_price_id == price_id), None)
