"""`GET /api/v1/cases/` and `GET /api/v1/cases/{id}/`: the cases the caller may open, as
on the pages (tracking/permissions.py: every case for admins and coordinators — and for a
key with `cases:read` —, assigned or granted ones for psychologists and listeners, granted
ones for the read-only role, none for volunteers). A case outside them answers 404, like a
missing one. Paginated, filtered by status, stage and opening dates; an ETag on each
answer (If-None-Match → 304). Each read of a case is written to the audit log as on its
page (`case.read`)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from tenants.models import Role
from tracking.access import client_ip
from tracking.api.permissions import key_of
from tracking.api.serializers import CaseQuerySerializer, CaseSerializer
from tracking.api.views.base import PROBLEMS, ApiView, Pagination
from tracking.audit.services import audit_record
from tracking.cases import selectors
from tracking.permissions import Actor, Capability


class CaseReader(ApiView):
    """A read of what hangs on cases (cases, their exchanges, contacts): who may open a
    case at all — a member without any such role is refused (404), as on the pages."""

    scopes = {"GET": "cases:read", "HEAD": "cases:read"}

    def member_allowed(self, actor: Actor) -> bool:
        return (actor.can(Capability.CASE_VIEW_ALL) or actor.can(Capability.CASE_VIEW_ASSIGNED)
                or actor.role == Role.READ_ONLY)


class CaseListView(CaseReader):
    audit_name = "case_list"
    pagination_class = Pagination

    @extend_schema(operation_id="case_list", parameters=[CaseQuerySerializer],
                   responses={200: CaseSerializer(many=True), **PROBLEMS},
                   summary="Les dossiers que l'appelant peut ouvrir")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = CaseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        filters = selectors.CaseFilters(
            status=wanted.get("status", "open"), stage=wanted.get("stage"),
            opened_from=wanted.get("opened_from"), opened_to=wanted.get("opened_to"),
            sort="recent")
        cases = selectors.case_list(actor=self.actor(), filters=filters)
        paginator = Pagination()
        page = paginator.paginate_queryset(cases, request, view=self)
        return paginator.get_paginated_response(CaseSerializer(page, many=True).data)


class CaseDetailView(CaseReader):
    audit_name = "case_read"

    @extend_schema(operation_id="case_get", responses={200: CaseSerializer, **PROBLEMS},
                   summary="Un dossier")
    def get(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor()
        case = selectors.access_case(actor, case_id)
        key = key_of(request)
        audit_record(actor=None if key is not None else actor, action="case.read", obj=case,
                     ip_address=client_ip(request._request),
                     **({"key": key.prefix} if key is not None else {}))
        return Response(CaseSerializer(case).data)
