"""Tasks given to a team member, referral acknowledgements and digest preferences.
Schema: tenant."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedCharField, staff_key

TITLE_MAX = 200


class Task(models.Model):
    """Something one member asks another (or themself) to do by a date. Done and undone
    freely; never deleted: cancelled, with who and when. The title is free text, so it is
    encrypted at rest and never leaves in a notice or an e-mail."""

    title = EncryptedCharField(_("intitulé"), max_length=TITLE_MAX)
    due_on = models.DateField(_("échéance"))
    assignee = staff_key(related_name="+", verbose_name=_("pour"))
    case = models.ForeignKey("tracking.Case", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("dossier lié"))
    created_by = staff_key(related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = staff_key(null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = staff_key(null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("due_on", "id")
        indexes = [
            # The notice counter and the list: a person's open tasks by due date.
            models.Index(fields=["assignee", "due_on"], name="task_open_by_assignee",
                         condition=Q(done_at__isnull=True, cancelled_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="task_done_or_cancelled"),
        ]

    def __str__(self) -> str:
        return f"task {self.pk} ({self.due_on})"

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.cancelled_at is None


class ReferralAcknowledgement(models.Model):
    """A referral the team has taken in hand: it leaves the admins' and coordinators' lists.
    `by` is empty for referrals received before acknowledgements existed (migration 0022)."""

    referral = models.OneToOneField("tracking.Referral", on_delete=models.PROTECT,
                                    related_name="acknowledgement")
    by = staff_key(null=True, blank=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"acknowledgement of referral {self.referral_id}"


class DigestPreference(models.Model):
    """A person's daily e-mail digest in this association: on unless they switched it off;
    the day it was last sent, so that a second run the same day sends nothing."""

    user = staff_key(related_name="+")
    daily_digest = models.BooleanField(_("récapitulatif quotidien par e-mail"), default=True)
    last_sent_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="digest_one_per_person")]

    def __str__(self) -> str:
        return f"digest of {self.user_id}: {self.daily_digest}"
