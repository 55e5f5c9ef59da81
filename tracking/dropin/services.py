"""Writes of drop-in hours (tenant schema), each in one transaction with its audit entry,
refusing in French with nothing written: schedules and their cancelled occurrences (admins),
the public booking setting (admins), bookings (staff, or a family from the public page),
holding a slot (→ an exchange on the case), no-shows, cancellations; and the erasure of
callback details (retention, and a case's anonymisation)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tenants.models import Role
from tracking import validation
from tracking.audit.services import audit_record
from tracking.dropin import selectors
from tracking.interactions.services import InteractionData, interaction_create
from tracking.models import (
    BookingSource,
    BookingStatus,
    Case,
    Channel,
    DropinBooking,
    DropinCancellation,
    DropinMode,
    DropinSchedule,
    DropinSettings,
    PicklistItem,
    PicklistKind,
)
from tracking.permissions import Actor, Capability, case_visible_q

# Callback details are blanked this long after the slot (the callback is long done).
CALLBACK_KEPT = timedelta(days=90)
CHANNEL_OF_MODE = {DropinMode.VIDEO: Channel.VIDEO, DropinMode.PHONE: Channel.PHONE,
                   DropinMode.ON_SITE: Channel.IN_PERSON}
DROP_IN_KIND = "drop_in"  # the exchange kind a held slot becomes (tracking/lists/defaults.py)
PHONE = re.compile(r"^\+?[0-9 .\-()]{6,25}$")


def _forbidden() -> ApplicationError:
    return ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def _require_admin(actor: Actor) -> None:
    if not selectors.can_configure(actor):
        raise _forbidden()


# --- Schedules (admins) ------------------------------------------------------------------

@dataclass
class ScheduleData:
    psychologist_id: int
    weekday: int
    starts_at: time
    ends_at: time
    slot_minutes: int
    mode: str
    valid_from: date
    valid_until: date | None = None


def _check_schedule(data: ScheduleData) -> None:
    member = tenant_selectors.member_list(schema_name=current_schema()).filter(
        user_id=data.psychologist_id, role=Role.PSYCHOLOGIST).exists()
    if not member:
        raise ApplicationError(_("Choisissez un ou une psychologue de l'équipe."),
                               code=ErrorCode.STAFF_NOT_MEMBER, field="psychologist")
    if not 0 <= data.weekday <= 6:
        raise ApplicationError(_("Choisissez un jour de la semaine."),
                               code=ErrorCode.VALUE_RANGE, field="weekday")
    if data.mode not in DropinMode.values:
        raise ApplicationError(_("Ce mode de permanence n'existe pas."),
                               code=ErrorCode.PICKLIST_INVALID, field="mode")
    if data.ends_at <= data.starts_at:
        raise ApplicationError(_("L'heure de fin doit suivre l'heure de début."),
                               code=ErrorCode.DATE_ORDER, field="ends_at")
    low, high = 10, 240
    if not low <= data.slot_minutes <= high:
        raise ApplicationError(
            _("Un créneau dure de %(low)s à %(high)s minutes.") % {"low": low, "high": high},
            code=ErrorCode.VALUE_RANGE, field="slot_minutes")
    length = (datetime.combine(data.valid_from, data.ends_at)
              - datetime.combine(data.valid_from, data.starts_at))
    if length < timedelta(minutes=data.slot_minutes):
        raise ApplicationError(_("La plage horaire est plus courte qu'un créneau."),
                               code=ErrorCode.VALUE_RANGE, field="slot_minutes")
    validation.ordered(data.valid_from, data.valid_until, field="valid_until")


def schedule_create(*, actor: Actor, data: ScheduleData) -> DropinSchedule:
    """Add a psychologist's recurring drop-in hours; refused if they overlap hours the
    same psychologist already has on that weekday in the same period."""
    _require_admin(actor)
    _check_schedule(data)
    with transaction.atomic():
        # One psychologist's schedules are checked one at a time (no overlapping pair
        # slips in between two admins' forms).
        DropinSchedule.objects.select_for_update().filter(
            psychologist_id=data.psychologist_id).exists()
        overlapping = DropinSchedule.objects.filter(
            psychologist_id=data.psychologist_id, weekday=data.weekday,
            starts_at__lt=data.ends_at, ends_at__gt=data.starts_at,
        ).exclude(valid_until__lt=data.valid_from)
        if data.valid_until is not None:
            overlapping = overlapping.exclude(valid_from__gt=data.valid_until)
        if overlapping.exists():
            raise ApplicationError(
                _("Ces horaires chevauchent une permanence déjà prévue pour cette personne "
                  "ce jour-là."), code=ErrorCode.CONFLICT, field="starts_at")
        schedule = DropinSchedule.objects.create(
            psychologist_id=data.psychologist_id, weekday=data.weekday,
            starts_at=data.starts_at, ends_at=data.ends_at, slot_minutes=data.slot_minutes,
            mode=data.mode, valid_from=data.valid_from, valid_until=data.valid_until,
            created_by_id=actor.id)
        audit_record(actor=actor, action="dropin.schedule_create", obj=schedule,
                     psychologist=data.psychologist_id, mode=data.mode)
    return schedule


def schedule_end(*, actor: Actor, schedule: DropinSchedule, last_day: date) -> DropinSchedule:
    """End recurring hours after `last_day` (never deleted: the past stays counted);
    refused while a slot after that day is still booked."""
    _require_admin(actor)
    if last_day < schedule.valid_from - timedelta(days=1):
        raise ApplicationError(
            _("La date de fin ne peut pas précéder la date de début."),
            code=ErrorCode.DATE_ORDER, field="last_day")
    with transaction.atomic():
        locked = DropinSchedule.objects.select_for_update().get(pk=schedule.pk)
        after = selectors.moment(last_day + timedelta(days=1), time.min)
        if locked.bookings.filter(status=BookingStatus.BOOKED, starts_at__gte=after).exists():
            raise ApplicationError(
                _("Des créneaux après cette date sont réservés : annulez-les d'abord (et "
                  "prévenez les personnes)."), code=ErrorCode.CONFLICT, field="last_day")
        locked.valid_until = max(last_day, locked.valid_from)
        locked.save(update_fields=["valid_until"])
        audit_record(actor=actor, action="dropin.schedule_end", obj=locked,
                     last_day=locked.valid_until.isoformat())
    return locked


def occurrence_cancel(*, actor: Actor, schedule: DropinSchedule, day: date,
                      reason: str = "") -> int:
    """Cancel one day of recurring hours; its live bookings are cancelled with it (the day
    view keeps them, with their callback details, so the team warns the people). Returns
    how many bookings were cancelled."""
    _require_admin(actor)
    if not selectors.runs_on(schedule, day):
        raise ApplicationError(_("Cette permanence n'a pas lieu ce jour-là."),
                               code=ErrorCode.VALUE_RANGE, field="day")
    if day < timezone.localdate():
        raise ApplicationError(_("Ce jour est passé : il ne peut plus être annulé."),
                               code=ErrorCode.DATE_ORDER, field="day")
    validation.text_length(reason, limit=200, field="reason", label=_("Le motif"))
    with transaction.atomic():
        if DropinCancellation.objects.filter(schedule=schedule, day=day).exists():
            raise ApplicationError(_("Cette permanence est déjà annulée ce jour-là."),
                                   code=ErrorCode.CONFLICT, field="day")
        DropinCancellation.objects.create(schedule=schedule, day=day, reason=reason.strip(),
                                          cancelled_by_id=actor.id)
        start = selectors.moment(day, time.min)
        cancelled = schedule.bookings.filter(
            status=BookingStatus.BOOKED, starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
        ).update(status=BookingStatus.CANCELLED, outcome_by_id=actor.id,
                 outcome_at=timezone.now())
        audit_record(actor=actor, action="dropin.occurrence_cancel", obj=schedule,
                     day=day.isoformat(), bookings_cancelled=cancelled)
    return cancelled


def settings_update(*, actor: Actor, public_booking: bool, days_ahead: int) -> DropinSettings:
    _require_admin(actor)
    if not 1 <= days_ahead <= 60:
        raise ApplicationError(_("Proposez de 1 à 60 jours à l'avance."),
                               code=ErrorCode.VALUE_RANGE, field="days_ahead")
    with transaction.atomic():
        settings, _created = DropinSettings.objects.select_for_update().get_or_create(pk=1)
        settings.public_booking = public_booking
        settings.days_ahead = days_ahead
        settings.updated_at = timezone.now()
        settings.updated_by_id = actor.id
        settings.save()
        audit_record(actor=actor, action="dropin.settings_update", obj=settings,
                     public_booking=public_booking, days_ahead=days_ahead)
    return settings


# --- Bookings ----------------------------------------------------------------------------

@dataclass
class Callback:
    """How to call the person back: a first name or nickname, a phone or an e-mail."""

    first_name: str = ""
    phone: str = ""
    email: str = ""


def _clean_callback(callback: Callback, *, required: bool) -> Callback:
    first_name = validation.no_control_characters(callback.first_name.strip(),
                                                  field="first_name")
    phone, email = callback.phone.strip(), callback.email.strip().lower()
    validation.text_length(first_name, limit=80, field="first_name",
                           label=_("Le prénom ou pseudo"))
    if required and not first_name:
        raise ApplicationError(_("Indiquez un prénom ou un pseudo."),
                               code=ErrorCode.NAME_INVALID, field="first_name")
    if required and not (phone or email):
        raise ApplicationError(
            _("Indiquez un téléphone ou un e-mail pour être rappelé."),
            code=ErrorCode.VALUE_RANGE, field="phone")
    if phone and not PHONE.match(phone):
        raise ApplicationError(_("Ce numéro de téléphone n'est pas valide."),
                               code=ErrorCode.VALUE_RANGE, field="phone")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ApplicationError(_("Cette adresse e-mail n'est pas valide."),
                                   code=ErrorCode.EMAIL_INVALID, field="email") from None
    return Callback(first_name=first_name, phone=phone, email=email[:200])


def parse_slot_key(key: str) -> tuple[int, datetime]:
    """'<schedule id>:<start, ISO>' (what the pages post) → its parts; refused otherwise."""
    schedule_id, _sep, start = (key or "").partition(":")
    try:
        parsed = datetime.fromisoformat(start)
        if parsed.tzinfo is None:
            raise ValueError(start)
        return int(schedule_id), parsed
    except ValueError:
        raise ApplicationError(_("Choisissez un créneau dans la liste."),
                               code=ErrorCode.NOT_FOUND, field="slot") from None


def _slot(schedule_id: int, starts_at: datetime) -> tuple[DropinSchedule, datetime]:
    """The schedule and end of a real, uncancelled slot starting at `starts_at`."""
    schedule = DropinSchedule.objects.filter(pk=schedule_id).first()
    missing = ApplicationError(_("Ce créneau n'existe pas ou plus : choisissez-en un autre."),
                               code=ErrorCode.NOT_FOUND, field="slot")
    if schedule is None:
        raise missing
    day = timezone.localtime(starts_at).date()
    ends = dict(selectors.occurrences(schedule, day))
    if starts_at not in ends:
        raise missing
    if DropinCancellation.objects.filter(schedule=schedule, day=day).exists():
        raise ApplicationError(_("Cette permanence est annulée ce jour-là."),
                               code=ErrorCode.CONFLICT, field="slot")
    return schedule, ends[starts_at]


def _insert(**values: object) -> DropinBooking:
    """Take the slot; the database refuses a second live booking of it (a partial unique
    index), whoever got there first."""
    try:
        with transaction.atomic():
            return DropinBooking.objects.create(**values)
    except IntegrityError as error:
        if "dropin_booking_one_per_slot" not in str(error):
            raise
        raise ApplicationError(
            _("Ce créneau vient d'être réservé par quelqu'un d'autre : choisissez-en un "
              "autre."), code=ErrorCode.CONFLICT, field="slot") from None


def booking_create(*, actor: Actor, slot_key: str, case: Case | None = None,
                   callback: Callback | None = None) -> DropinBooking:
    """Staff book a slot for a case they may open, or anonymously (no case); callback
    details are optional here."""
    if not selectors.can_use(actor):
        raise _forbidden()
    schedule_id, starts_at = parse_slot_key(slot_key)
    schedule, ends_at = _slot(schedule_id, starts_at)
    if not selectors.sees_every_day(actor) and schedule.psychologist_id != actor.id:
        raise _forbidden()
    if ends_at <= timezone.now():
        raise ApplicationError(_("Ce créneau est passé."), code=ErrorCode.DATE_ORDER,
                               field="slot")
    if case is not None and not Case.objects.filter(case_visible_q(actor), pk=case.pk).exists():
        raise ApplicationError(_("Dossier introuvable."), code=ErrorCode.NOT_FOUND, field="case")
    details = _clean_callback(callback or Callback(), required=False)
    with transaction.atomic():
        booking = _insert(schedule=schedule, starts_at=starts_at, ends_at=ends_at,
                          mode=schedule.mode, source=BookingSource.STAFF, case=case,
                          first_name=details.first_name, phone=details.phone,
                          email=details.email, booked_by_id=actor.id)
        audit_record(actor=actor, action="dropin.book", obj=booking,
                     case=case.pk if case else None)
    return booking


def booking_public(*, slot_key: str, callback: Callback,
                   ip_address: str | None) -> DropinBooking:
    """A family books a slot from the public page (only while the admins keep it open):
    a first name or nickname and a phone or an e-mail, nothing else."""
    if not selectors.settings_get().public_booking:
        raise ApplicationError(_("La réservation en ligne est fermée."),
                               code=ErrorCode.NOT_ALLOWED)
    details = _clean_callback(callback, required=True)
    schedule_id, starts_at = parse_slot_key(slot_key)
    schedule, ends_at = _slot(schedule_id, starts_at)
    if starts_at < timezone.now() + selectors.PUBLIC_NOTICE:
        raise ApplicationError(_("Ce créneau n'est plus proposé : choisissez-en un autre."),
                               code=ErrorCode.DATE_ORDER, field="slot")
    with transaction.atomic():
        booking = _insert(schedule=schedule, starts_at=starts_at, ends_at=ends_at,
                          mode=schedule.mode, source=BookingSource.PUBLIC,
                          first_name=details.first_name, phone=details.phone,
                          email=details.email)
        # Ids only: the callback details never reach the audit log.
        audit_record(actor=None, action="dropin.book_public", obj=booking,
                     ip_address=ip_address)
    return booking


def _may_record(actor: Actor, booking: DropinBooking) -> None:
    """The slot's psychologist, or an admin or coordinator, records what happened."""
    if not (booking.schedule.psychologist_id == actor.id
            or actor.can(Capability.CASE_VIEW_ALL)):
        raise _forbidden()


def _lock_booked(booking: DropinBooking) -> DropinBooking:
    locked = DropinBooking.objects.select_for_update().select_related("schedule").get(
        pk=booking.pk)
    if locked.status != BookingStatus.BOOKED:
        raise ApplicationError(
            _("Ce créneau a déjà été traité (%(status)s).")
            % {"status": locked.get_status_display()}, code=ErrorCode.CONFLICT)
    return locked


def booking_hold(*, actor: Actor, booking: DropinBooking, case: Case | None = None,
                 summary: str = "") -> DropinBooking:
    """The slot was held. With a case (the booking's, or one chosen now), it becomes an
    exchange on the case (kind "Permanence", the slot's mode as channel, its time and
    length); without one, it is counted as an anonymous drop-in, with no exchange."""
    _may_record(actor, booking)
    if booking.starts_at > timezone.now():
        raise ApplicationError(_("Ce créneau n'a pas encore commencé."),
                               code=ErrorCode.DATE_IN_FUTURE)
    if booking.case_id and case is not None and case.pk != booking.case_id:
        raise ApplicationError(_("Ce créneau est déjà lié à un autre dossier."),
                               code=ErrorCode.CONFLICT, field="case")
    case = case or booking.case
    kind = PicklistItem.objects.filter(kind=PicklistKind.INTERACTION_KIND,
                                       code=DROP_IN_KIND).first()
    if case is not None and kind is None:
        raise ApplicationError(_("Le type d'échange « Permanence » manque dans vos listes."),
                               code=ErrorCode.PICKLIST_INVALID)
    with transaction.atomic():
        locked = _lock_booked(booking)
        interaction = None
        if case is not None:
            if not Case.objects.filter(case_visible_q(actor), pk=case.pk).exists():
                raise ApplicationError(
                    _("Dossier introuvable, ou vous n'y avez pas accès : demandez à la "
                      "coordination de vous l'attribuer."), code=ErrorCode.NOT_FOUND,
                    field="case")
            interaction = interaction_create(actor=actor, data=InteractionData(
                kind=kind, channel=CHANNEL_OF_MODE[DropinMode(locked.mode)],  # type: ignore[arg-type]
                occurred_at=locked.starts_at,
                duration_minutes=int((locked.ends_at - locked.starts_at).total_seconds() // 60),
                case_ids=[case.pk], summary=summary.strip()))
        locked.status = BookingStatus.HELD
        locked.case = case
        locked.interaction = interaction
        locked.outcome_by_id = actor.id
        locked.outcome_at = timezone.now()
        locked.save(update_fields=["status", "case", "interaction", "outcome_by", "outcome_at"])
        audit_record(actor=actor, action="dropin.hold", obj=locked,
                     case=case.pk if case else None,
                     interaction=interaction.pk if interaction else None)
    return locked


def booking_no_show(*, actor: Actor, booking: DropinBooking) -> DropinBooking:
    """Nobody came (or answered): counted as a no-show."""
    _may_record(actor, booking)
    if booking.starts_at > timezone.now():
        raise ApplicationError(_("Ce créneau n'a pas encore commencé."),
                               code=ErrorCode.DATE_IN_FUTURE)
    with transaction.atomic():
        locked = _lock_booked(booking)
        locked.status = BookingStatus.NO_SHOW
        locked.outcome_by_id = actor.id
        locked.outcome_at = timezone.now()
        locked.save(update_fields=["status", "outcome_by", "outcome_at"])
        audit_record(actor=actor, action="dropin.no_show", obj=locked)
    return locked


def booking_cancel(*, actor: Actor, booking: DropinBooking) -> DropinBooking:
    """Free the slot (the booking stays, cancelled)."""
    if not selectors.can_use(actor):
        raise _forbidden()
    with transaction.atomic():
        locked = _lock_booked(booking)
        locked.status = BookingStatus.CANCELLED
        locked.outcome_by_id = actor.id
        locked.outcome_at = timezone.now()
        locked.save(update_fields=["status", "outcome_by", "outcome_at"])
        audit_record(actor=actor, action="dropin.cancel", obj=locked)
    return locked


# --- Personal data -----------------------------------------------------------------------

_BLANK = {"first_name": "", "phone": "", "email": ""}


def callbacks_forget(*, now: datetime | None = None) -> int:
    """Blank the callback details of slots over for CALLBACK_KEPT (retention, nightly);
    idempotent. Returns how many bookings were blanked."""
    now = now or timezone.now()
    with transaction.atomic():
        count = DropinBooking.objects.filter(
            ends_at__lt=now - CALLBACK_KEPT, callback_erased_at__isnull=True,
        ).update(callback_erased_at=now, **_BLANK)
        if count:
            audit_record(actor=None, action="retention.dropin_callbacks", blanked=count)
    return count


def case_bookings_erase(case: Case) -> int:
    """A case's anonymisation blanks its bookings' callback details too (in its
    transaction). Returns how many."""
    return DropinBooking.objects.filter(case=case).update(
        callback_erased_at=timezone.now(), **_BLANK)
