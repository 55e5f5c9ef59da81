"""Awareness sessions. Schema: tenant."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import STAFF
from tracking.lists.models import PicklistKind


class AwarenessSession(models.Model):
    """An information / awareness session, counted by audience."""

    held_on = models.DateField(_("date"))
    partner = models.ForeignKey("tracking.Partner", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="awareness_sessions", verbose_name=_("partenaire"))
    town = models.CharField(_("commune"), max_length=120, blank=True)
    department = models.CharField(_("département"), max_length=3, blank=True)
    programme = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("programme"), limit_choices_to={"kind": PicklistKind.PROGRAMME},
    )
    facilitators: models.ManyToManyField[Any, Any] = models.ManyToManyField(
        STAFF, db_constraint=False, related_name="+", blank=True,
                                          verbose_name=_("intervenants"),
                                          db_table="tracking_awareness_facilitators")
    pupils = models.PositiveIntegerField(_("élèves"), default=0,
                                         validators=[MaxValueValidator(100_000)])
    parents = models.PositiveIntegerField(_("parents"), default=0,
                                          validators=[MaxValueValidator(100_000)])
    teachers = models.PositiveIntegerField(_("enseignants"), default=0,
                                           validators=[MaxValueValidator(100_000)])
    other_professionals = models.PositiveIntegerField(
        _("autres professionnels"), default=0, validators=[MaxValueValidator(100_000)]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-held_on",)

    def __str__(self) -> str:
        return f"{self.held_on} {self.town}"
