"""Webhook endpoints and their deliveries. Schema: tenant."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedCharField


class WebhookEvent(models.TextChoices):
    """What an endpoint may subscribe to. A payload carries ids, codes and dates only."""

    REFERRAL_RECEIVED = "referral.received", _("Signalement reçu")
    CASE_STAGE_CHANGED = "case.stage_changed", _("Changement d'étape d'un dossier")
    CASE_CLOSED = "case.closed", _("Dossier clôturé")


class WebhookEndpoint(models.Model):
    """An address the association's events are POSTed to. Its signing secret is made by
    the server, shown once, and kept encrypted (the receiver needs it to check each
    signature, so a digest would not do). Never deleted: disabled, by an admin or after
    repeated failures, with the reason."""

    url = models.URLField(_("adresse"), max_length=500)
    description = models.CharField(_("description"), max_length=120, blank=True, default="")
    events = models.JSONField(_("événements"), default=list)
    secret = EncryptedCharField(max_length=100)
    active = models.BooleanField(_("actif"), default=True)
    disabled_at = models.DateTimeField(_("désactivé le"), null=True, blank=True)
    disabled_reason = models.CharField(_("motif de désactivation"), max_length=200,
                                       blank=True, default="")
    # Deliveries that failed one after another (every attempt spent); 0 after a success.
    consecutive_failures = models.PositiveIntegerField(default=0)
    # People live in public: a plain id, no key across schemas (see tracking.columns).
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("point de réception de webhooks")

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    DELIVERED = "delivered", _("Livrée")
    FAILED = "failed", _("Échouée")


class WebhookDelivery(models.Model):
    """One event sent to one endpoint, and how its attempts went. Never deleted here."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.PROTECT,
                                 related_name="deliveries")
    event_type = models.CharField(max_length=40)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True, default="")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["endpoint", "-created_at", "-id"],
                                name="webhook_delivery_endpoint")]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event_id"],
                                               name="webhook_delivery_once")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} → {self.endpoint_id}"
