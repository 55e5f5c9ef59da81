"""Reads of exchange groups (tenant schema): the groups an actor may see, their sessions and
participants."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    Prefetch,
    QuerySet,
)
from django.http import Http404

from tracking.models import (
    FACILITATE,
    Attendance,
    Case,
    ExchangeGroup,
    GroupFacilitation,
    GroupSession,
)
from tracking.permissions import Actor, Capability, case_visible_q


def group_list(*, actor: Actor) -> QuerySet[ExchangeGroup]:
    qs = ExchangeGroup.objects.filter(is_active=True)
    if not actor.can(Capability.GROUP_VIEW_ALL):
        mine = GroupFacilitation.objects.filter(user_id=actor.id,
                                                permission__codename=FACILITATE)
        qs = qs.filter(pk__in=mine.values("content_object_id"))
    return (qs.prefetch_related(Prefetch(
        "facilitations", queryset=GroupFacilitation.objects.select_related("user", "permission")))
        .order_by("weekday", "theme"))


def access_group(actor: Actor, group_id: Any) -> ExchangeGroup:
    try:
        pk = int(group_id)
    except (TypeError, ValueError):
        raise Http404 from None
    group = group_list(actor=actor).filter(pk=pk).first()
    if group is None:
        raise Http404
    return group


def group_sessions(group: ExchangeGroup) -> QuerySet[Any]:
    """The group's sessions, latest first, each with `registered`: its attendance rows
    (counted by PostgreSQL; the young people themselves are not read)."""
    return group.sessions.annotate(registered=Count("attendances")).order_by("-held_on")


def group_participants(group: ExchangeGroup) -> list[Case]:
    """Young people who attended this group at least once (first names only are shown to
    volunteers; no case file is reachable from here without case permissions)."""
    return list(
        Case.objects.filter(attendances__session__group=group, archived_at__isnull=True)
        .distinct()
        .only("id", "code", "first_name")
        .order_by("code")
    )


def case_for_group(actor: Actor, code: str) -> Case | None:
    return Case.objects.filter(case_visible_q(actor), code=code[:12]).first()


def group_session_list(group: ExchangeGroup) -> QuerySet[Any]:
    """The group's sessions, newest first, with the attendance of young people whose case
    is not archived (as the session page lists them: first names only)."""
    present = (Attendance.objects.filter(case__archived_at__isnull=True)
               .select_related("case").only("id", "session_id", "status", "case__id",
                                            "case__code", "case__first_name")
               .order_by("case__code"))
    return (GroupSession.objects.filter(group=group)
            .prefetch_related(Prefetch("attendances", queryset=present))
            .order_by("-held_on", "-id"))


def access_group_session(group: ExchangeGroup, session_id: Any) -> GroupSession:
    """A session of a group the caller reached through access_group; 404 otherwise."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    session = GroupSession.objects.filter(group=group, pk=pk).select_related("group").first()
    if session is None:
        raise Http404
    return session


def attendance_cases_allowed(actor: Actor, group: ExchangeGroup, case_ids: list[int]) -> bool:
    """Whether attendance may be recorded for each of `case_ids`, as the session page lets
    it: a young person who already came to this group, or a case the actor may open."""
    wanted = set(case_ids)
    if not wanted:
        return True
    participants = {case.pk for case in group_participants(group)}
    visible = set(Case.objects.filter(case_visible_q(actor), pk__in=wanted - participants)
                  .values_list("pk", flat=True))
    return wanted <= participants | visible
