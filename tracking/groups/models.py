"""Exchange groups, their sessions and attendance. Schema: tenant."""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import ObjectPermission, staff_key

FACILITATE = "facilitate_exchangegroup"


class ExchangeGroup(models.Model):
    """A weekly group (a series): an exchange group, or a situation-analysis group where
    parents or pupil ambassadors look at situations together. Its attendance is recorded
    on the young people's files either way (for parents: their child's)."""

    class Audience(models.TextChoices):
        YOUNG_PEOPLE = "young_people", _("jeunes")
        PARENTS = "parents", _("parents")
        AMBASSADORS = "ambassadors", _("élèves ambassadeurs")

    class Kind(models.TextChoices):
        EXCHANGE = "exchange", _("groupe d'échange")
        SITUATION_ANALYSIS = "situation_analysis", _("analyse de situation")

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("lundi")
        TUESDAY = 1, _("mardi")
        WEDNESDAY = 2, _("mercredi")
        THURSDAY = 3, _("jeudi")
        FRIDAY = 4, _("vendredi")
        SATURDAY = 5, _("samedi")
        SUNDAY = 6, _("dimanche")

    theme = models.CharField(_("thème"), max_length=160)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices,
                            default=Kind.EXCHANGE)
    audience = models.CharField(_("public"), max_length=20, choices=Audience.choices,
                                default=Audience.YOUNG_PEOPLE)
    weekday = models.PositiveSmallIntegerField(_("jour"), choices=Weekday.choices)
    start_time = models.TimeField(_("heure"), null=True, blank=True)
    capacity = models.PositiveSmallIntegerField(
        _("capacité"), default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("weekday", "theme")
        # Who facilitates a group is a django-guardian object permission
        # (GroupFacilitation below), granted when the group is created.
        permissions = [(FACILITATE, _("Animer le groupe d'échange"))]

    def __str__(self) -> str:
        return self.theme

    @property
    def facilitators(self) -> list[Any]:
        """The people who facilitate the group (prefetch `facilitations__user` for lists)."""
        rows = [row for row in self.facilitations.all()
                if row.permission.codename == FACILITATE]
        return sorted((row.user for row in rows), key=str)


class GroupFacilitation(ObjectPermission):
    """A person facilitating an exchange group: django-guardian's object permission
    `facilitate_exchangegroup` with a direct key to the group. A volunteer sees the groups
    they facilitate and nothing else; a facilitator records sessions and attendance.
    Facilitations from before guardian carry no `granted_by`/`granted_at`."""

    content_object = models.ForeignKey("tracking.ExchangeGroup", on_delete=models.CASCADE,
                                       related_name="facilitations")
    granted_by = staff_key(related_name="+", null=True, blank=True)
    granted_at = models.DateTimeField(default=timezone.now, null=True, blank=True)

    class Meta(ObjectPermission.Meta):
        verbose_name = _("animation d'un groupe")


class GroupSession(models.Model):
    group = models.ForeignKey(
        "tracking.ExchangeGroup", on_delete=models.PROTECT, related_name="sessions")
    held_on = models.DateField(_("date"))
    topic = models.CharField(_("sujet"), max_length=200, blank=True)

    class Meta:
        ordering = ("-held_on",)
        constraints = [
            models.UniqueConstraint(fields=["group", "held_on"], name="group_session_unique")
        ]

    def __str__(self) -> str:
        return f"{self.group} {self.held_on}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Présent")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excusé")


class Attendance(models.Model):
    session = models.ForeignKey(
        "tracking.GroupSession", on_delete=models.PROTECT, related_name="attendances")
    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, related_name="attendances")
    status = models.CharField(_("présence"), max_length=8, choices=AttendanceStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "case"], name="attendance_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.case_id} {self.status}"
