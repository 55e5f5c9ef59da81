"""Invented drop-in hours for the demo: each psychologist's recurring hours (two a week,
different modes), six weeks of past bookings (held — on a case the psychologist follows,
logged as an exchange, or anonymous — no-shows, a few cancelled) and bookings for the next
two weeks (by the team for a case, or by families from the public page). Written through
the drop-in services, so every rule holds (no double booking, exchanges on visible cases).
Invented nicknames and numbers only (06 00 … is not a real allocated range)."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Role, User
from tracking.dropin import selectors, services
from tracking.models import BookingStatus, Case, DropinBooking, DropinSchedule
from tracking.permissions import Actor

NICKNAMES = ["Lou", "Sam", "Maé", "Nino", "Jade", "Ilyes", "Tom", "Inès", "Noa", "Lina",
             "la maman de Yanis", "Camille", "Rayan", "Sacha"]
SUMMARIES = ["Premier échange, la situation au collège s'apaise.",
             "Point sur la semaine ; le jeune souhaite rejoindre un groupe d'échange.",
             "Échange avec le parent : conseils pour parler avec l'établissement.",
             ""]
# (weekday, start, end, slot minutes, mode) for the first and second psychologist...
HOURS = [
    [(1, time(14), time(17), 45, "video"), (3, time(10), time(12), 30, "on_site")],
    [(0, time(17), time(19), 30, "phone"), (4, time(14), time(16), 40, "video")],
    [(2, time(9), time(12), 45, "on_site"), (2, time(14), time(16), 30, "phone")],
]


def _phone(rng: random.Random) -> str:
    return "06 00 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))


def generate_dropin(*, schema_name: str, staff_ids_by_role: dict[str, list[int]],
                    seed: int = 0, public_booking: bool = False) -> dict[str, int]:
    """Drop-in hours for one association that has none yet (otherwise nothing is done).
    Returns how many schedules and bookings of each status were made."""
    rng = random.Random(seed)  # noqa: S311 — invented demo data, not a secret
    psychologists = staff_ids_by_role.get(Role.PSYCHOLOGIST, [])[:3]
    admins = staff_ids_by_role.get(Role.ADMIN, [])
    counts = {"schedules": 0, "held": 0, "no_show": 0, "cancelled": 0, "booked": 0}
    if not psychologists or not admins:
        return counts
    with schema_context(schema_name), transaction.atomic():
        if DropinSchedule.objects.exists():
            return counts
        admin = Actor(user=User.objects.get(pk=admins[0]), role=Role.ADMIN)
        today = timezone.localdate()
        for hours, psychologist_id in zip(HOURS, psychologists, strict=False):
            for weekday, start, end, minutes, mode in hours:
                services.schedule_create(actor=admin, data=services.ScheduleData(
                    psychologist_id=psychologist_id, weekday=weekday, starts_at=start,
                    ends_at=end, slot_minutes=minutes, mode=mode,
                    valid_from=today - timedelta(weeks=8)))
                counts["schedules"] += 1
        services.settings_update(actor=admin, public_booking=public_booking, days_ahead=14)
        now = timezone.now()
        for psychologist_id in psychologists:
            psychologist = Actor(user=User.objects.get(pk=psychologist_id),
                                 role=Role.PSYCHOLOGIST)
            cases = list(Case.objects.filter(assigned_staff=psychologist_id,
                                             closed_on__isnull=True).order_by("pk")[:40])
            for slot in selectors.slots_between(today - timedelta(weeks=6),
                                                today + timedelta(days=14),
                                                psychologist_id=psychologist_id):
                if slot.ends_at <= now:
                    _past(rng, slot, psychologist=psychologist, cases=cases, now=now,
                          counts=counts)
                elif slot.starts_at > now + timedelta(hours=2) and rng.random() < 0.35:
                    _upcoming(rng, slot, admin, cases, counts)
    return counts


def _book(rng: random.Random, slot: selectors.Slot, case: Case | None,
          public: bool) -> DropinBooking:
    nickname = rng.choice(NICKNAMES)
    return DropinBooking.objects.create(
        schedule=slot.schedule, starts_at=slot.starts_at, ends_at=slot.ends_at,
        mode=slot.schedule.mode, source="public" if public else "staff", case=case,
        first_name=nickname, phone=_phone(rng) if rng.random() < 0.7 else "",
        email="" if rng.random() < 0.7 else f"{nickname.split()[-1].lower()}@example.org",
        booked_at=slot.starts_at - timedelta(days=rng.randint(1, 10)))


def _past(rng: random.Random, slot: selectors.Slot, *, psychologist: Actor,
          cases: list[Case], now: datetime, counts: dict[str, int]) -> None:
    if rng.random() > 0.55:
        return
    opened = [c for c in cases if c.opened_on <= timezone.localtime(slot.starts_at).date()]
    case = rng.choice(opened) if opened and rng.random() < 0.6 else None
    booking = _book(rng, slot, case, public=case is None and rng.random() < 0.6)
    outcome = rng.random()
    if outcome < 0.72:
        services.booking_hold(actor=psychologist, booking=booking,
                              summary=rng.choice(SUMMARIES))
        counts["held"] += 1
    elif outcome < 0.9:
        services.booking_no_show(actor=psychologist, booking=booking)
        counts["no_show"] += 1
    else:
        booking.status = BookingStatus.CANCELLED
        booking.outcome_at = min(now, booking.starts_at - timedelta(hours=3))
        booking.save(update_fields=["status", "outcome_at"])
        counts["cancelled"] += 1


def _upcoming(rng: random.Random, slot: selectors.Slot, admin: Actor, cases: list[Case],
              counts: dict[str, int]) -> None:
    if cases and rng.random() < 0.5:
        services.booking_create(actor=admin, slot_key=slot.key, case=rng.choice(cases))
    else:
        _book(rng, slot, None, public=True)
    counts["booked"] += 1
