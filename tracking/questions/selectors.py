"""Reads of Question Psy (tenant schema): the settings, the staff's queue and sessions
(QUESTION_MODERATE only; 404 for everyone else, missing and forbidden alike), and what the
public page shows (published questions only: the wording and the answer, nothing else)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from tracking.models import Question, QuestionSession, QuestionSettings
from tracking.permissions import Actor, Capability

QUEUE_TABS = ("new", "scheduled", "answered", "published", "set_aside")


def settings_get() -> QuestionSettings:
    """The association's settings (the form stays closed until an admin opens it)."""
    found = QuestionSettings.objects.filter(pk=1).first()
    return found or QuestionSettings(pk=1)


def form_is_open() -> bool:
    return QuestionSettings.objects.filter(pk=1, form_open=True).exists()


def _require(actor: Actor) -> None:
    if not actor.can(Capability.QUESTION_MODERATE):
        raise Http404


def question_queue(*, actor: Actor, status: str = "new") -> QuerySet[Question]:
    """The questions of one tab of the queue, oldest first (the published ones and those
    set aside: latest first)."""
    _require(actor)
    qs = Question.objects.filter(status=status).select_related("session")
    if status in ("published", "set_aside"):
        return qs.order_by("-updated_at", "-id")
    return qs.order_by("received_at", "id")


def queue_counts(*, actor: Actor) -> dict[str, int]:
    _require(actor)
    counts = dict(Question.objects.values_list("status").annotate(n=Count("id"))
                  .order_by().values_list("status", "n"))
    return {tab: counts.get(tab, 0) for tab in QUEUE_TABS}


def access_question(actor: Actor, question_id: Any) -> Question:
    _require(actor)
    try:
        pk = int(question_id)
    except (TypeError, ValueError):
        raise Http404 from None
    question = Question.objects.select_related("session").filter(pk=pk).first()
    if question is None:
        raise Http404
    return question


def session_list(*, actor: Actor) -> QuerySet[QuestionSession]:
    _require(actor)
    return QuestionSession.objects.annotate(
        n=Count("questions"),
        answered=Count("questions", filter=Q(questions__status__in=("answered", "published"))),
        published=Count("questions", filter=Q(questions__status="published")),
    ).order_by("-held_on")


def access_session(actor: Actor, session_id: Any) -> QuestionSession:
    _require(actor)
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    session = QuestionSession.objects.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def session_questions(session: QuestionSession) -> QuerySet[Question]:
    return session.questions.order_by("received_at", "id")


def published_sessions() -> QuerySet[QuestionSession]:
    """The sessions with at least one published answer, latest first, each with its
    published questions: for the public page, which reads only `held_on`, `public_text`
    and `answer` (never the original text, the nickname or when it was asked)."""
    published = (Question.objects.filter(status=Question.Status.PUBLISHED)
                 .only("id", "session_id", "public_text", "answer").order_by("id"))
    return (QuestionSession.objects
            .filter(questions__status=Question.Status.PUBLISHED).distinct()
            .only("id", "held_on")
            .prefetch_related(Prefetch("questions", queryset=published, to_attr="published"))
            .order_by("-held_on"))
