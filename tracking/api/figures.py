"""The association's activity figures as the API returns them (tenant schema): the very
figures of the figures page (tracking.figures.activity) as the caller's role is shown them
(tracking.figures.shown: counts from 1 to 10 are "< 11" for whoever lacks FIGURES_EXACT,
and nothing derived from a hidden count is given). Serializers only: no figure is
computed here."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracking.api.serializers import StrictQuery
from tracking.figures.shown import HIDDEN
from tracking.school_year import school_year_label, school_year_of

SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{4})")
# The earliest school year asked for (the figures page offers no earlier one either).
EARLIEST_YEAR = 1990


class FiguresQuerySerializer(StrictQuery):
    period = serializers.CharField(
        required=False, max_length=9,
        help_text=gettext_lazy("Année scolaire « AAAA-AAAA » (1er septembre – 31 août) ; "
                               "par défaut, l'année en cours"))

    def validate_period(self, value: str) -> int:
        """The school year's first calendar year."""
        match = SCHOOL_YEAR.fullmatch(value)
        current = school_year_of(timezone.localdate())
        if match is None or int(match.group(2)) != int(match.group(1)) + 1:
            raise serializers.ValidationError(
                _("Indiquez une année scolaire sous la forme « 2024-2025 »."))
        year = int(match.group(1))
        if not EARLIEST_YEAR <= year <= current:
            raise serializers.ValidationError(
                _("Année scolaire possible : de %(first)s à %(last)s.")
                % {"first": school_year_label(EARLIEST_YEAR),
                   "last": school_year_label(current)})
        return year


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0},
                                {"type": "string", "enum": [HIDDEN]}]})
class CountField(serializers.Field):
    """A count as shown: the number, or "< 11"."""

    def to_representation(self, value: Any) -> Any:
        return value


class _Row(serializers.Serializer[Any]):
    key = serializers.CharField()
    label = serializers.CharField()
    count = CountField()
    share = serializers.IntegerField(allow_null=True, help_text=gettext_lazy(
        "Part des jeunes accompagnés, en pourcentage ; absente quand l'effectif est masqué"))


class _Breakdown(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    column = serializers.CharField()
    note = serializers.CharField(allow_blank=True)
    rows = _Row(many=True)
    total = CountField()


class _Groups(serializers.Serializer[Any]):
    sessions_held = CountField()
    present = CountField()
    young_people_present = CountField()


class _Awareness(serializers.Serializer[Any]):
    sessions = CountField()
    pupils = CountField()
    adults = CountField()
    total = CountField()
    audiences = _Row(many=True)


class _Axis(serializers.Serializer[Any]):
    axis = serializers.CharField()
    label = serializers.CharField()
    first_average = serializers.FloatField(allow_null=True)
    latest_average = serializers.FloatField(allow_null=True)
    change = serializers.FloatField(allow_null=True)


class _Impact(serializers.Serializer[Any]):
    cases = CountField()
    averages_hidden = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    axes = _Axis(many=True)


class _Questions(serializers.Serializer[Any]):
    """Question Psy: questions received and answered, weekly sessions held, who asked."""

    received = CountField()
    answered = CountField()
    sessions_held = CountField()
    by_asker = _Breakdown()


class _Period(serializers.Serializer[Any]):
    school_year = serializers.CharField(source="slug")
    label = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()


class FiguresSerializer(serializers.Serializer[Any]):
    """tracking.figures.shown.ShownFigures."""

    period = _Period()
    small_counts_hidden = serializers.BooleanField()
    note = serializers.CharField(allow_blank=True)
    new_cases = CountField()
    active_cases = CountField()
    cases_since_beginning = CountField()
    case_breakdowns = _Breakdown(many=True)
    interactions_by_kind = _Breakdown()
    interactions_total = CountField()
    groups = _Groups()
    awareness = _Awareness()
    impact = _Impact()
    employment_milestones = _Breakdown()
    dropin_hours = _Breakdown()
    dropin_no_shows = CountField()
    questions = _Questions()
