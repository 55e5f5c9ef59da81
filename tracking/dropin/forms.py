"""Forms of the drop-in pages: recurring hours (admins), the settings, and the public
booking form (with the same honeypot as the referral form, /signaler)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.forms import DateInput
from tracking.models import DropinMode

WEEKDAYS = [(0, _("lundi")), (1, _("mardi")), (2, _("mercredi")), (3, _("jeudi")),
            (4, _("vendredi")), (5, _("samedi")), (6, _("dimanche"))]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


class ScheduleForm(forms.Form):
    psychologist = forms.TypedChoiceField(label=_("Psychologue"), coerce=int)
    weekday = forms.TypedChoiceField(label=_("Jour"), coerce=int, choices=WEEKDAYS)
    starts_at = forms.TimeField(label=_("De"), widget=TimeInput())
    ends_at = forms.TimeField(label=_("À"), widget=TimeInput())
    slot_minutes = forms.IntegerField(label=_("Durée d'un créneau (minutes)"), initial=30)
    mode = forms.ChoiceField(label=_("Mode"), choices=DropinMode.choices)
    valid_from = forms.DateField(label=_("À partir du"), widget=DateInput(),
                                 initial=timezone.localdate)
    valid_until = forms.DateField(label=_("Jusqu'au (facultatif)"), widget=DateInput(),
                                  required=False)

    def __init__(self, *args: Any, psychologists: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["psychologist"].choices = [  # type: ignore[attr-defined]
            (user.pk, str(user)) for user in psychologists]


class SettingsForm(forms.Form):
    public_booking = forms.BooleanField(
        label=_("Les familles peuvent réserver un créneau en ligne"), required=False)
    days_ahead = forms.IntegerField(label=_("Jours proposés à l'avance"), min_value=1,
                                    max_value=60)


class PublicBookingForm(forms.Form):
    """The public page (/rendez-vous): a slot, a first name or nickname, a phone or an
    e-mail; nothing else."""

    slot = forms.CharField(label=_("Créneau"), max_length=80,
                           error_messages={"required": _("Choisissez un créneau.")})
    first_name = forms.CharField(label=_("Votre prénom ou un pseudo"), max_length=80,
                                 error_messages={"required": _("Indiquez un prénom ou un "
                                                               "pseudo.")})
    phone = forms.CharField(label=_("Téléphone pour vous rappeler"), max_length=30,
                            required=False)
    email = forms.CharField(label=_("ou e-mail"), max_length=200, required=False)
    # Honeypot, as on /signaler: hidden from people, filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))
