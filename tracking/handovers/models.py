"""What an association's file keeps of a hand-over. Schema: tenant.

The sending association keeps the hand-over it sent with its case (who consented, when
and how, what it sent, to whom); the receiving association keeps, with the new case it
opened on accepting, what it received. A hand-over refused, withdrawn or expired leaves
nothing in the receiving association's schema (it never had a row)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.cases.models import ConsentGiver
from tracking.columns import EncryptedCharField, EncryptedTextField, staff_key


class HandoverDirection(models.TextChoices):
    SENT = "sent", _("Transmise")
    RECEIVED = "received", _("Reçue")


class ConsentMethod(models.TextChoices):
    IN_PERSON = "in_person", _("De vive voix, en entretien")
    PHONE = "phone", _("Par téléphone")
    WRITTEN = "written", _("Par écrit (papier ou e-mail)")


class HandoverRecord(models.Model):
    """One hand-over in this association's file, with its case."""

    direction = models.CharField(max_length=10, choices=HandoverDirection.choices)
    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, related_name="handovers")
    # The public record (tenants.Handover): a plain id, no key across schemas.
    public_id = models.BigIntegerField(unique=True)
    # The other association, as it was named then (its id in public, no key).
    other_association_id = models.BigIntegerField()
    other_association_name = models.CharField(_("association"), max_length=200)
    first_name = EncryptedCharField(_("prénom"), max_length=80)
    birth_year = models.PositiveSmallIntegerField(_("année de naissance"), null=True, blank=True)
    situation_types = models.JSONField(_("types de situation"), default=list, blank=True)
    summary = EncryptedTextField(_("résumé"))
    consent_given_by = models.CharField(_("consentement donné par"), max_length=16,
                                        choices=ConsentGiver.choices)
    consent_given_on = models.DateField(_("date du consentement"))
    consent_method = models.CharField(_("forme du consentement"), max_length=12,
                                      choices=ConsentMethod.choices)
    actor = staff_key(related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-at", "-id")
        verbose_name = _("transmission")

    def __str__(self) -> str:
        return f"{self.direction} {self.public_id} ({self.case_id})"
