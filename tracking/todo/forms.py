"""The form that gives a task (its checks are the service's; the form only reads input)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tracking.forms import DateInput
from tracking.todo.models import TITLE_MAX


class TaskForm(forms.Form):
    title = forms.CharField(
        label=_("Intitulé"), max_length=TITLE_MAX,
        help_text=_("Sans le nom du jeune : liez plutôt son dossier par son numéro."),
        error_messages={"required": _("Donnez un intitulé à la tâche.")})
    due_on = forms.DateField(
        label=_("Échéance"), widget=DateInput(),
        error_messages={"required": _("Indiquez une date d'échéance valide."),
                        "invalid": _("Indiquez une date d'échéance valide.")})
    assignee = forms.TypedChoiceField(
        label=_("Pour"), coerce=int,
        error_messages={
            "required": _("Choisissez la personne à qui confier la tâche."),
            "invalid_choice": _("Cette personne ne fait pas partie de l'équipe de "
                                "l'association."),
        })
    case_code = forms.CharField(label=_("Dossier lié (numéro, facultatif)"), max_length=20,
                                required=False)

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = members  # type: ignore[attr-defined]
