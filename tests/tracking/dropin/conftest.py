"""Drop-in helpers: a psychologist's recurring hours on today's weekday, all day long in
slots of 30 minutes, valid since three weeks — so last week's slots are over (to hold)
and next week's are ahead (to book), whatever the hour the tests run."""

from __future__ import annotations

from datetime import date, time, timedelta

from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Association, User
from tracking.dropin import selectors, services
from tracking.models import DropinSchedule
from tracking.permissions import Actor


def admin_actor(user: User) -> Actor:
    return Actor(user=user, role="admin")


def make_schedule(association: Association, admin: User, psychologist: User, *,
                  mode: str = "video") -> DropinSchedule:
    today = timezone.localdate()
    with schema_context(association.schema_name):
        return services.schedule_create(actor=admin_actor(admin), data=services.ScheduleData(
            psychologist_id=psychologist.pk, weekday=today.weekday(), starts_at=time(0, 0),
            ends_at=time(23, 30), slot_minutes=30, mode=mode,
            valid_from=today - timedelta(days=21)))


def last_week() -> date:
    return timezone.localdate() - timedelta(days=7)


def next_week() -> date:
    return timezone.localdate() + timedelta(days=7)


def key(schedule: DropinSchedule, day: date, at: str = "10:00") -> str:
    hour, minute = (int(part) for part in at.split(":"))
    return f"{schedule.pk}:{selectors.moment(day, time(hour, minute)).isoformat()}"


def open_public(association: Association, admin: User) -> None:
    with schema_context(association.schema_name):
        services.settings_update(actor=admin_actor(admin), public_booking=True, days_ahead=14)
