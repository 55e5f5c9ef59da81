"""Pages of Question Psy (association hosts; the association's schema is active).

Public (no sign-in, like /signaler): the form `/question-psy/` — while the association has
it open, with /signaler's spam protection (its honeypot, and an hourly limit per address
counted as tenants.accounts.ratelimit counts the referral form's) — and the published
answers `/question-psy/reponses/`. Staff (QUESTION_MODERATE, 404 for anyone else): the
queue `/questions/`, a question, the weekly sessions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.accounts import ratelimit
from tracking.access import admin_of, client_ip, requires
from tracking.audit.services import audit_record
from tracking.forms import add_error
from tracking.models import Question, QuestionSession
from tracking.permissions import Actor, Capability
from tracking.questions import forms, selectors, services

# The public form's allowance per address, counted like the referral form's.
QUESTION_LIMIT = ratelimit.Limit("question", count=10, window=60 * 60)
SESSIONS_PER_PAGE = 10


# --- public -----------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def question_public(request: HttpRequest) -> HttpResponse:
    if not selectors.form_is_open():
        return render(request, "tracking/questions/public_closed.html",
                      status=403 if request.method == "POST" else 200)
    form = forms.PublicQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        who = ratelimit.address_key(request)
        if not ratelimit.take(QUESTION_LIMIT, who):
            return ratelimit.refused(request, referral=True)
        data = form.cleaned_data
        if data.get("website"):  # honeypot: a robot; answer as if all went well
            return render(request, "tracking/questions/public_thanks.html")
        try:
            services.question_submit(text=data["text"], nickname=data.get("nickname") or "",
                                     asker=data.get("asker") or "",
                                     ip_address=client_ip(request))
        except ApplicationError as error:
            ratelimit.give_back(QUESTION_LIMIT, who)
            add_error(form, error)
        else:
            return render(request, "tracking/questions/public_thanks.html")
    return render(request, "tracking/questions/public_form.html", {"form": form},
                  status=400 if form.errors else 200)


def question_answers(request: HttpRequest) -> HttpResponse:
    """The published answers, by session, latest first."""
    page = Paginator(selectors.published_sessions(), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "tracking/questions/public_answers.html", {
        "page": page, "form_open": selectors.form_is_open()})


# --- staff ------------------------------------------------------------------------------

@requires(Capability.QUESTION_MODERATE)
def queue(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    tab = request.GET.get("statut", "new")
    if tab not in selectors.QUEUE_TABS:
        tab = "new"
    return render(request, "tracking/questions/queue.html", {
        "tab": tab, "questions": selectors.question_queue(actor=actor, status=tab)[:200],
        "counts": selectors.queue_counts(actor=actor), "settings": selectors.settings_get(),
        "is_admin": actor.role == "admin",
    })


@require_POST
def settings_update(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    form_open = request.POST.get("form_open") == "1"
    services.settings_update(actor=actor, form_open=form_open)
    messages.success(request, _("Le formulaire public est ouvert.") if form_open
                     else _("Le formulaire public est fermé."))
    return redirect("question_queue")


ACTIONS = ("reword", "aside", "restore", "schedule", "answer", "publish", "unpublish")


@requires(Capability.QUESTION_MODERATE)
@require_http_methods(["GET", "POST"])
def question_detail(request: HttpRequest, question_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    question = selectors.access_question(actor, question_id)
    if request.method == "GET" and question.original_text:
        # The question as asked is personal data: each reading is in the audit log.
        audit_record(actor=actor, action="question.read", obj=question,
                     ip_address=client_ip(request))
    sessions = list(selectors.session_list(actor=actor)[:20])
    data = request.POST if request.method == "POST" else None
    action = request.POST.get("action") if data is not None else None
    reword = forms.RewordForm(data if action == "reword" else None,
                              initial={"public_text": question.public_text})
    aside = forms.AsideForm(data if action == "aside" else None)
    schedule = forms.ScheduleForm(data if action == "schedule" else None, sessions=sessions,
                                  initial={"session": question.session_id})
    answer = forms.AnswerForm(data if action == "answer" else None,
                              initial={"answer": question.answer})
    bound = {"reword": reword, "aside": aside, "schedule": schedule, "answer": answer}
    error = None
    if action in ACTIONS:
        form = bound.get(action)
        if form is None or form.is_valid():
            try:
                _apply(actor, question, action, form.cleaned_data if form else {}, sessions)
            except ApplicationError as failure:
                if form is not None:
                    add_error(form, failure)
                else:
                    error = failure.message
            else:
                messages.success(request, _("Question enregistrée."))
                return redirect("question_detail", question_id=question.pk)
    failed = error is not None or any(f.errors for f in bound.values())
    return render(request, "tracking/questions/question_detail.html", {
        "question": question, "reword": reword, "aside": aside, "schedule": schedule,
        "answer": answer, "error": error,
        "can_answer": actor.can(Capability.QUESTION_ANSWER),
    }, status=400 if failed else 200)


def _apply(actor: Actor, question: Question, action: str, data: dict[str, Any],
           sessions: list[QuestionSession]) -> None:
    if action == "reword":
        services.question_reword(actor=actor, question=question,
                                 public_text=str(data["public_text"]))
    elif action == "aside":
        services.question_set_aside(actor=actor, question=question, reason=str(data["reason"]))
    elif action == "restore":
        services.question_restore(actor=actor, question=question)
    elif action == "schedule":
        chosen = data.get("session")
        session = next((s for s in sessions if s.pk == chosen), None)
        if chosen is not None and session is None:
            raise ApplicationError(_("Cette séance est introuvable."),
                                   code=ErrorCode.NOT_FOUND, field="session")
        services.question_schedule(actor=actor, question=question, session=session)
    elif action == "answer":
        services.question_answer(actor=actor, question=question, answer=str(data["answer"]))
    elif action == "publish":
        services.question_publish(actor=actor, question=question)
    elif action == "unpublish":
        services.question_unpublish(actor=actor, question=question)


@requires(Capability.QUESTION_MODERATE)
@require_http_methods(["GET", "POST"])
def session_list(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    form = forms.SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=actor, held_on=form.cleaned_data["held_on"])
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Séance créée."))
            return redirect("question_session", session_id=session.pk)
    return render(request, "tracking/questions/sessions.html", {
        "sessions": selectors.session_list(actor=actor)[:100], "form": form,
    }, status=400 if form.errors else 200)


@requires(Capability.QUESTION_MODERATE)
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    session = selectors.access_session(actor, session_id)
    error = None
    if request.method == "POST":
        try:
            count = services.session_publish(actor=actor, session=session)
        except ApplicationError as failure:
            error = failure.message
        else:
            messages.success(request, _("Réponses publiées : %(count)s.") % {"count": count})
            return redirect("question_session", session_id=session.pk)
    return render(request, "tracking/questions/session_detail.html", {
        "session": session, "questions": selectors.session_questions(session),
        "error": error,
    }, status=400 if error else 200)
