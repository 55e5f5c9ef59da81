"""Drop-in hours: recurring slots, cancelled occurrences, bookings and the public booking
setting. Schema: tenant.

A slot is not stored: it is an occurrence of a `DropinSchedule` (its day and start time).
A booking stores the slot it takes; one slot holds at most one live booking — a partial
unique index (`dropin_booking_one_per_slot`), so two families booking the same slot at the
same moment cannot both succeed. The callback details (first name or nickname, phone,
e-mail) are encrypted at rest and blanked by retention or erasure (tracking/dropin/services.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedCharField, staff_key

SLOT_MINUTES = (10, 240)  # shortest and longest slot


class DropinMode(models.TextChoices):
    VIDEO = "video", _("Visio")
    PHONE = "phone", _("Téléphone")
    ON_SITE = "on_site", _("Sur place")


class DropinSchedule(models.Model):
    """A psychologist's recurring drop-in hours: every `weekday` from `starts_at` to
    `ends_at`, cut into slots of `slot_minutes`, between `valid_from` and `valid_until`."""

    psychologist = staff_key(related_name="+", verbose_name=_("psychologue"))
    weekday = models.PositiveSmallIntegerField(_("jour de la semaine"))  # 0 = Monday
    starts_at = models.TimeField(_("début"))
    ends_at = models.TimeField(_("fin"))
    slot_minutes = models.PositiveSmallIntegerField(_("durée d'un créneau (minutes)"),
                                                    default=30)
    mode = models.CharField(_("mode"), max_length=10, choices=DropinMode.choices)
    valid_from = models.DateField(_("à partir du"))
    valid_until = models.DateField(_("jusqu'au"), null=True, blank=True)
    created_by = staff_key(related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("weekday", "starts_at", "id")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6),
                                   name="dropin_schedule_weekday"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="dropin_schedule_hours"),
            models.CheckConstraint(condition=Q(slot_minutes__gte=SLOT_MINUTES[0],
                                               slot_minutes__lte=SLOT_MINUTES[1]),
                                   name="dropin_schedule_slot_minutes"),
            models.CheckConstraint(condition=Q(valid_until__isnull=True)
                                   | Q(valid_until__gte=F("valid_from")),
                                   name="dropin_schedule_validity"),
        ]

    def __str__(self) -> str:
        return f"dropin schedule {self.pk}"


class DropinCancellation(models.Model):
    """One occurrence of a schedule that will not take place (holiday, illness...)."""

    schedule = models.ForeignKey(DropinSchedule, on_delete=models.PROTECT,
                                 related_name="cancellations")
    day = models.DateField(_("jour"))
    reason = models.CharField(_("motif"), max_length=200, blank=True, default="")
    cancelled_by = staff_key(related_name="+")
    cancelled_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schedule", "day"],
                                               name="dropin_cancellation_once")]

    def __str__(self) -> str:
        return f"dropin cancellation {self.schedule_id} {self.day}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("Réservé")
    HELD = "held", _("Tenu")
    NO_SHOW = "no_show", _("Absent")
    CANCELLED = "cancelled", _("Annulé")


class BookingSource(models.TextChoices):
    STAFF = "staff", _("Équipe")
    PUBLIC = "public", _("Page publique")


class DropinBooking(models.Model):
    """A slot taken: for a case, anonymous (staff), or by a family from the public page."""

    schedule = models.ForeignKey(DropinSchedule, on_delete=models.PROTECT,
                                 related_name="bookings")
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    mode = models.CharField(_("mode"), max_length=10, choices=DropinMode.choices)
    source = models.CharField(max_length=10, choices=BookingSource.choices)
    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="dropin_bookings")
    # Callback details: personal data, encrypted; blanked by retention and erasure.
    first_name = EncryptedCharField(_("prénom ou pseudo"), max_length=80)
    phone = EncryptedCharField(_("téléphone"), max_length=30)
    email = EncryptedCharField(_("e-mail"), max_length=200)
    status = models.CharField(max_length=10, choices=BookingStatus.choices,
                              default=BookingStatus.BOOKED)
    booked_by = staff_key(related_name="+", null=True, blank=True)  # None: the public page
    booked_at = models.DateTimeField(default=timezone.now)
    outcome_by = staff_key(related_name="+", null=True, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    interaction = models.OneToOneField("tracking.Interaction", on_delete=models.PROTECT,
                                       null=True, blank=True, related_name="dropin_booking")
    callback_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("starts_at", "id")
        indexes = [models.Index(fields=["starts_at"])]
        constraints = [
            # No double booking, whoever books and however fast: at most one live booking
            # per slot (a cancelled one frees it).
            models.UniqueConstraint(fields=["schedule", "starts_at"],
                                    condition=~Q(status="cancelled"),
                                    name="dropin_booking_one_per_slot"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                   name="dropin_booking_hours"),
        ]

    def __str__(self) -> str:
        return f"dropin booking {self.pk}"


class DropinSettings(models.Model):
    """The association's drop-in settings (a single row, id 1): is the public booking page
    open (closed until an admin opens it), and how many days ahead it offers."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    public_booking = models.BooleanField(_("réservation en ligne ouverte"), default=False)
    days_ahead = models.PositiveSmallIntegerField(_("jours proposés à l'avance"), default=14)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by_id = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="dropin_settings_single_row"),
            models.CheckConstraint(condition=Q(days_ahead__gte=1, days_ahead__lte=60),
                                   name="dropin_settings_days_ahead"),
        ]

    def __str__(self) -> str:
        return "dropin settings"
