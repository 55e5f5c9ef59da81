"""The form of a milestone, and what the case page shows of the programme (tenant schema).
Forms check shapes and types; services.milestone_record checks the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.employment import selectors
from tracking.employment.services import MAX_NOTE
from tracking.forms import DateInput
from tracking.models import Case, PicklistItem


class MilestoneForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("Étape franchie"),
                                  queryset=PicklistItem.objects.none(), empty_label=None)
    reached_on = forms.DateField(label=_("Date"), widget=DateInput(),
                                 initial=timezone.localdate)
    note = forms.CharField(label=_("Note (facultative)"), required=False, max_length=MAX_NOTE,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Chiffrée ; n'y écrivez que ce qui est utile au suivi."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "milestone_%s")
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = selectors.milestone_kinds()  # type: ignore[attr-defined]


def case_section(case: Case, *, can_edit: bool) -> dict[str, Any] | None:
    """The case page's "employment programme" section: None for a case outside it."""
    if not selectors.in_programme(case):
        return None
    return {"milestones": list(selectors.milestone_list(case)),
            "form": MilestoneForm() if can_edit else None}
