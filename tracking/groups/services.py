"""Exchange groups, their sessions and attendance; awareness sessions."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.columns import object_permission
from tracking.models import (
    FACILITATE,
    Attendance,
    AttendanceStatus,
    Case,
    ExchangeGroup,
    GroupFacilitation,
    GroupSession,
)
from tracking.permissions import Actor, Capability


def facilitates(actor: Actor, group: ExchangeGroup) -> bool:
    """Whether the actor holds guardian's `facilitate_exchangegroup` on the group."""
    return group.facilitations.filter(user_id=actor.id,
                                      permission__codename=FACILITATE).exists()


def group_create(
    *, actor: Actor, theme: str, weekday: int, capacity: int = 10,
    facilitator_ids: list[int] | None = None,
    kind: str = ExchangeGroup.Kind.EXCHANGE,
    audience: str = ExchangeGroup.Audience.YOUNG_PEOPLE,
) -> ExchangeGroup:
    validation.require_capability(actor, Capability.GROUP_MANAGE)
    staff = validation.staff_members(facilitator_ids or [], field="facilitators")
    if kind not in ExchangeGroup.Kind.values:
        raise ApplicationError(_("Type de groupe inconnu."), code=ErrorCode.PICKLIST_INVALID,
                               field="kind")
    if audience not in ExchangeGroup.Audience.values:
        raise ApplicationError(_("Public du groupe inconnu."),
                               code=ErrorCode.PICKLIST_INVALID, field="audience")
    with transaction.atomic():
        group = ExchangeGroup(theme=theme.strip(), weekday=weekday, capacity=capacity,
                              kind=kind, audience=audience)
        group.full_clean()
        group.save()
        facilitate = object_permission(ExchangeGroup, FACILITATE)
        GroupFacilitation.objects.bulk_create([
            GroupFacilitation(content_object=group, user_id=person, permission=facilitate,
                              granted_by_id=actor.id) for person in staff])
        audit_record(actor=actor, action="group.create", obj=group)
    return group


def group_session_create(
    *, actor: Actor, group: ExchangeGroup, held_on: date, topic: str = ""
) -> GroupSession:
    if not (actor.can(Capability.GROUP_MANAGE) or facilitates(actor, group)):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    validation.not_future_day(held_on, field="held_on", label=_("La date de la séance"))
    with transaction.atomic():
        session, _created = GroupSession.objects.get_or_create(
            group=group, held_on=held_on, defaults={"topic": topic[:200]}
        )
        audit_record(actor=actor, action="group.session", obj=session)
    return session


def attendance_record(
    *, actor: Actor, session: GroupSession, statuses: dict[int, str]
) -> list[Attendance]:
    """Record who came. At most `capacity` young people may be present."""
    group = session.group
    if not (actor.can(Capability.GROUP_MANAGE) or facilitates(actor, group)):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    if any(status not in AttendanceStatus.values for status in statuses.values()):
        raise ApplicationError(_("Statut de présence inconnu."),
                               code=ErrorCode.PICKLIST_INVALID, field="status")
    cases = {c.pk: c for c in Case.objects.filter(pk__in=list(statuses))}
    if len(cases) != len(statuses):
        raise ApplicationError(_("Un des jeunes choisis est introuvable."),
                               code=ErrorCode.NOT_FOUND, field="cases")
    with transaction.atomic():
        GroupSession.objects.select_for_update().get(pk=session.pk)  # one writer at a time
        current = {a.case_id: a.status for a in session.attendances.all()}
        current.update(statuses)
        present = sum(1 for s in current.values() if s == AttendanceStatus.PRESENT)
        if present > group.capacity:
            raise ApplicationError(
                _("Ce groupe accueille au plus %(capacity)s jeunes : %(present)s présences "
                  "ne peuvent pas être enregistrées.")
                % {"capacity": group.capacity, "present": present},
                code=ErrorCode.CAPACITY_EXCEEDED, field="status",
            )
        rows = []
        for case_id, status in statuses.items():
            row, _created = Attendance.objects.update_or_create(
                session=session, case=cases[case_id], defaults={"status": status}
            )
            rows.append(row)
        audit_record(actor=actor, action="group.attendance", obj=session,
                     count=len(statuses))
    return rows
