"""Forms of Question Psy: they check shapes; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tracking.models import Question
from tracking.questions.models import (
    ANSWER_MAX_LENGTH,
    NICKNAME_MAX_LENGTH,
    PUBLIC_TEXT_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
)

ASKERS = [("", _("Je préfère ne pas le dire")),
          *[(value, label) for value, label in Question.Asker.choices if value != "unknown"]]


class PublicQuestionForm(forms.Form):
    """The public form: only the question is required."""

    text = forms.CharField(
        label=_("Votre question"), max_length=QUESTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6, "aria-describedby": "question-notice"}),
        error_messages={"required": _("Écrivez votre question."),
                        "max_length": _("Votre question est trop longue (%(limit_value)d "
                                        "caractères au plus).")})
    nickname = forms.CharField(
        label=_("Un pseudo (facultatif)"), max_length=NICKNAME_MAX_LENGTH, required=False,
        help_text=_("Pas votre vrai nom : le pseudo n'est jamais publié."),
        error_messages={"max_length": _("Le pseudo est trop long (%(limit_value)d caractères "
                                        "au plus).")})
    asker = forms.ChoiceField(label=_("Vous êtes (facultatif)"), choices=ASKERS,
                              required=False)
    # Honeypot, as on /signaler: hidden from people, filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].widget.attrs["maxlength"] = QUESTION_MAX_LENGTH


class RewordForm(forms.Form):
    public_text = forms.CharField(
        label=_("Formulation publiable"), max_length=PUBLIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Ce qui sera lu en séance et publié : retirez tout prénom, lieu, "
                    "établissement ou détail qui permettrait de reconnaître quelqu'un."),
        error_messages={"required": _("Écrivez la formulation publiable.")})


class AsideForm(forms.Form):
    reason = forms.ChoiceField(label=_("Raison"), choices=Question.AsideReason.choices)


class ScheduleForm(forms.Form):
    session = forms.TypedChoiceField(label=_("Séance"), coerce=int, required=False,
                                     empty_value=None)

    def __init__(self, *args: Any, sessions: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [  # type: ignore[attr-defined]
            ("", _("Aucune (retirer de la séance)")),
            *[(s.pk, s.held_on.strftime("%d/%m/%Y")) for s in sessions]]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Réponse"), max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": _("Écrivez la réponse.")})


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date de la séance"),
                              widget=forms.DateInput(attrs={"type": "date"}),
                              error_messages={"required": _("Indiquez la date de la séance."),
                                              "invalid": _("Indiquez une date valide.")})
