"""Milestones of the programme toward employment. Schema: tenant."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedTextField, staff_key
from tracking.lists.models import PicklistKind


class EmploymentMilestone(models.Model):
    """A step a young person of the employment programme reached, on a day. Its type is an
    item of the association's list `employment_milestone` (network codes in
    tracking/lists/defaults.py); the note, free text about the person, is encrypted."""

    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT,
                             related_name="employment_milestones")
    kind = models.ForeignKey(
        "tracking.PicklistItem", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("étape"), limit_choices_to={"kind": PicklistKind.EMPLOYMENT_MILESTONE},
    )
    reached_on = models.DateField(_("date"))
    note = EncryptedTextField(_("note"))
    recorded_by = staff_key(related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("reached_on", "id")
        verbose_name = _("étape du parcours vers l'emploi")
        indexes = [models.Index(fields=["reached_on"], name="employment_reached_on")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.reached_on}"
