"""`GET /api/v1/networks/{id}/indicators/?period=2024-2025` on the platform host: a network
coordinator's pooled indicators, exactly what the console shows (tenants.networks.console)
— every table of the school year as disclosure control published it (hidden cells as
"< 11", "masqué" or "—" with their reason), the headline figures, each table's audit, the
trend across school years, the five axes — read by the console's own selectors from what
was published, never from the associations' contributions. With `?format=csv` (or
`Accept: text/csv`): the console's CSV of the year, byte for byte, which like the console's
download needs a sign-in or re-authentication of less than 5 minutes (403 otherwise).

Coordinators only, signed in by session on the platform host: a network they do not
coordinate answers 404 like a missing one, and so does everything for anyone else (an
association's member, an operator). Association keys do not exist on this host (401).
Calls are limited like the association's API and written to the platform's audit trail.

Schema: public."""

from __future__ import annotations

import csv
import re
from io import StringIO
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.accounts.security import authenticated_recently
from tenants.models import Network, NetworkPublication
from tenants.networks import indicators as cat
from tenants.networks import selectors as published
from tenants.networks.disclosure import Reason
from tenants.tenancy.services import audit
from tracking.api.serializers import StrictQuery
from tracking.api.views.base import PROBLEMS, ApiView

SCHOOL_YEAR = re.compile(r"\d{4}-\d{4}")


class CsvRenderer(BaseRenderer):
    """The console's CSV (semicolons, UTF-8 with a byte order mark for spreadsheets)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> bytes:
        buffer = StringIO()
        writer = csv.writer(buffer, delimiter=";")
        for row in data or []:
            writer.writerow(row)
        return ("\ufeff" + buffer.getvalue()).encode()


class IndicatorsQuery(StrictQuery):
    period = serializers.CharField(
        required=False, max_length=9,
        help_text=gettext_lazy("Année scolaire publiée « AAAA-AAAA » ; par défaut la plus "
                               "récente"))
    format = serializers.ChoiceField(choices=["json", "csv"], required=False)

    def validate_period(self, value: str) -> str:
        if not SCHOOL_YEAR.fullmatch(value) or int(value[5:]) != int(value[:4]) + 1:
            raise serializers.ValidationError(
                _("Indiquez une année scolaire sous la forme « 2024-2025 »."))
        return value


class _Cell(serializers.Serializer[Any]):
    text = serializers.CharField(help_text=gettext_lazy("Tel qu'affiché"))
    value = serializers.IntegerField(allow_null=True,
                                     help_text=gettext_lazy("Absente quand la case est masquée"))
    reason = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)


class _Code(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()


class _Row(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()
    cells = _Cell(many=True)
    total = _Cell()


class _Note(serializers.Serializer[Any]):
    note = serializers.CharField()
    cells = serializers.IntegerField()


class _Audit(serializers.Serializer[Any]):
    hidden = serializers.IntegerField()
    narrowest = serializers.IntegerField(allow_null=True)
    width = serializers.IntegerField()
    until = serializers.DateField()
    text = serializers.CharField()


class _Trend(serializers.Serializer[Any]):
    period = serializers.CharField()
    total = _Cell()


class _Table(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    row_title = serializers.CharField()
    column_title = serializers.CharField()
    sensitive = serializers.BooleanField()
    columns = _Code(many=True)
    rows = _Row(many=True)
    totals = _Cell(many=True)
    grand_total = _Cell()
    notes = _Note(many=True)
    audit = _Audit(allow_null=True)
    trend = _Trend(many=True)


class _Headline(serializers.Serializer[Any]):
    label = serializers.CharField()
    unit = serializers.CharField(allow_blank=True)
    shown = _Cell()


class _Axis(serializers.Serializer[Any]):
    axis = serializers.CharField()
    first = serializers.CharField(allow_blank=True)
    latest = serializers.CharField(allow_blank=True)


class _NetworkRef(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class IndicatorsSerializer(serializers.Serializer[Any]):
    network = _NetworkRef()
    period = serializers.CharField(allow_null=True)
    periods = serializers.ListField(child=serializers.CharField())
    published_at = serializers.DateTimeField(allow_null=True)
    threshold = serializers.IntegerField()
    until = serializers.DateField(allow_null=True)
    min_contributors = serializers.IntegerField()
    headlines = _Headline(many=True)
    tables = _Table(many=True)
    impact = _Axis(many=True)


def _cell(shown: published.Shown, threshold: int) -> dict[str, Any]:
    hidden = shown.value is None and shown.reason not in ("", Reason.NOT_STARTED)
    return {"text": str(shown.text), "value": shown.value, "reason": str(shown.reason),
            "note": published.reason_note(shown.reason, threshold) if hidden else ""}


def _indicators(network: Network, publication: NetworkPublication | None,
                periods: list[str], period: str | None) -> dict[str, Any]:
    """What the console's page shows for the school year, as data."""
    threshold = published.threshold_of(network, publication)
    body: dict[str, Any] = {
        "network": {"id": network.pk, "name": network.name}, "period": period,
        "periods": periods,
        "published_at": publication.published_at if publication else None,
        "threshold": threshold, "until": None, "min_contributors": 3, "headlines": [],
        "tables": [], "impact": [],
    }
    if period is None:
        return body
    cells = published.period_cells(network, period)
    stats = published.statistics_of(network, period)
    tables = []
    for indicator in cat.CATALOGUE:
        view = published.indicator_view(network, indicator, period, threshold,
                                        cells.get(indicator.key, {}), publication=publication)
        audited = view.audit
        tables.append({
            "key": indicator.key, "title": view.title, "row_title": view.row_title,
            "column_title": view.column_title, "sensitive": indicator.sensitive,
            "columns": [{"code": code, "label": str(label)} for code, label in view.columns],
            "rows": [{"code": code, "label": str(label),
                      "cells": [_cell(c, threshold) for c in row_cells],
                      "total": _cell(total, threshold)}
                     for code, label, row_cells, total in view.rows],
            "totals": [_cell(c, threshold) for c in view.totals],
            "grand_total": _cell(view.grand_total, threshold),
            "notes": [{"note": note, "cells": count} for note, count in view.notes],
            "audit": None if audited is None else {
                "hidden": audited.hidden, "narrowest": audited.narrowest,
                "width": audited.width, "until": audited.until, "text": audited.text},
            "trend": [{"period": p, "total": _cell(s, threshold)}
                      for p, s in published.trend(network, indicator, periods, threshold)],
        })
    return body | {
        "until": published.cut_off_day(publication, period),
        "min_contributors": published.min_contributors_of(publication, period),
        "headlines": [{"label": str(h.label), "unit": str(h.unit),
                       "shown": _cell(h.shown, threshold)}
                      for h in published.headlines(network, period, threshold, stats)],
        "tables": tables,
        "impact": [{"axis": axis, "first": first, "latest": latest}
                   for axis, first, latest in published.impact_rows(stats)],
    }


class NetworkIndicatorsView(ApiView):
    """Not an association's call: no scope, no membership — a signed-in coordinator of the
    network, checked by the console's own lookup (published.access_network)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, CsvRenderer]
    audit_name = "network_indicators"

    @extend_schema(
        operation_id="network_indicators", parameters=[IndicatorsQuery],
        summary="Les indicateurs mutualisés publiés d'un réseau (console des coordinateurs)",
        responses={(200, "application/json"): IndicatorsSerializer,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR,
                                                      description="Le CSV de la console"),
                   **PROBLEMS})
    def get(self, request: Request, network_id: int, *args: Any, **kwargs: Any) -> Response:
        query = IndicatorsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        network = published.access_network(request.user, network_id)
        periods = published.published_periods(network)
        period = query.validated_data.get("period") or (periods[0] if periods else None)
        if period is not None and period not in periods:
            raise exceptions.NotFound(_("Aucun chiffre publié pour cette année scolaire."))
        publication = published.last_publication(network)
        if request.accepted_renderer.format != "csv":
            return Response(IndicatorsSerializer(
                _indicators(network, publication, periods, period)).data)
        if period is None:
            raise exceptions.NotFound(_("Aucun chiffre publié pour cette année scolaire."))
        if not authenticated_recently(request._request):
            raise exceptions.PermissionDenied(
                _("Reconnectez-vous (ou confirmez votre mot de passe sur la console) depuis "
                  "moins de 5 minutes pour télécharger ce fichier."),
                code="reauthentication_required")
        rows = published.csv_rows(network, period, published.threshold_of(network, publication),
                                  publication)
        audit("network.export", actor=request.user,
              network_id=network.pk, period=period, via="api")
        response = Response(rows, headers={
            "Content-Disposition": f'attachment; filename="{_("indicateurs-reseau")}-'
                                   f'{network.pk}-{period}.csv"'})
        return response

    def handle_exception(self, exc: Exception) -> Response:
        """Refusals are problem details in JSON, whatever format was asked."""
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def _audit(self, request: Request, response: Any) -> None:
        """On the platform's trail (the association's log does not exist here): who read
        which network, and the answer. Only once authenticated (a call refused before, by
        its format for one, is not authenticated again here)."""
        user = request.__dict__.get("_user")
        if user is None or not user.is_authenticated:
            return
        audit("network.api_read", actor=user,
              network_id=self.kwargs.get("network_id"), status=response.status_code,
              format=getattr(request.accepted_renderer, "format", "json"))
