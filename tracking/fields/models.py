"""Custom fields: the questions an association adds to its case and interaction forms.

Schema: tenant. A field's definition lives here; its values live in the `custom` JSON
column of the record it describes (`Case.custom`, `Interaction.custom`), under the field's
`key`, which never changes once the field exists. Fields and their choices are archived,
never deleted: an archived field leaves the forms, and the records keep its values.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CustomFieldTarget(models.TextChoices):
    CASE = "case", _("Dossiers")
    INTERACTION = "interaction", _("Échanges")


class CustomFieldKind(models.TextChoices):
    TEXT = "text", _("Texte court")
    LONG_TEXT = "long_text", _("Texte long")
    NUMBER = "number", _("Nombre")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choix unique")
    MULTIPLE_CHOICE = "multiple_choice", _("Choix multiple")
    YES_NO = "yes_no", _("Oui / non")


CHOICE_KINDS = frozenset({CustomFieldKind.CHOICE, CustomFieldKind.MULTIPLE_CHOICE})
# Free text may name a young person: it never leaves the association in a file.
TEXT_KINDS = frozenset({CustomFieldKind.TEXT, CustomFieldKind.LONG_TEXT})


class CustomField(models.Model):
    target = models.CharField(_("s'applique à"), max_length=12,
                              choices=CustomFieldTarget.choices)
    key = models.SlugField(_("identifiant"), max_length=60)
    label = models.CharField(_("libellé"), max_length=120)
    kind = models.CharField(_("type"), max_length=16, choices=CustomFieldKind.choices)
    required = models.BooleanField(_("obligatoire"), default=False)
    help_text = models.CharField(_("aide"), max_length=300, blank=True)
    # [{"code": "…", "label": "…", "archived": false}, …] for the choice kinds.
    choices = models.JSONField(_("choix"), default=list, blank=True)
    position = models.PositiveIntegerField(_("ordre"), default=0)
    is_archived = models.BooleanField(_("archivé"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("target", "position", "id")
        verbose_name = _("champ personnalisé")
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="custom_field_key_unique"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def has_choices(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def is_text(self) -> bool:
        return self.kind in TEXT_KINDS

    def choice_label(self, code: str) -> str:
        for choice in self.choices:
            if choice["code"] == code:
                return str(choice["label"])
        return code

    def active_choices(self, *, keep: list[str] | tuple[str, ...] = ()) -> list[dict[str, str]]:
        """Choices offered in forms: the active ones, and the archived ones in `keep`."""
        return [c for c in self.choices if not c.get("archived") or c["code"] in keep]
