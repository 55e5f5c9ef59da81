"""Workflows: the stages a case moves through, configured by each association. Schema:
tenant. A workflow is versioned: editing happens on a draft; publishing it makes it the
one in force and maps every case onto its stages (see tracking/workflows/services.py)."""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.cases.models import staff_key


class WorkflowVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Brouillon")
        PUBLISHED = "published", _("En vigueur")
        RETIRED = "retired", _("Remplacée")

    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("état"), max_length=10, choices=Status.choices,
                              default=Status.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = staff_key(
                                   null=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-number",)
        constraints = [
            models.UniqueConstraint(fields=["number"], name="workflow_version_number_unique"),
            # At most one version in force, at most one draft.
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="published"),
                                    name="workflow_one_published"),
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="draft"),
                                    name="workflow_one_draft"),
        ]

    def __str__(self) -> str:
        return f"v{self.number} ({self.status})"


class Stage(models.Model):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="stages")
    # Stable across versions: a stage keeps its key when a new version is drafted.
    key = models.SlugField(_("identifiant"), max_length=60)
    name = models.CharField(_("nom"), max_length=80)
    colour = models.CharField(_("couleur"), max_length=7, default="#1d4f91")
    is_open = models.BooleanField(_("dossier ouvert à cette étape"), default=True)
    is_initial = models.BooleanField(_("étape initiale"), default=False)
    time_limit_hours = models.PositiveIntegerField(_("délai (heures)"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("version", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="stage_key_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Transition(models.Model):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT,
                                related_name="transitions")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="outgoing")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="incoming")
    label = models.CharField(_("libellé"), max_length=80)
    roles = ArrayField(models.CharField(max_length=20), default=list, blank=True,
                       verbose_name=_("rôles autorisés"))
    required_fields = ArrayField(models.CharField(max_length=70), default=list, blank=True,
                                 verbose_name=_("champs requis"))
    confirmation = models.CharField(_("texte de confirmation"), max_length=200, blank=True)

    class Meta:
        ordering = ("version", "from_stage__position", "id")
        constraints = [
            models.UniqueConstraint(fields=["from_stage", "to_stage"],
                                    name="transition_unique"),
            models.CheckConstraint(condition=~models.Q(from_stage=models.F("to_stage")),
                                   name="transition_not_loop"),
        ]

    def __str__(self) -> str:
        return self.label


class StageChange(models.Model):
    """A case's move between stages: who, when, from, to, why. Append-only (trigger)."""

    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT,
                             related_name="stage_changes")
    at = models.DateTimeField(default=timezone.now)
    actor = staff_key(null=True,
                              related_name="+")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(_("commentaire"), max_length=500, blank=True)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_stage_id} → {self.to_stage_id}"


def stage_fields() -> dict[str, Any]:
    """The fields a transition may require, by name: the case's own fields, then the
    association's active custom fields of cases (named cf_<key>)."""
    from tracking.fields.models import CustomField, CustomFieldTarget

    custom = {f"cf_{f.key}": f.label for f in CustomField.objects.filter(
        target=CustomFieldTarget.CASE, is_archived=False).order_by("position", "id")}
    return {
        "birth_year": _("Année de naissance"), "gender": _("Genre"), "town": _("Commune"),
        "department": _("Département"), "programme": _("Programme"),
        "detection_source": _("Source de détection"),
        "referring_partner": _("Partenaire orienteur"),
        "situation_types": _("Types de situation"), "assigned_staff": _("Intervenants référents"),
        "consent": _("Consentement"), "impact": _("Scores d'impact"),
        **custom,
    }


class OverdueReminder(models.Model):
    """One reminder per breach: a case, the stage it sits on and since when."""

    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, related_name="+")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    stage_entered_at = models.DateTimeField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "stage", "stage_entered_at"],
                                    name="one_reminder_per_breach"),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.stage_id} {self.stage_entered_at:%Y-%m-%d}"
