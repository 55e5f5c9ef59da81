"""The association's lists (picklists): their kinds and items. Schema: tenant. Items are
never deleted, only archived; each may carry a network code shared by every association."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PicklistKind(models.TextChoices):
    DETECTION_SOURCE = "detection_source", _("Source de détection")
    SITUATION_TYPE = "situation_type", _("Type de situation")
    PROGRAMME = "programme", _("Programme")
    INTERACTION_KIND = "interaction_kind", _("Type d'échange")
    PARTNER_TYPE = "partner_type", _("Type de partenaire")
    CLOSING_REASON = "closing_reason", _("Motif de clôture")
    EMPLOYMENT_MILESTONE = "employment_milestone", _("Étape du parcours vers l'emploi")


class PicklistItem(models.Model):
    """An item of one of the association's lists. Archived, never deleted while used;
    `network_code` lets pooled statistics compare like with like."""

    kind = models.CharField(_("liste"), max_length=32, choices=PicklistKind.choices)
    code = models.SlugField(_("code"), max_length=60)
    label = models.CharField(_("libellé"), max_length=120)
    network_code = models.CharField(_("code réseau"), max_length=60, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    is_archived = models.BooleanField(_("archivé"), default=False)

    class Meta:
        ordering = ("kind", "position", "label")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="picklist_code_unique")
        ]

    def __str__(self) -> str:
        return self.label
