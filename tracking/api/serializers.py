"""What the API reads and returns (tenant schema). Nothing clinical is ever returned (an
exchange's clinical note is not even loaded), nor custom fields (their free text could
say anything), nor a referral's own text. The activity figures are in figures.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracking import validation
from tracking.employment.selectors import milestone_list
from tracking.forms import ReferralForm
from tracking.models import (
    AttendanceStatus,
    Case,
    CaseRole,
    Channel,
    Contact,
    ContactKind,
    ExchangeGroup,
    Gender,
    GroupSession,
    Interaction,
)

REFERRER_KINDS = [value for value, _label in ReferralForm.base_fields["referrer_kind"].choices]  # type: ignore[attr-defined]


class JsonText(serializers.CharField):
    """A JSON string only: a number or a boolean is refused, not turned into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class JsonInteger(serializers.IntegerField):
    """A JSON integer only: "2012", 2012.0 or true are refused."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


class ReferralInSerializer(serializers.Serializer[Any]):
    """The fields of the referral form (/signaler); the form itself checks them again
    (tracking.forms.ReferralForm), so that both roads keep one set of rules."""

    referrer_kind = serializers.ChoiceField(choices=REFERRER_KINDS,
                                            help_text=_("Qui signale"))
    referrer_name = JsonText(max_length=120)
    referrer_contact = JsonText(max_length=200, help_text=_("Téléphone ou e-mail"))
    first_name = JsonText(max_length=80, required=False, allow_blank=True)
    birth_year = JsonInteger(required=False, allow_null=True)
    town = JsonText(max_length=120, required=False, allow_blank=True)
    description = JsonText(max_length=3000, help_text=_("Ce qui se passe"))

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        """The birth year's bounds are those of the service (tracking.validation:
        young people of 3 to 25 years old), for today: the schema says them too."""
        fields = super().get_fields()
        year = timezone.localdate().year
        fields["birth_year"] = JsonInteger(
            required=False, allow_null=True, min_value=year - validation.OLDEST_AGE - 1,
            max_value=year - validation.YOUNGEST_AGE)
        return fields


class ReferralOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    received_at = serializers.DateTimeField()


class StrictQuery(serializers.Serializer[Any]):
    """Query parameters: a value that does not fit is refused (400), and an empty one too
    rather than taken for the default (`?status=` is a mistake)."""

    def to_internal_value(self, data: Any) -> Any:
        blank = {name: [_("Une valeur vide n'est pas permise ici.")]
                 for name in self.fields if name in data and data.get(name) == ""}
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class PageQuery(StrictQuery):
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**6)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class CaseQuerySerializer(PageQuery):
    """Filters of the case list."""

    status = serializers.ChoiceField(choices=["open", "closed", "all"], default="open",
                                     required=False)
    stage = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    opened_from = serializers.DateField(required=False)
    opened_to = serializers.DateField(required=False)


class _Labelled(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    label = serializers.CharField()


class CaseSerializer(serializers.ModelSerializer[Case]):
    status = serializers.SerializerMethodField()
    age_bracket = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()
    programme = serializers.SerializerMethodField()
    detection_source = serializers.SerializerMethodField()
    overdue = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Case
        fields = ("id", "code", "status", "first_name", "birth_year", "age_bracket", "gender",
                  "town", "department", "role", "opened_on", "closed_on", "stage",
                  "programme", "detection_source", "overdue", "version", "updated_at")
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["open", "closed"]))
    def get_status(self, case: Case) -> str:
        return "closed" if case.closed_on else "open"

    def get_age_bracket(self, case: Case) -> str:
        return case.age_bracket()

    def _labelled(self, item: Any, attribute: str) -> dict[str, Any] | None:
        return None if item is None else {"id": item.pk, "label": getattr(item, attribute)}

    @extend_schema_field(_Labelled(allow_null=True))
    def get_stage(self, case: Case) -> dict[str, Any] | None:
        return self._labelled(case.stage, "name")

    @extend_schema_field(_Labelled(allow_null=True))
    def get_programme(self, case: Case) -> dict[str, Any] | None:
        return self._labelled(case.programme, "label")

    @extend_schema_field(_Labelled(allow_null=True))
    def get_detection_source(self, case: Case) -> dict[str, Any] | None:
        return self._labelled(case.detection_source, "label")


class _Milestone(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    milestone = _Labelled()
    network_code = serializers.CharField()
    reached_on = serializers.DateField()


class CaseDetailSerializer(CaseSerializer):
    """One case (GET /cases/{id}/): with the milestones of the employment programme, in
    the order reached (their notes, free text, stay off the API like custom fields)."""

    employment_milestones = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = (*CaseSerializer.Meta.fields, "employment_milestones")
        read_only_fields = fields

    @extend_schema_field(_Milestone(many=True))
    def get_employment_milestones(self, case: Case) -> list[dict[str, Any]]:
        return [{"id": m.pk, "milestone": {"id": m.kind_id, "label": m.kind.label},
                 "network_code": m.kind.network_code, "reached_on": m.reached_on.isoformat()}
                for m in milestone_list(case)]


_ID = {"min_value": 1, "max_value": 2**31 - 1}


class CaseInSerializer(serializers.Serializer[Any]):
    """The fields of the case form ("nouveau dossier", "modifier"), but custom fields (never
    through the API); the form itself checks them again (tracking.forms.CaseForm), and the
    service after it. Ids are those of the association's lists, partners and members.
    `version` (a PATCH only, or its `If-Match` header): the version the change was made
    from."""

    first_name = JsonText(max_length=80, required=False, allow_blank=True)
    birth_year = JsonInteger(required=False, allow_null=True, min_value=1, max_value=9999)
    gender = serializers.ChoiceField(choices=Gender.values, required=False, allow_blank=True)
    town = JsonText(max_length=120, required=False, allow_blank=True)
    department = JsonText(max_length=3, required=False, allow_blank=True)
    role = serializers.ChoiceField(choices=CaseRole.values)
    situation_types = serializers.ListField(child=JsonInteger(**_ID), required=False,
                                            max_length=50)
    programme = JsonInteger(required=False, allow_null=True, **_ID)
    detection_source = JsonInteger(required=False, allow_null=True, **_ID)
    referring_partner = JsonInteger(required=False, allow_null=True, **_ID)
    assigned_staff = serializers.ListField(child=JsonInteger(**_ID), required=False,
                                           max_length=50)
    opened_on = serializers.DateField(required=False, allow_null=True)


class CaseChangeSerializer(CaseInSerializer):
    """A PATCH: only the fields given change."""

    role = serializers.ChoiceField(choices=CaseRole.values, required=False)
    version = JsonInteger(required=False, min_value=0, max_value=2**31 - 1)


class ContactInSerializer(serializers.Serializer[Any]):
    """The fields of the contact form of a case page; the form checks them again
    (tracking.forms.ContactForm)."""

    kind = serializers.ChoiceField(choices=ContactKind.values)
    first_name = JsonText(max_length=80, required=False, allow_blank=True)
    last_name = JsonText(max_length=80, required=False, allow_blank=True)
    relationship = JsonText(max_length=80)
    phone = JsonText(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)


def _labelled(item: Any, attribute: str = "label") -> dict[str, Any] | None:
    return None if item is None else {"id": item.pk, "label": getattr(item, attribute)}


# --- contacts, exchanges ---------------------------------------------------------------


class ContactQuerySerializer(PageQuery):
    case = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1,
                                    help_text=_("Les contacts d'un dossier"))
    kind = serializers.ChoiceField(choices=ContactKind.values, required=False)


class _ContactCase(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="case.pk")
    code = serializers.CharField(source="case.code")
    relationship = serializers.CharField()


class ContactSerializer(serializers.ModelSerializer[Contact]):
    """A contact and the cases the caller may open that it is linked to (never others)."""

    partner = serializers.SerializerMethodField()
    cases = _ContactCase(many=True, source="visible_links")

    class Meta:
        model = Contact
        fields = ("id", "kind", "first_name", "last_name", "phone", "email", "partner",
                  "cases", "created_at")
        read_only_fields = fields

    @extend_schema_field(_Labelled(allow_null=True))
    def get_partner(self, contact: Contact) -> dict[str, Any] | None:
        return _labelled(contact.partner, "name")


class InteractionSerializer(serializers.ModelSerializer[Interaction]):
    """An exchange without anything clinical (its clinical note is never loaded) and
    without custom fields."""

    kind = serializers.SerializerMethodField()
    partner = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = ("id", "kind", "channel", "occurred_at", "duration_minutes", "summary",
                  "partner", "created_at")
        read_only_fields = fields

    @extend_schema_field(_Labelled())
    def get_kind(self, interaction: Interaction) -> dict[str, Any] | None:
        return _labelled(interaction.kind)

    @extend_schema_field(_Labelled(allow_null=True))
    def get_partner(self, interaction: Interaction) -> dict[str, Any] | None:
        return _labelled(interaction.partner, "name")


class InteractionInSerializer(serializers.Serializer[Any]):
    """The fields of the exchange form of a case page, but the clinical note (never through
    the API) and custom fields; the form itself checks them again
    (tracking.forms.InteractionForm), and the service after it."""

    kind = JsonInteger(min_value=1, max_value=2**31 - 1,
                       help_text=_("Type d'échange (identifiant dans la liste de l'association)"))
    channel = serializers.ChoiceField(choices=Channel.values)
    occurred_at = serializers.DateTimeField()
    duration_minutes = JsonInteger(required=False, allow_null=True, min_value=1,
                                   max_value=24 * 60)
    summary = JsonText(required=False, allow_blank=True, max_length=validation.MAX_SUMMARY)


# --- groups ----------------------------------------------------------------------------


class GroupSerializer(serializers.ModelSerializer[ExchangeGroup]):
    class Meta:
        model = ExchangeGroup
        fields = ("id", "theme", "kind", "audience", "weekday", "start_time", "capacity")
        read_only_fields = fields


class _Attendance(serializers.Serializer[Any]):
    case = serializers.IntegerField(source="case.pk")
    code = serializers.CharField(source="case.code")
    first_name = serializers.CharField(source="case.first_name")
    status = serializers.ChoiceField(choices=AttendanceStatus.values)


class GroupSessionSerializer(serializers.ModelSerializer[GroupSession]):
    """A session and who was there (first names only, as on the session page)."""

    attendance = _Attendance(many=True, source="attendances.all")

    class Meta:
        model = GroupSession
        fields = ("id", "held_on", "topic", "attendance")
        read_only_fields = fields


class _AttendanceIn(serializers.Serializer[Any]):
    case = JsonInteger(min_value=1, max_value=2**31 - 1)
    status = serializers.ChoiceField(choices=AttendanceStatus.values)


class AttendanceInSerializer(serializers.Serializer[Any]):
    """Who came: one line per young person (at most 50; once each)."""

    attendance = _AttendanceIn(many=True, allow_empty=False, max_length=50)

    def validate_attendance(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        cases = [row["case"] for row in rows]
        if len(set(cases)) != len(cases):
            raise serializers.ValidationError(_("Chaque jeune ne figure qu'une fois."))
        return rows
