"""`GET /api/v1/figures/?period=2024-2025`: the association's activity figures of a school
year, exactly as its figures page shows them to the caller: computed by the page's own
function (tracking.figures.activity.activity_figures) and shown by its own rule
(tracking.figures.shown.figures_shown) — counts from 1 to 10 are "< 11" for a role without
FIGURES_EXACT (the read-only role). Members with FIGURES_READ; keys with `figures:read`,
which read as coordinators do (exact figures: the association's own data, and whoever
made the key is one of its admins). Aggregates only: no name, no case code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tracking.api.figures import FiguresQuerySerializer, FiguresSerializer
from tracking.api.views.base import PROBLEMS, ApiView
from tracking.figures.activity import activity_figures, current_period
from tracking.figures.shown import figures_shown, hides_small_counts
from tracking.permissions import Capability


class FiguresView(ApiView):
    scopes = {"GET": "figures:read", "HEAD": "figures:read"}
    capabilities = {"GET": (Capability.FIGURES_READ,), "HEAD": (Capability.FIGURES_READ,)}
    audit_name = "figures"

    @extend_schema(operation_id="figures_get", parameters=[FiguresQuerySerializer],
                   responses={200: FiguresSerializer, **PROBLEMS},
                   summary="Les chiffres d'activité d'une année scolaire")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        year = query.validated_data.get("period", current_period("school").year)
        figures = activity_figures(period_kind="school", year=year)
        shown = figures_shown(figures, hide_small=hides_small_counts(self.actor()))
        return Response(FiguresSerializer(shown).data)
