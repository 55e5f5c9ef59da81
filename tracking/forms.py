"""Forms of case tracking: they check shapes and types; the services check the rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relier_platform.errors import ApplicationError
from tenants.accounts import selectors as tenant_selectors
from tracking.cases.services import CaseData
from tracking.fields import services as custom_fields
from tracking.interactions import selectors
from tracking.lists import selectors as list_selectors
from tracking.models import (
    AttendanceStatus,
    CaseRole,
    Channel,
    ConsentGiver,
    ContactKind,
    CustomField,
    CustomFieldKind,
    CustomFieldTarget,
    ExchangeGroup,
    Gender,
    ImpactAssessment,
    Partner,
    PicklistItem,
    PicklistKind,
)


def _choice_options(field: CustomField, held: Any) -> list[tuple[str, str]]:
    keep = held if isinstance(held, list) else [held] if held else []
    return [(c["code"], c["label"]) for c in field.active_choices(keep=keep)]


_CUSTOM_FORM_FIELDS: dict[str, Any] = {
    CustomFieldKind.TEXT: lambda f, held, common: forms.CharField(
        max_length=custom_fields.MAX_TEXT, **common),
    CustomFieldKind.LONG_TEXT: lambda f, held, common: forms.CharField(
        max_length=custom_fields.MAX_LONG_TEXT, widget=forms.Textarea(attrs={"rows": 3}),
        **common),
    CustomFieldKind.NUMBER: lambda f, held, common: forms.DecimalField(
        max_digits=14, decimal_places=2, **common),
    CustomFieldKind.DATE: lambda f, held, common: forms.DateField(widget=DateInput(),
                                                                  **common),
    CustomFieldKind.YES_NO: lambda f, held, common: forms.ChoiceField(
        choices=[("", "—"), ("yes", _("Oui")), ("no", _("Non"))], **common),
    CustomFieldKind.CHOICE: lambda f, held, common: forms.ChoiceField(
        choices=[("", "—"), *_choice_options(f, held)], **common),
    CustomFieldKind.MULTIPLE_CHOICE: lambda f, held, common: forms.MultipleChoiceField(
        choices=_choice_options(f, held), widget=forms.CheckboxSelectMultiple, **common),
}


def _custom_form_field(field: CustomField, held: Any) -> forms.Field:
    common = {"label": field.label, "required": field.required, "help_text": field.help_text}
    made: forms.Field = _CUSTOM_FORM_FIELDS[field.kind](field, held, common)
    return made


class CustomFieldsMixin:
    """Adds the association's active custom fields (target `custom_target`) to a form,
    named cf_<key>; `custom_answers` gives the answers by key for the services."""

    custom_target: str = ""

    def add_custom_fields(self, held: dict[str, Any] | None) -> None:
        held = held or {}
        fields: dict[str, Any] = self.fields  # type: ignore[attr-defined]
        initial: dict[str, Any] = self.initial  # type: ignore[attr-defined]
        self.custom_keys: list[str] = []
        for field in custom_fields.field_list(self.custom_target):
            name = custom_fields.PREFIX + field.key
            fields[name] = _custom_form_field(field, held.get(field.key))
            self.custom_keys.append(field.key)
            value = held.get(field.key)
            if field.kind == CustomFieldKind.YES_NO and isinstance(value, bool):
                value = "yes" if value else "no"
            if value is not None and name not in initial:
                initial[name] = value

    def custom_answers(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = self.cleaned_data  # type: ignore[attr-defined]
        return {key: cleaned.get(custom_fields.PREFIX + key) for key in self.custom_keys}


def _items(kind: str) -> Any:
    return list_selectors.picklist(kind)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class StaffChoiceMixin:
    """Choices of active team members of the current association (public schema)."""

    def staff_choices(self, association: Any) -> list[tuple[int, str]]:
        return [(m.user_id, f"{m.user} · {m.get_role_display()}")
                for m in tenant_selectors.member_list(schema_name=association.schema_name)]


class CaseForm(StaffChoiceMixin, CustomFieldsMixin, forms.Form):
    custom_target = CustomFieldTarget.CASE

    first_name = forms.CharField(label=_("Prénom (facultatif)"), max_length=80, required=False)
    birth_year = forms.IntegerField(label=_("Année de naissance"), required=False)
    gender = forms.ChoiceField(label=_("Genre"), choices=Gender.choices, required=False)
    town = forms.CharField(label=_("Commune"), max_length=120, required=False)
    department = forms.CharField(label=_("Département"), max_length=3, required=False)
    role = forms.ChoiceField(label=_("Rôle du jeune dans la situation"), choices=CaseRole.choices)
    situation_types = forms.ModelMultipleChoiceField(
        label=_("Types de situation"), queryset=PicklistItem.objects.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=PicklistItem.objects.none(),
                                       required=False)
    detection_source = forms.ModelChoiceField(
        label=_("Source de détection"), queryset=PicklistItem.objects.none(), required=False
    )
    referring_partner = forms.ModelChoiceField(
        label=_("Partenaire orienteur"), queryset=Partner.objects.none(), required=False
    )
    assigned_staff = forms.TypedMultipleChoiceField(
        label=_("Intervenants référents"), coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    opened_on = forms.DateField(label=_("Date d'ouverture"), required=False, widget=DateInput())

    def __init__(self, *args: Any, association: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        # Active items, plus the archived ones this case already holds (kept on save).
        held: list[int] = []
        if case is not None:
            held = [pk for pk in (case.programme_id, case.detection_source_id) if pk]
            held += [item.pk for item in case.situation_types.all()]
        for name, kind in (("situation_types", PicklistKind.SITUATION_TYPE),
                           ("programme", PicklistKind.PROGRAMME),
                           ("detection_source", PicklistKind.DETECTION_SOURCE)):
            fields[name].queryset = PicklistItem.objects.filter(kind=kind).filter(
                Q(is_archived=False) | Q(pk__in=held)).order_by("position", "label")
        fields["referring_partner"].queryset = selectors.partner_list()
        fields["assigned_staff"].choices = self.staff_choices(association)
        self.add_custom_fields(case.custom if case is not None else None)

    def case_data(self, *, keep_custom: bool = False) -> CaseData:
        """What the case services take, from the valid form (the case pages and the API);
        `keep_custom`: the case's custom answers stay as they are (the API writes none)."""
        cleaned = self.cleaned_data
        return CaseData(
            custom=None if keep_custom else self.custom_answers(),
            first_name=cleaned.get("first_name") or "",
            birth_year=cleaned.get("birth_year"),
            gender=cleaned.get("gender") or "",
            town=cleaned.get("town") or "",
            department=cleaned.get("department") or "",
            role=cleaned.get("role") or "targeted",
            programme=cleaned.get("programme"),
            detection_source=cleaned.get("detection_source"),
            referring_partner=cleaned.get("referring_partner"),
            situation_types=list(cleaned.get("situation_types") or []),
            assigned_staff_ids=list(cleaned.get("assigned_staff") or []),
            opened_on=cleaned.get("opened_on"),
        )


class CloseForm(forms.Form):
    closed_on = forms.DateField(label=_("Date de clôture"), widget=DateInput(),
                                initial=timezone.localdate)
    closing_reason = forms.ModelChoiceField(label=_("Motif"), queryset=PicklistItem.objects.none())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closing_reason"].queryset = _items(  # type: ignore[attr-defined]
            PicklistKind.CLOSING_REASON
        )


class InteractionForm(CustomFieldsMixin, forms.Form):
    custom_target = CustomFieldTarget.INTERACTION

    kind = forms.ModelChoiceField(label=_("Type d'échange"), queryset=PicklistItem.objects.none())
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices)
    occurred_at = forms.DateTimeField(label=_("Date et heure"), widget=DateTimeInput())
    duration_minutes = forms.IntegerField(label=_("Durée (minutes)"), required=False,
                                          min_value=1, max_value=24 * 60)
    summary = forms.CharField(label=_("Résumé"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False, max_length=5000)
    clinical_note = forms.CharField(
        label=_("Note clinique (visible des seuls psychologues)"), required=False,
        widget=forms.Textarea(attrs={"rows": 4}), max_length=20000,
    )

    def __init__(self, *args: Any, clinical: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = _items(  # type: ignore[attr-defined]
            PicklistKind.INTERACTION_KIND
        )
        if not clinical:
            del self.fields["clinical_note"]
        self.add_custom_fields(None)


class PartnerForm(forms.Form):
    name = forms.CharField(label=_("Nom"), max_length=200)
    kind = forms.ModelChoiceField(label=_("Type"), queryset=PicklistItem.objects.none())
    town = forms.CharField(label=_("Commune"), max_length=120, required=False)
    department = forms.CharField(label=_("Département"), max_length=3, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = _items(PicklistKind.PARTNER_TYPE)  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de contact"), choices=ContactKind.choices)
    first_name = forms.CharField(label=_("Prénom"), max_length=80, required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=80, required=False)
    relationship = forms.CharField(label=_("Lien avec le jeune"), max_length=80)
    phone = forms.CharField(label=_("Téléphone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)


class ImpactForm(forms.Form):
    assessed_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    moment = forms.ChoiceField(label=_("Moment"), choices=ImpactAssessment.Moment.choices)
    peers = forms.IntegerField(label=_("Liens avec les pairs (1 à 5)"), min_value=1, max_value=5)
    family = forms.IntegerField(label=_("Liens familiaux (1 à 5)"), min_value=1, max_value=5)
    school_work = forms.IntegerField(label=_("École ou travail (1 à 5)"), min_value=1,
                                     max_value=5)
    help = forms.IntegerField(label=_("Aide et professionnels (1 à 5)"), min_value=1, max_value=5)
    confidence = forms.IntegerField(label=_("Confiance en soi (1 à 5)"), min_value=1, max_value=5)


class GroupForm(StaffChoiceMixin, forms.Form):
    theme = forms.CharField(label=_("Thème"), max_length=160)
    kind = forms.ChoiceField(label=_("Type"), choices=ExchangeGroup.Kind.choices,
                             initial=ExchangeGroup.Kind.EXCHANGE)
    audience = forms.ChoiceField(label=_("Public"), choices=ExchangeGroup.Audience.choices,
                                 initial=ExchangeGroup.Audience.YOUNG_PEOPLE)
    weekday = forms.TypedChoiceField(label=_("Jour"), coerce=int,
                                     choices=ExchangeGroup.Weekday.choices)
    capacity = forms.IntegerField(label=_("Capacité"), initial=10, min_value=1, max_value=50)
    facilitators = forms.TypedMultipleChoiceField(
        label=_("Animateurs"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, association: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facilitators"].choices = self.staff_choices(  # type: ignore[attr-defined]
            association
        )


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date de la séance"), widget=DateInput(),
                              initial=timezone.localdate)
    topic = forms.CharField(label=_("Sujet"), max_length=200, required=False)


ATTENDANCE_CHOICES = [("", _("—")), *AttendanceStatus.choices]


class AwarenessForm(StaffChoiceMixin, forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=DateInput())
    partner = forms.ModelChoiceField(label=_("Partenaire"), queryset=Partner.objects.none(),
                                     required=False)
    town = forms.CharField(label=_("Commune"), max_length=120, required=False)
    department = forms.CharField(label=_("Département"), max_length=3, required=False)
    programme = forms.ModelChoiceField(label=_("Programme"), queryset=PicklistItem.objects.none(),
                                       required=False)
    facilitators = forms.TypedMultipleChoiceField(
        label=_("Intervenants"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    pupils = forms.IntegerField(label=_("Élèves"), min_value=0, max_value=100_000, initial=0)
    parents = forms.IntegerField(label=_("Parents"), min_value=0, max_value=100_000, initial=0)
    teachers = forms.IntegerField(label=_("Enseignants"), min_value=0, max_value=100_000,
                                  initial=0)
    other_professionals = forms.IntegerField(label=_("Autres professionnels"), min_value=0,
                                             max_value=100_000, initial=0)

    def __init__(self, *args: Any, association: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["partner"].queryset = selectors.partner_list()
        fields["programme"].queryset = _items(PicklistKind.PROGRAMME)
        fields["facilitators"].choices = self.staff_choices(association)


class ReferralForm(forms.Form):
    """The public referral form (/signaler): a school, a partner or a family."""

    referrer_kind = forms.ChoiceField(label=_("Vous êtes"), choices=[
        ("school", _("Un établissement scolaire")), ("partner", _("Un partenaire")),
        ("family", _("Un parent ou un proche")), ("young_person", _("Le jeune lui-même")),
    ])
    referrer_name = forms.CharField(label=_("Votre nom"), max_length=120)
    referrer_contact = forms.CharField(label=_("Votre téléphone ou e-mail"), max_length=200)
    first_name = forms.CharField(label=_("Prénom du jeune (facultatif)"), max_length=80,
                                 required=False)
    birth_year = forms.IntegerField(label=_("Année de naissance du jeune"), required=False)
    town = forms.CharField(label=_("Commune"), max_length=120, required=False)
    description = forms.CharField(label=_("Ce qui se passe"), max_length=3000,
                                  widget=forms.Textarea(attrs={"rows": 6}))
    # Honeypot: hidden from people, filled by robots.
    website = forms.CharField(required=False, label=_("Ne pas remplir"))


class ConsentForm(forms.Form):
    given_by = forms.ChoiceField(label=_("Consentement donné par"), choices=ConsentGiver.choices)
    given_on = forms.DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    follow_up = forms.BooleanField(label=_("Pour le suivi"), required=False, initial=True)
    exchange_groups = forms.BooleanField(label=_("Pour les groupes d'échange"), required=False)
    network_statistics = forms.BooleanField(
        label=_("Pour les statistiques anonymes du réseau"), required=False
    )


class GrantForm(StaffChoiceMixin, forms.Form):
    user = forms.TypedChoiceField(label=_("Membre de l'équipe"), coerce=int)
    can_edit = forms.BooleanField(label=_("Peut modifier le dossier"), required=False)

    def __init__(self, *args: Any, association: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = self.staff_choices(association)  # type: ignore[attr-defined]


class LinkForm(forms.Form):
    code = forms.CharField(label=_("Numéro du dossier lié"), max_length=12)
    note = forms.CharField(label=_("Nature du lien"), max_length=200, required=False)


# --- What every view of tracking does with a request's values and a service's refusal ----


def as_int(value: Any) -> int | None:
    """A query or form value as an integer, or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def as_date(value: Any) -> date | None:
    """An ISO date from a query or form value, or None."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def add_error(form: Any, error: ApplicationError) -> None:
    """Show a service's refusal on the form: on its field when the form has it."""
    form.add_error(error.field if error.field in form.fields else None, error.message)
