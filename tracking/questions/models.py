"""Question Psy: the association's settings, the questions and the weekly sessions.
Schema: tenant."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.columns import EncryptedCharField, EncryptedTextField, staff_key

QUESTION_MAX_LENGTH = 2000
NICKNAME_MAX_LENGTH = 40
PUBLIC_TEXT_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 8000


class QuestionSettings(models.Model):
    """Whether the public form is open (a single row, id 1). Closed by default: the
    association opens it once the team is ready to answer every week."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    form_open = models.BooleanField(_("formulaire public ouvert"), default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = staff_key(related_name="+", null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1),
                                              name="question_settings_single_row")]

    def __str__(self) -> str:
        return "open" if self.form_open else "closed"


class QuestionSession(models.Model):
    """A weekly session of Question Psy: at most one per week (Monday to Sunday), kept by
    the unique `week` (the Monday of `held_on`'s week)."""

    held_on = models.DateField(_("date de la séance"))
    week = models.DateField(unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = staff_key(related_name="+", null=True, blank=True)

    class Meta:
        ordering = ("-held_on",)
        constraints = [
            models.CheckConstraint(
                condition=Q(week__lte=models.F("held_on")),
                name="question_session_week_starts_before"),
        ]

    def __str__(self) -> str:
        return self.held_on.isoformat()


class Question(models.Model):
    """A question asked through the public form. Nothing here names its author: the
    nickname is optional, and it and the original text are encrypted and never published
    (only `public_text`, written by the team, and `answer` are)."""

    class Asker(models.TextChoices):
        YOUNG_PERSON = "young_person", _("un ou une jeune")
        PARENT = "parent", _("un parent")
        PROFESSIONAL = "professional", _("un ou une professionnelle")
        OTHER = "other", _("autre")
        UNKNOWN = "unknown", _("non précisé")

    class Status(models.TextChoices):
        NEW = "new", _("à traiter")
        SET_ASIDE = "set_aside", _("mise de côté")
        SCHEDULED = "scheduled", _("dans une séance")
        ANSWERED = "answered", _("répondue")
        PUBLISHED = "published", _("publiée")

    class AsideReason(models.TextChoices):
        SPAM = "spam", _("indésirable (spam)")
        OFF_TOPIC = "off_topic", _("hors sujet")
        DUPLICATE = "duplicate", _("doublon")
        OTHER = "other", _("autre raison")

    received_at = models.DateTimeField(default=timezone.now)
    asker = models.CharField(max_length=16, choices=Asker.choices, default=Asker.UNKNOWN)
    nickname = EncryptedCharField(max_length=NICKNAME_MAX_LENGTH)
    original_text = EncryptedTextField()
    # Retention erased the original text and the nickname (see services.questions_retention).
    original_erased_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    aside_reason = models.CharField(max_length=12, choices=AsideReason.choices, blank=True,
                                    default="")
    public_text = models.TextField(blank=True, default="")
    session = models.ForeignKey(QuestionSession, on_delete=models.PROTECT, null=True,
                                blank=True, related_name="questions")
    answer = models.TextField(blank=True, default="")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = staff_key(related_name="+", null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("received_at", "id")
        indexes = [models.Index(fields=["status", "received_at"])]
        constraints = [
            # What is published always has its publishable wording and its answer.
            models.CheckConstraint(
                condition=Q(published_at__isnull=True)
                | (~Q(public_text="") & ~Q(answer="") & Q(session__isnull=False)),
                name="question_published_complete"),
            models.CheckConstraint(
                condition=Q(status="set_aside", aside_reason__gt="")
                | (~Q(status="set_aside") & Q(aside_reason="")),
                name="question_aside_has_reason"),
        ]

    def __str__(self) -> str:
        return f"question {self.pk}"
