"""Subscriptions of associations to a plan. Schema: public (shared).

Stripe comes later: its ids are here, empty, so that the payment issue adds no column.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import Association


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIALING = "trialing", _("Essai")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Paiement en retard")
        CANCELED = "canceled", _("Résiliée")

    association = models.OneToOneField(Association, on_delete=models.PROTECT,
                                        related_name="subscription")
    plan_code = models.CharField(_("offre"), max_length=20)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.TRIALING)
    trial_ends_at = models.DateTimeField(_("fin de l'essai"), null=True, blank=True)
    # When an admin chose the plan themselves (the first-run checklist ticks it).
    plan_chosen_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    stripe_customer_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    stripe_subscription_id = models.CharField(max_length=64, null=True, blank=True,
                                              unique=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")

    def __str__(self) -> str:
        return f"{self.association_id} · {self.plan_code} ({self.status})"
