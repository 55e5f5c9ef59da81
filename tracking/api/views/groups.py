"""`GET /api/v1/groups/`, `/groups/{id}/`, `/groups/{id}/sessions/`: the exchange groups
the caller sees on the groups pages (every active group for the roles that see them all —
and for a key with `cases:read` —, the groups they facilitate for volunteers, none for the
read-only role), and their sessions with attendance (first names only, young people whose
case is archived left out, as on the session page). A group outside them answers 404.

`POST /api/v1/groups/{id}/sessions/{sid}/attendance/` records attendance through the
session page's service: for whoever may manage groups or facilitates this one (a member
who only sees the group: 403), and keys with `cases:write` (acting as the admin who made
the key), for young people who already came to the group or whose case the caller may
open. Bad input: 400, nothing saved."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from tracking.api.serializers import (
    AttendanceInSerializer,
    GroupSerializer,
    GroupSessionSerializer,
    PageQuery,
)
from tracking.api.views.base import PROBLEMS, ApiView, Pagination
from tracking.groups import selectors, services
from tracking.permissions import Capability

READ = {"GET": "cases:read", "HEAD": "cases:read"}


class GroupListView(ApiView):
    scopes = READ
    audit_name = "group_list"
    pagination_class = Pagination

    @extend_schema(operation_id="group_list", parameters=[PageQuery],
                   responses={200: GroupSerializer(many=True), **PROBLEMS},
                   summary="Les groupes d'échange que l'appelant voit")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        PageQuery(data=request.query_params).is_valid(raise_exception=True)
        return self.paged(selectors.group_list(actor=self.actor()), GroupSerializer)


class GroupDetailView(ApiView):
    scopes = READ
    audit_name = "group_read"

    @extend_schema(operation_id="group_get", responses={200: GroupSerializer, **PROBLEMS},
                   summary="Un groupe d'échange")
    def get(self, request: Request, group_id: int, *args: Any, **kwargs: Any) -> Response:
        return Response(GroupSerializer(selectors.access_group(self.actor(), group_id)).data)


class GroupSessionListView(ApiView):
    scopes = READ
    audit_name = "group_sessions"
    pagination_class = Pagination

    @extend_schema(operation_id="group_session_list", parameters=[PageQuery],
                   responses={200: GroupSessionSerializer(many=True), **PROBLEMS},
                   summary="Les séances d'un groupe et les présences")
    def get(self, request: Request, group_id: int, *args: Any, **kwargs: Any) -> Response:
        PageQuery(data=request.query_params).is_valid(raise_exception=True)
        group = selectors.access_group(self.actor(), group_id)
        return self.paged(selectors.group_session_list(group), GroupSessionSerializer)


class AttendanceView(ApiView):
    scopes = {"POST": "cases:write"}
    audit_name = "group_attendance"

    @extend_schema(operation_id="group_attendance_record", request=AttendanceInSerializer,
                   responses={200: GroupSessionSerializer, **PROBLEMS},
                   summary="Enregistrer les présences d'une séance")
    def post(self, request: Request, group_id: int, session_id: int, *args: Any,
             **kwargs: Any) -> Response:
        actor = self.write_actor()
        group = selectors.access_group(actor, group_id)
        session = selectors.access_group_session(group, session_id)
        if not (actor.can(Capability.GROUP_MANAGE) or services.facilitates(actor, group)):
            raise exceptions.PermissionDenied(
                _("Seuls les animateurs du groupe et les coordinateurs enregistrent les "
                  "présences."), code="not_allowed")
        incoming = AttendanceInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        statuses = {row["case"]: row["status"] for row in incoming.validated_data["attendance"]}
        if not selectors.attendance_cases_allowed(actor, group, list(statuses)):
            raise exceptions.ValidationError({"attendance": [_(
                "Un des jeunes choisis est introuvable.")]})
        services.attendance_record(actor=actor, session=session, statuses=statuses)
        shown = selectors.group_session_list(group).get(pk=session.pk)
        return Response(GroupSessionSerializer(shown).data, status=status.HTTP_200_OK)
