"""Reads of drop-in hours (tenant schema): the slots generated from the recurring
schedules, a psychologist's day, the free slots the public page offers, the settings, and
`access_booking` (404 for missing and forbidden alike).

Who: every role that logs exchanges (admin, coordinator, psychologist, listener) uses the
drop-in pages; a psychologist sees only their own day; admins configure the schedules.
Volunteers and the read-only role: nothing (tracking/permissions.py gives them no case).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.models import Role, User
from tracking.models import (
    BookingStatus,
    Case,
    DropinBooking,
    DropinCancellation,
    DropinSchedule,
    DropinSettings,
)
from tracking.permissions import Actor, Capability, case_visible_q

# The public page offers slots starting at least this long after now.
PUBLIC_NOTICE = timedelta(hours=2)
LIVE = ~Q(status=BookingStatus.CANCELLED)


def can_use(actor: Actor) -> bool:
    """The drop-in pages: roles that log exchanges (no volunteer, no read-only)."""
    return actor.can(Capability.INTERACTION_LOG)


def sees_every_day(actor: Actor) -> bool:
    """Admins, coordinators and listeners (who book for the psychologists) see every
    psychologist's day; a psychologist sees their own."""
    return can_use(actor) and actor.role != Role.PSYCHOLOGIST


def can_configure(actor: Actor) -> bool:
    return actor.role == Role.ADMIN


def settings_get() -> DropinSettings:
    """The association's settings (defaults, public booking closed, until saved once)."""
    return DropinSettings.objects.filter(pk=1).first() or DropinSettings()


def psychologists() -> list[User]:
    """Active psychologists of the association (public schema)."""
    return [m.user for m in tenant_selectors.member_list(schema_name=current_schema())
            if m.role == Role.PSYCHOLOGIST]


def schedule_list(*, on: date | None = None) -> QuerySet[DropinSchedule]:
    """Schedules, or those still valid on `on` or later."""
    qs = DropinSchedule.objects.select_related("psychologist")
    if on is not None:
        qs = qs.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on))
    return qs.order_by("psychologist__display_name", "weekday", "starts_at", "id")


def moment(day: date, at: time) -> datetime:
    """`day` at `at`, in the association's time zone."""
    return datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


def runs_on(schedule: DropinSchedule, day: date) -> bool:
    return (day.weekday() == schedule.weekday and day >= schedule.valid_from
            and (schedule.valid_until is None or day <= schedule.valid_until))


def occurrences(schedule: DropinSchedule, day: date) -> list[tuple[datetime, datetime]]:
    """The slots of `schedule` on `day` (none if it does not run that day)."""
    if not runs_on(schedule, day):
        return []
    step = timedelta(minutes=schedule.slot_minutes)
    start, end = moment(day, schedule.starts_at), moment(day, schedule.ends_at)
    slots = []
    while start + step <= end:
        slots.append((start, start + step))
        start += step
    return slots


@dataclass(frozen=True)
class Slot:
    schedule: DropinSchedule
    starts_at: datetime
    ends_at: datetime
    booking: DropinBooking | None  # the live booking, if taken
    cancelled: bool  # the occurrence was cancelled

    @property
    def free(self) -> bool:
        return self.booking is None and not self.cancelled

    @property
    def key(self) -> str:
        """What a form posts to name the slot: '<schedule id>:<start, ISO>'."""
        return f"{self.schedule.pk}:{self.starts_at.isoformat()}"


def slots_between(first: date, last: date, *,
                  psychologist_id: int | None = None) -> list[Slot]:
    """Every slot from `first` to `last` (inclusive), with its live booking and whether
    its day was cancelled, in time order: three queries whatever the number of slots."""
    schedules = list(schedule_list(on=first).filter(valid_from__lte=last))
    if psychologist_id is not None:
        schedules = [s for s in schedules if s.psychologist_id == psychologist_id]
    ids = [s.pk for s in schedules]
    cancelled = set(DropinCancellation.objects.filter(
        schedule_id__in=ids, day__gte=first, day__lte=last).values_list("schedule_id", "day"))
    bookings = {(b.schedule_id, b.starts_at): b for b in booking_rows().filter(
        LIVE, schedule_id__in=ids, starts_at__gte=moment(first, time.min),
        starts_at__lt=moment(last + timedelta(days=1), time.min))}
    slots = []
    day = first
    while day <= last:
        for schedule in schedules:
            for start, end in occurrences(schedule, day):
                slots.append(Slot(schedule, start, end, bookings.get((schedule.pk, start)),
                                  (schedule.pk, day) in cancelled))
        day += timedelta(days=1)
    return sorted(slots, key=lambda s: (s.starts_at, s.schedule.psychologist_id, s.schedule.pk))


def booking_rows() -> QuerySet[DropinBooking]:
    return DropinBooking.objects.select_related("schedule__psychologist", "case", "interaction")


def slots_of_day(user: Any, day: date) -> list[DropinBooking]:
    """The booked slots (live bookings: booked, held or absent) of psychologist `user` on
    `day`, in time order — for a person's own list of the day (the tasks page)."""
    return list(booking_rows().filter(
        LIVE, schedule__psychologist_id=user.pk, starts_at__gte=moment(day, time.min),
        starts_at__lt=moment(day + timedelta(days=1), time.min)).order_by("starts_at", "id"))


def public_slots(now: datetime | None = None) -> list[Slot]:
    """The free slots the public page offers: from two hours ahead, for the settings'
    number of days; empty while the public booking is closed."""
    settings = settings_get()
    if not settings.public_booking:
        return []
    now = now or timezone.now()
    today = timezone.localdate(now)
    return [s for s in slots_between(today, today + timedelta(days=settings.days_ahead))
            if s.free and s.starts_at >= now + PUBLIC_NOTICE]


def visible_case_ids(actor: Actor, case_ids: Iterable[int | None]) -> set[int]:
    """Which of these cases the actor may open (a booking's case is named only to them)."""
    ids = {pk for pk in case_ids if pk}
    return set(Case.objects.filter(case_visible_q(actor), pk__in=ids)
               .values_list("pk", flat=True)) if ids else set()


def access_booking(actor: Actor, booking_id: Any) -> DropinBooking:
    """A booking the actor may act on: their own slot, or any for those who see every
    day. Missing and forbidden answer 404 alike."""
    try:
        pk = int(booking_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not can_use(actor):
        raise Http404
    qs = booking_rows().filter(pk=pk)
    if not sees_every_day(actor):
        qs = qs.filter(schedule__psychologist_id=actor.id)
    booking = qs.first()
    if booking is None:
        raise Http404
    return booking


def access_schedule(actor: Actor, schedule_id: Any) -> DropinSchedule:
    try:
        pk = int(schedule_id)
    except (TypeError, ValueError):
        raise Http404 from None
    schedule = DropinSchedule.objects.filter(pk=pk).first() if can_configure(actor) else None
    if schedule is None:
        raise Http404
    return schedule


def dropin_counts(since: datetime, until: datetime) -> tuple[dict[str, int], int]:
    """Drop-in hours of [since, until): held ones by mode, and no-shows (one query)."""
    held: dict[str, int] = {}
    no_shows = 0
    rows = (DropinBooking.objects.filter(
        starts_at__gte=since, starts_at__lt=until,
        status__in=[BookingStatus.HELD, BookingStatus.NO_SHOW])
        .values("status", "mode").annotate(n=Count("id")).order_by())
    for row in rows:
        if row["status"] == BookingStatus.HELD:
            held[row["mode"]] = row["n"]
        else:
            no_shows += row["n"]
    return held, no_shows


UPCOMING_SHOWN = 10


def case_upcoming(case: Case, now: datetime | None = None) -> list[DropinBooking]:
    """A case's drop-in slots still to come (booked, not over yet), soonest first, for its
    page (whoever reads the case sees when and with whom: it is the case's own)."""
    now = now or timezone.now()
    return list(DropinBooking.objects.select_related("schedule__psychologist").filter(
        case=case, status=BookingStatus.BOOKED, ends_at__gt=now,
    ).order_by("starts_at", "id")[:UPCOMING_SHOWN])


def case_bookings_export(case: Case) -> list[dict[str, Any]]:
    """A case's drop-in bookings for the person's access request (art. 15): when, how,
    what became of it, and the callback details given."""
    return [{
        "debut": b.starts_at.isoformat(), "fin": b.ends_at.isoformat(),
        "mode": str(b.get_mode_display()), "etat": str(b.get_status_display()),
        "reserve_par": str(b.get_source_display()), "prenom_ou_pseudo": b.first_name,
        "telephone": b.phone, "e_mail": b.email,
    } for b in DropinBooking.objects.filter(case=case).order_by("starts_at", "id")]
