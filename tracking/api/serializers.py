"""What the API reads and returns (tenant schema). A case is returned without anything
clinical (clinical notes live on exchanges, which no case representation carries), without
custom fields (their free text could say anything) and without the referral's own text."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracking import validation
from tracking.forms import ReferralForm
from tracking.models import Case

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


class CaseQuerySerializer(serializers.Serializer[Any]):
    """Filters of the case list; a value that does not fit is refused (400)."""

    status = serializers.ChoiceField(choices=["open", "closed", "all"], default="open",
                                     required=False)
    stage = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    opened_from = serializers.DateField(required=False)
    opened_to = serializers.DateField(required=False)
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**6)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)

    def to_internal_value(self, data: Any) -> Any:
        """An empty value is refused, not taken for the default (`?status=` is a mistake)."""
        blank = {name: [_("Une valeur vide n'est pas permise ici.")]
                 for name in self.fields if name in data and data.get(name) == ""}
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


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

