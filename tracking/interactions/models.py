"""Interactions, contacts and partner organisations. Schema: tenant. Clinical notes are
encrypted and read by psychologists only."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedCharField, EncryptedTextField, staff_key
from tracking.lists.models import PicklistKind


class Partner(models.Model):
    """A partner organisation: school, town hall, association, social centre …"""

    name = models.CharField(_("nom"), max_length=200)
    kind = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("type"),
        limit_choices_to={"kind": PicklistKind.PARTNER_TYPE},
    )
    town = models.CharField(_("commune"), max_length=120, blank=True)
    department = models.CharField(_("département"), max_length=3, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    is_archived = models.BooleanField(_("archivé"), default=False)

    class Meta:
        ordering = ("name",)
        verbose_name = _("partenaire")

    def __str__(self) -> str:
        return self.name


class ContactKind(models.TextChoices):
    PARENT = "parent", _("Parent ou responsable légal")
    SCHOOL = "school", _("Personnel de l'établissement")
    LOCAL = "local", _("Acteur local")
    OTHER = "other", _("Autre")


class Contact(models.Model):
    kind = models.CharField(_("type"), max_length=10, choices=ContactKind.choices)
    first_name = EncryptedCharField(_("prénom"), max_length=80, blank=True, default="")
    last_name = EncryptedCharField(_("nom"), max_length=80, blank=True, default="")
    phone = EncryptedCharField(_("téléphone"), max_length=30, blank=True, default="")
    email = EncryptedCharField(_("e-mail"), max_length=200, blank=True, default="")
    partner = models.ForeignKey("tracking.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="contacts", verbose_name=_("organisation"))
    cases = models.ManyToManyField("tracking.Case", through="CaseContact", related_name="contacts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contact")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"#{self.pk}"


class CaseContact(models.Model):
    case = models.ForeignKey("tracking.Case", on_delete=models.CASCADE)
    contact = models.ForeignKey("tracking.Contact", on_delete=models.CASCADE)
    relationship = models.CharField(_("lien"), max_length=80)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "contact"], name="case_contact_unique")
        ]

    def __str__(self) -> str:
        return self.relationship


class Channel(models.TextChoices):
    PHONE = "phone", _("Téléphone")
    VIDEO = "video", _("Visio")
    IN_PERSON = "in_person", _("En présentiel")
    CHAT = "chat", _("Messagerie")


class Interaction(models.Model):
    """Every exchange with a young person, a parent, a partner or a volunteer."""

    # Read by psychologists only (Capability.CLINICAL). Every export made for someone else
    # leaves these out (tracking.permissions.clinical_columns): declare any new one here.
    CLINICAL_FIELDS: ClassVar[tuple[str, ...]] = ("clinical_note",)

    kind = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, related_name="+", verbose_name=_("type"),
        limit_choices_to={"kind": PicklistKind.INTERACTION_KIND},
    )
    channel = models.CharField(_("canal"), max_length=10, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("date et heure"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée (minutes)"), null=True, blank=True, validators=[MaxValueValidator(24 * 60)]
    )
    staff = staff_key(related_name="+",
                              verbose_name=_("intervenant"))
    cases = models.ManyToManyField("tracking.Case", related_name="interactions", blank=True,
                                   verbose_name=_("jeunes"))
    contacts = models.ManyToManyField("tracking.Contact", related_name="interactions", blank=True,
                                      verbose_name=_("contacts"))
    partner = models.ForeignKey("tracking.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="interactions", verbose_name=_("partenaire"))
    summary = models.TextField(_("résumé"), max_length=5000, blank=True)
    clinical_note = EncryptedTextField(_("note clinique"), blank=True, default="")
    created_by = staff_key(related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    custom = models.JSONField(_("champs personnalisés"), default=dict, blank=True)

    class Meta:
        ordering = ("-occurred_at", "-id")
        indexes = [models.Index(fields=["occurred_at"])]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d} {self.kind_id}"
