"""`GET /api/v1/cases/{id}/interactions/`: the exchanges of a case the caller may open
(404 otherwise), newest first — never a clinical note: the column is not even read, for
psychologists either (on the pages only they read it; the API carries no clinical
content). `POST` logs an exchange as the case page's form does (its rules, then the same
service): for members whose role may log exchanges (INTERACTION_LOG) and keys with
`cases:write`, acting as the admin who made the key. Bad input: 400, nothing saved."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from tracking import forms
from tracking.api.serializers import (
    InteractionInSerializer,
    InteractionSerializer,
    PageQuery,
)
from tracking.api.views.base import PROBLEMS, Pagination, form_refusal
from tracking.api.views.cases import CaseReader
from tracking.cases import selectors as case_selectors
from tracking.interactions import selectors
from tracking.interactions.services import InteractionData, interaction_create
from tracking.permissions import Actor, Capability


class CaseInteractionsView(CaseReader):
    scopes = {"GET": "cases:read", "HEAD": "cases:read", "POST": "cases:write"}
    audit_name = "interactions"
    pagination_class = Pagination

    def member_allowed(self, actor: Actor) -> bool:
        if self.request.method == "POST":
            return actor.can(Capability.INTERACTION_LOG)
        return super().member_allowed(actor)

    @extend_schema(operation_id="case_interaction_list", parameters=[PageQuery],
                   responses={200: InteractionSerializer(many=True), **PROBLEMS},
                   summary="Les échanges d'un dossier (sans note clinique)")
    def get(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        PageQuery(data=request.query_params).is_valid(raise_exception=True)
        case = case_selectors.access_case(self.actor(), case_id)
        return self.paged(selectors.interaction_list_for_case(case=case),
                          InteractionSerializer)

    @extend_schema(operation_id="case_interaction_create", request=InteractionInSerializer,
                   responses={201: InteractionSerializer, **PROBLEMS},
                   summary="Enregistrer un échange sur un dossier")
    def post(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.write_actor()
        case = case_selectors.access_case(actor, case_id)
        incoming = InteractionInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        form = forms.InteractionForm({
            "kind": data["kind"], "channel": data["channel"],
            "occurred_at": data["occurred_at"],
            "duration_minutes": data.get("duration_minutes") or "",
            "summary": data.get("summary") or "",
        }, clinical=False)
        if not form.is_valid():
            raise form_refusal(form)
        cleaned = form.cleaned_data
        interaction = interaction_create(actor=actor, data=InteractionData(
            kind=cleaned["kind"], channel=cleaned["channel"],
            occurred_at=cleaned["occurred_at"],
            duration_minutes=cleaned.get("duration_minutes"), case_ids=[case.pk],
            summary=cleaned.get("summary") or "", custom=form.custom_answers()))
        shown = selectors.interaction_list_for_case(case=case).get(pk=interaction.pk)
        return Response(InteractionSerializer(shown).data, status=status.HTTP_201_CREATED)
