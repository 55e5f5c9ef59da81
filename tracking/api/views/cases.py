"""`GET /api/v1/cases/` and `GET /api/v1/cases/{id}/`: the cases the caller may open, as
on the pages (tracking/permissions.py: every case for admins and coordinators — and for a
key with `cases:read` —, assigned or granted ones for psychologists and listeners, granted
ones for the read-only role, none for volunteers). A case outside them answers 404, like a
missing one. Paginated, filtered by status, stage and opening dates; an ETag on each
answer (If-None-Match → 304). Each read of a case is written to the audit log as on its
page (`case.read`).

`POST /cases/` opens a case and `PATCH /cases/{id}/` edits one as the pages "nouveau
dossier" and "modifier" do: their form (tracking.forms.CaseForm), then their service
(case_create, case_update), for the members whose role may (CASE_CREATE; a case they may
edit — 404 otherwise) and keys with `cases:write` (acting as the admin who made the key).
A PATCH says which version it was made from — `If-Match` with the case's ETag, or
`version` — and is refused (412) when someone saved the case since; without either, 428.
Custom fields are never written through the API (a PATCH keeps them)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.problems import problem_response
from tenants.models import Role
from tracking import forms
from tracking.access import client_ip
from tracking.api.permissions import key_of
from tracking.api.serializers import (
    CaseChangeSerializer,
    CaseDetailSerializer,
    CaseInSerializer,
    CaseQuerySerializer,
    CaseSerializer,
)
from tracking.api.views.base import (
    CONDITIONAL_PROBLEMS,
    PROBLEMS,
    ApiView,
    Pagination,
    etag_of,
    form_refusal,
)
from tracking.audit.services import audit_record
from tracking.cases import selectors
from tracking.cases import services as case_services
from tracking.models import Case
from tracking.permissions import Actor, Capability

# The form's fields that hold ids (one, or a list).
_ONE_ID = ("programme", "detection_source", "referring_partner")
_IDS = ("situation_types", "assigned_staff")


def _form_data(case: Case | None, given: dict[str, Any]) -> dict[str, Any]:
    """What the case form receives: the case's current values (an edit), with those given
    over them, in the form's own shapes (None → "", ids, ISO dates)."""
    data: dict[str, Any] = {}
    if case is not None:
        data = {name: getattr(case, name) for name in (
            "first_name", "birth_year", "gender", "town", "department", "role", "opened_on")}
        data |= {name: getattr(case, f"{name}_id") for name in _ONE_ID}
        data["situation_types"] = [i.pk for i in case.situation_types.all()]
        data["assigned_staff"] = [u.pk for u in case.assigned_staff.all()]
    data |= {name: value for name, value in given.items() if name != "version"}
    shaped: dict[str, Any] = {}
    for name, value in data.items():
        if name in _IDS:
            shaped[name] = [str(v) for v in value or []]
        elif value is None:
            shaped[name] = ""
        elif hasattr(value, "isoformat"):
            shaped[name] = value.isoformat()
        else:
            shaped[name] = str(value)
    return shaped


def _shown(actor: Actor, case_id: int) -> dict[str, Any]:
    """The case as `GET /cases/{id}/` shows it."""
    return dict(CaseDetailSerializer(selectors.access_case(actor, case_id)).data)


class CaseReader(ApiView):
    """A read of what hangs on cases (cases, their exchanges, contacts): who may open a
    case at all — a member without any such role is refused (404), as on the pages."""

    scopes = {"GET": "cases:read", "HEAD": "cases:read"}

    def member_allowed(self, actor: Actor) -> bool:
        return (actor.can(Capability.CASE_VIEW_ALL) or actor.can(Capability.CASE_VIEW_ASSIGNED)
                or actor.role == Role.READ_ONLY)


class CaseListView(CaseReader):
    scopes = {"GET": "cases:read", "HEAD": "cases:read", "POST": "cases:write"}
    audit_name = "case_list"
    pagination_class = Pagination

    def member_allowed(self, actor: Actor) -> bool:
        if self.request.method == "POST":
            return actor.can(Capability.CASE_CREATE)
        return super().member_allowed(actor)

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

    @extend_schema(operation_id="case_create", request=CaseInSerializer,
                   responses={201: CaseDetailSerializer, **PROBLEMS},
                   summary="Ouvrir un dossier")
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        actor = self.write_actor()
        incoming = CaseInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        form = forms.CaseForm(_form_data(None, incoming.validated_data),
                              association=request.tenant)
        if not form.is_valid():
            raise form_refusal(form)
        case = case_services.case_create(actor=actor, data=form.case_data(),
                                         via="api")
        return Response(_shown(actor, case.pk), status=status.HTTP_201_CREATED,
                        headers={"Location": f"{request.path}{case.pk}/"})


class CaseDetailView(CaseReader):
    scopes = {"GET": "cases:read", "HEAD": "cases:read", "PATCH": "cases:write"}
    audit_name = "case_read"

    @extend_schema(operation_id="case_get", responses={200: CaseDetailSerializer, **PROBLEMS},
                   summary="Un dossier")
    def get(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.actor()
        case = selectors.access_case(actor, case_id)
        key = key_of(request)
        audit_record(actor=None if key is not None else actor, action="case.read", obj=case,
                     ip_address=client_ip(request._request),
                     **({"key": key.prefix} if key is not None else {}))
        return Response(CaseDetailSerializer(case).data)

    @extend_schema(
        operation_id="case_update", request=CaseChangeSerializer,
        parameters=[OpenApiParameter(
            "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
            description="L'ETag du dossier lu (GET), ou bien `version` dans le corps")],
        responses={200: CaseDetailSerializer, **PROBLEMS, **CONDITIONAL_PROBLEMS},
        summary="Modifier un dossier")
    def patch(self, request: Request, case_id: int, *args: Any, **kwargs: Any) -> Response:
        actor = self.write_actor()
        case = selectors.access_case(actor, case_id, for_edit=True)
        incoming = CaseChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        given = incoming.validated_data
        expected = given.get("version")
        if_match = request.headers.get("If-Match")
        if expected is None and if_match is None:
            return problem_response(
                request, status_code=status.HTTP_428_PRECONDITION_REQUIRED,
                code="precondition_required",
                detail=_("Indiquez de quelle version du dossier part la modification : "
                         "l'en-tête If-Match (son ETag) ou le champ « version »."))
        if if_match is not None:
            etag = etag_of(CaseDetailSerializer(case).data)
            if etag not in [t.strip().removeprefix("W/") for t in if_match.split(",")]:
                return self._stale(request)
            expected = case.version if expected is None else expected
        data = _form_data(case, given)
        form = forms.CaseForm(data, case=case, association=request.tenant)
        for name in form.fields:  # custom fields: kept as they are
            if name not in data and name in form.initial:
                data[name] = form.initial[name]
        if not form.is_valid():
            raise form_refusal(form)
        try:
            case_services.case_update(actor=actor, case=case,
                                      data=form.case_data(keep_custom=True),
                                      expected_version=expected)
        except ApplicationError as error:
            if error.code == ErrorCode.CONFLICT:
                return self._stale(request)
            raise
        return Response(_shown(actor, case.pk))

    def _stale(self, request: Request) -> Response:
        return problem_response(
            request, status_code=status.HTTP_412_PRECONDITION_FAILED, code="conflict",
            detail=_("Ce dossier a été modifié entre-temps : relisez-le (GET) et refaites "
                     "la modification à partir de sa nouvelle version."))
