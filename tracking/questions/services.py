"""Writes of Question Psy (tenant schema). Each service checks the actor's capability and
the question's state, writes in one transaction and records an audit entry — which never
holds what was asked (only ids, statuses and dates).

A question goes: new → set aside (spam, off-topic…: kept with its reason, restorable) or
reworded and scheduled in a weekly session → answered by a psychologist → published on the
association's public page (the wording and the answer only) → unpublished if need be."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.audit.services import audit_record
from tracking.models import AuditLog, Question, QuestionSession, QuestionSettings
from tracking.permissions import Actor, Capability
from tracking.questions.models import (
    ANSWER_MAX_LENGTH,
    NICKNAME_MAX_LENGTH,
    PUBLIC_TEXT_MAX_LENGTH,
    QUESTION_MAX_LENGTH,
)

Status = Question.Status


def _clean(text: str, *, field: str, limit: int, label: str, required: bool) -> str:
    text = validation.no_control_characters((text or "").strip(), field=field)
    if required and not text:
        raise ApplicationError(_("%(label)s ne peut pas être vide.") % {"label": label},
                               code=ErrorCode.VALUE_RANGE, field=field)
    validation.text_length(text, limit=limit, field=field, label=label)
    return text


def _locked(question: Question) -> Question:
    return (Question.objects.select_for_update(of=("self",)).select_related("session")
            .get(pk=question.pk))


def _refuse_state() -> ApplicationError:
    return ApplicationError(
        _("Cette question a changé d'état entre-temps : rechargez la page."),
        code=ErrorCode.CONFLICT)


# --- the settings ---------------------------------------------------------------------------

def settings_update(*, actor: Actor, form_open: bool) -> QuestionSettings:
    """Open or close the public form (admins)."""
    if actor.role != "admin":
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)
    with transaction.atomic():
        row, _created = QuestionSettings.objects.select_for_update().get_or_create(pk=1)
        if row.form_open != form_open:
            row.form_open = form_open
            row.updated_at = timezone.now()
            row.updated_by_id = actor.id
            row.save()
            audit_record(actor=actor, action="question.form_open" if form_open
                         else "question.form_close", obj=row)
    return row


# --- the public form ------------------------------------------------------------------------

def question_submit(*, text: str, nickname: str = "", asker: str = "",
                    ip_address: str | None = None) -> Question:
    """A question from the public form, while the association has it open."""
    if not QuestionSettings.objects.filter(pk=1, form_open=True).exists():
        raise ApplicationError(
            _("L'association ne reçoit pas de questions pour le moment."),
            code=ErrorCode.NOT_ALLOWED)
    text = _clean(text, field="text", limit=QUESTION_MAX_LENGTH, label=_("La question"),
                  required=True)
    nickname = _clean(nickname, field="nickname", limit=NICKNAME_MAX_LENGTH,
                      label=_("Le pseudo"), required=False)
    asker = asker or Question.Asker.UNKNOWN
    if asker not in Question.Asker.values:
        raise ApplicationError(_("Cette valeur n'est pas disponible dans la liste."),
                               code=ErrorCode.PICKLIST_INVALID, field="asker")
    with transaction.atomic():
        question = Question.objects.create(original_text=text, nickname=nickname, asker=asker)
        audit_record(actor=None, action="question.received", obj=question,
                     ip_address=ip_address, asker=asker)
    return question


# --- the queue ------------------------------------------------------------------------------

def question_set_aside(*, actor: Actor, question: Question, reason: str) -> Question:
    """Set a question aside (spam, off-topic, duplicate…): kept, with its reason, never
    deleted; it leaves its session. An answered question must be unpublished first."""
    validation.require_capability(actor, Capability.QUESTION_MODERATE)
    if reason not in Question.AsideReason.values:
        raise ApplicationError(_("Choisissez pourquoi la question est mise de côté."),
                               code=ErrorCode.PICKLIST_INVALID, field="reason")
    with transaction.atomic():
        locked = _locked(question)
        if locked.status not in (Status.NEW, Status.SCHEDULED):
            raise ApplicationError(
                _("Une question déjà répondue ne peut pas être mise de côté."),
                code=ErrorCode.CONFLICT)
        locked.status, locked.aside_reason, locked.session = Status.SET_ASIDE, reason, None
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="question.set_aside", obj=locked, reason=reason)
    return locked


def question_restore(*, actor: Actor, question: Question) -> Question:
    """Bring a question set aside back into the queue."""
    validation.require_capability(actor, Capability.QUESTION_MODERATE)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status != Status.SET_ASIDE:
            raise _refuse_state()
        locked.status, locked.aside_reason = Status.NEW, ""
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="question.restore", obj=locked)
    return locked


def question_reword(*, actor: Actor, question: Question, public_text: str) -> Question:
    """The publishable wording: what the session reads out and the public page shows,
    rewritten by the team without anything that could identify the person."""
    validation.require_capability(actor, Capability.QUESTION_MODERATE)
    public_text = _clean(public_text, field="public_text", limit=PUBLIC_TEXT_MAX_LENGTH,
                         label=_("La formulation publiable"), required=True)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status == Status.SET_ASIDE:
            raise ApplicationError(_("Remettez d'abord la question dans la file."),
                                   code=ErrorCode.CONFLICT)
        if locked.public_text != public_text:
            locked.public_text = public_text
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(actor=actor, action="question.reword", obj=locked)
    return locked


def session_create(*, actor: Actor, held_on: date) -> QuestionSession:
    """A weekly session: one per week (Monday to Sunday) at most, within a year from now."""
    validation.require_capability(actor, Capability.QUESTION_MODERATE)
    today = timezone.localdate()
    if not today - timedelta(days=366 * 2) <= held_on <= today + timedelta(days=366):
        raise ApplicationError(
            _("La date de la séance doit être comprise entre il y a deux ans et dans un an."),
            code=ErrorCode.VALUE_RANGE, field="held_on")
    week = held_on - timedelta(days=held_on.weekday())
    with transaction.atomic():
        existing = QuestionSession.objects.select_for_update().filter(week=week).first()
        if existing is not None:
            raise ApplicationError(
                _("Une séance est déjà prévue cette semaine-là (le %(day)s) : une séance par "
                  "semaine.") % {"day": existing.held_on.strftime("%d/%m/%Y")},
                code=ErrorCode.CONFLICT, field="held_on")
        session = QuestionSession.objects.create(held_on=held_on, week=week,
                                                 created_by_id=actor.id)
        audit_record(actor=actor, action="question.session_create", obj=session,
                     held_on=held_on.isoformat())
    return session


def question_schedule(*, actor: Actor, question: Question,
                      session: QuestionSession | None) -> Question:
    """Put a reworded question into a session (or take it out: `session` None)."""
    validation.require_capability(actor, Capability.QUESTION_MODERATE)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status not in (Status.NEW, Status.SCHEDULED):
            raise ApplicationError(
                _("Seule une question à traiter ou pas encore répondue peut changer de "
                  "séance."), code=ErrorCode.CONFLICT, field="session")
        if session is not None and not locked.public_text:
            raise ApplicationError(
                _("Écrivez d'abord la formulation publiable de la question."),
                code=ErrorCode.CONFLICT, field="session")
        locked.session = session
        locked.status = Status.NEW if session is None else Status.SCHEDULED
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="question.schedule", obj=locked,
                     session=session.pk if session else None)
    return locked


def question_answer(*, actor: Actor, question: Question, answer: str) -> Question:
    """The psychologist's answer to a question of a session. A published answer that is
    corrected stays published, corrected."""
    validation.require_capability(actor, Capability.QUESTION_ANSWER)
    answer = _clean(answer, field="answer", limit=ANSWER_MAX_LENGTH, label=_("La réponse"),
                    required=True)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status not in (Status.SCHEDULED, Status.ANSWERED, Status.PUBLISHED):
            raise ApplicationError(
                _("Ajoutez d'abord la question à une séance."), code=ErrorCode.CONFLICT,
                field="answer")
        locked.answer = answer
        locked.answered_at, locked.answered_by_id = timezone.now(), actor.id
        if locked.status == Status.SCHEDULED:
            locked.status = Status.ANSWERED
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="question.answer", obj=locked)
    return locked


def _may_publish(actor: Actor) -> None:
    if not (actor.can(Capability.QUESTION_MODERATE) or actor.can(Capability.QUESTION_ANSWER)):
        raise ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def question_publish(*, actor: Actor, question: Question) -> Question:
    """Show an answered question on the public page, once its session has been held."""
    _may_publish(actor)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status == Status.PUBLISHED:
            return locked
        if locked.status != Status.ANSWERED or locked.session is None:
            raise ApplicationError(_("Seule une question répondue peut être publiée."),
                                   code=ErrorCode.CONFLICT)
        if locked.session.held_on > timezone.localdate():
            raise ApplicationError(
                _("Les réponses se publient une fois la séance tenue (le %(day)s).")
                % {"day": locked.session.held_on.strftime("%d/%m/%Y")},
                code=ErrorCode.CONFLICT)
        locked.status, locked.published_at = Status.PUBLISHED, timezone.now()
        locked.updated_at = locked.published_at
        locked.save()
        audit_record(actor=actor, action="question.publish", obj=locked)
    return locked


def question_unpublish(*, actor: Actor, question: Question) -> Question:
    """Take an answer off the public page (it stays answered, in its session)."""
    _may_publish(actor)
    with transaction.atomic():
        locked = _locked(question)
        if locked.status != Status.PUBLISHED:
            return locked
        locked.status, locked.published_at = Status.ANSWERED, None
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(actor=actor, action="question.unpublish", obj=locked)
    return locked


def session_publish(*, actor: Actor, session: QuestionSession) -> int:
    """Publish every answered question of a held session; returns how many."""
    _may_publish(actor)
    if session.held_on > timezone.localdate():
        raise ApplicationError(
            _("Les réponses se publient une fois la séance tenue (le %(day)s).")
            % {"day": session.held_on.strftime("%d/%m/%Y")}, code=ErrorCode.CONFLICT)
    with transaction.atomic():
        ids = list(session.questions.select_for_update()
                   .filter(status=Status.ANSWERED).values_list("pk", flat=True))
        now = timezone.now()
        Question.objects.filter(pk__in=ids).update(status=Status.PUBLISHED, published_at=now,
                                                   updated_at=now)
        if ids:
            audit_record(actor=actor, action="question.session_publish", obj=session,
                         questions=ids)
    return len(ids)


# --- retention ------------------------------------------------------------------------------

def questions_erase_originals(*, before: datetime, now: datetime | None = None) -> int:
    """Erase the original text and the nickname of the questions received before `before`
    (retention: tracking/privacy/retention.py calls it nightly with the policy's
    anonymisation period). The publishable wording, the answer and the counts stay.
    Idempotent; one audit entry per run that erased something."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(Question.objects.select_for_update()
                   .filter(received_at__lt=before, original_erased_at__isnull=True)
                   .values_list("pk", flat=True))
        if not ids:
            return 0
        # The encrypted fields store "" as NULL: nothing of the text is left.
        Question.objects.filter(pk__in=ids).update(original_text="", nickname="",
                                                   original_erased_at=now)
        AuditLog.objects.create(at=now, action="retention.questions_erase",
                                object_type="question", object_id="",
                                detail={"count": len(ids), "before": before.isoformat()})
    return len(ids)
