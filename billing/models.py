"""Payers, subscriptions of associations and the Stripe events received. Schema: public
(shared).

A payer is a Stripe customer: an association paying for itself, or a sponsor (a
foundation, a network) paying for several associations with one customer — each
association then has its own Stripe subscription under that customer. Nothing here is ever
deleted for a billing reason: a cancelled subscription keeps its row, state and history.
"""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.plans import GRACE
from tenants.models import Association


class Payer(models.Model):
    name = models.CharField(_("nom"), max_length=200)
    email = models.EmailField(_("adresse e-mail de facturation"))
    is_sponsor = models.BooleanField(_("mécène"), default=False)
    stripe_customer_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payeur")
        verbose_name_plural = _("payeurs")

    def __str__(self) -> str:
        return self.name


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
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="subscriptions", verbose_name=_("payeur"))
    stripe_subscription_id = models.CharField(max_length=64, null=True, blank=True,
                                              unique=True)
    stripe_status = models.CharField(max_length=24, blank=True, default="")
    quantity = models.PositiveIntegerField(_("membres facturés"), default=0)
    current_period_end = models.DateTimeField(null=True, blank=True)
    # A failed payment opens a grace period; read-only when it is over, until paid.
    grace_started_at = models.DateTimeField(_("début du délai de grâce"), null=True,
                                            blank=True)
    unpaid_invoice_id = models.CharField(max_length=64, blank=True, default="")
    # Bumped at each seat change: the idempotency key of the quantity update sent to Stripe.
    seats_version = models.PositiveIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")

    def __str__(self) -> str:
        return f"{self.association_id} · {self.plan_code} ({self.status})"

    @property
    def grace_ends_at(self) -> datetime | None:
        return self.grace_started_at + GRACE if self.grace_started_at else None

    def is_read_only(self, now: datetime | None = None) -> bool:
        ends = self.grace_ends_at
        return ends is not None and (now or timezone.now()) >= ends


class StripeEvent(models.Model):
    """Every verified webhook event, once (its Stripe id is unique). One still unprocessed
    after its task's retries is sent again by the sweep (billing.services.
    stripe_events_sweep), a bounded number of times, then abandoned (audited)."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    sweeps = models.PositiveIntegerField(_("renvois par le balayage"), default=0)
    # None: due SWEEP_AFTER after its arrival (billing.services).
    next_sweep_at = models.DateTimeField(_("prochain renvoi"), null=True, blank=True)
    abandoned_at = models.DateTimeField(_("abandonné le"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")
        indexes = [
            # The sweep's look-up: only the events still waiting (a handful) are indexed.
            models.Index(fields=["received_at"], name="stripeevent_waiting",
                         condition=models.Q(processed_at__isnull=True,
                                            abandoned_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.type})"
