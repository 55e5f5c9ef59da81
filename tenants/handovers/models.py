"""The public record of a hand-over between two associations of a network. Schema: public.

The sending association cannot read the receiving one's schema, nor the reverse: this row
is the only thing they share. Its `summary` is a Fernet token sealed with the receiving
association's own key (tenants.handovers.crypto), emptied when the hand-over is decided."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.accounts.models import User
from tenants.networks.models import Network
from tenants.tenancy.models import Association


class HandoverStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")
    WITHDRAWN = "withdrawn", _("Retirée")
    EXPIRED = "expired", _("Expirée")


class Handover(models.Model):
    """One hand-over, from the sending association's admin to the receiving association.

    While pending: the sealed summary and the sender's case id (a number of the sender's
    own schema, meaningless elsewhere: it only forbids a second pending hand-over of the
    same case to the same association). Once decided both are emptied: what remains is the
    two associations, the network, the people who sent and decided, the dates and the
    outcome — no name, birth year, situation or text."""

    sender = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(Association, on_delete=models.PROTECT, related_name="+")
    network = models.ForeignKey(Network, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=HandoverStatus.choices,
                              default=HandoverStatus.PENDING)
    summary = models.TextField(blank=True, default="")
    sender_case_id = models.BigIntegerField(null=True, blank=True)
    sent_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-sent_at", "-id")
        verbose_name = _("transmission")
        indexes = [
            models.Index(fields=["receiver", "status"], name="handover_receiver_status"),
            models.Index(fields=["expires_at"], name="handover_pending_expiry",
                         condition=models.Q(status="pending")),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(sender=models.F("receiver")),
                                   name="handover_not_to_itself"),
            models.UniqueConstraint(fields=["sender", "receiver", "sender_case_id"],
                                    condition=models.Q(status="pending"),
                                    name="handover_one_pending_per_case"),
            # Decided: nothing personal left.
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | (models.Q(summary="") & models.Q(sender_case_id__isnull=True)),
                name="handover_decided_is_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.sender_id} → {self.receiver_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == HandoverStatus.PENDING
