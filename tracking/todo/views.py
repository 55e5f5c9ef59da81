"""The to-do list page and its one-click actions (association hosts; the association's
schema is active). Every member has a list; a network coordinator, who is no member,
gets 404 like anyone else outside the association."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from relier_platform.tenancy import current_schema
from tenants.accounts import selectors as tenant_selectors
from tracking.access import actor_of
from tracking.forms import add_error
from tracking.todo import selectors
from tracking.todo import services as todo
from tracking.todo.context_processors import Notices
from tracking.todo.forms import TaskForm


def _members() -> list[tuple[int, str]]:
    return [(m.user_id, str(m.user))
            for m in tenant_selectors.member_list(schema_name=current_schema())]


@require_http_methods(["GET", "POST"])
def todo_page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    form = TaskForm(request.POST or None, members=_members(),
                    initial={"assignee": actor.id, "due_on": today})
    if request.method == "POST" and form.is_valid():
        try:
            todo.task_create(actor=actor, data=todo.TaskData(
                title=form.cleaned_data["title"], due_on=form.cleaned_data["due_on"],
                assignee_id=form.cleaned_data["assignee"],
                case_code=form.cleaned_data["case_code"]))
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Tâche confiée."))
            return redirect("todo")
    items = selectors.todo_list(actor=actor, day=today)
    return render(request, "tracking/todo.html", {
        "due": [item for item in items if item.due_on <= today],
        "upcoming": [item for item in items if item.due_on > today],
        "done": selectors.tasks_recently_done(actor=actor, day=today),
        "given": selectors.tasks_given(actor=actor, day=today),
        "form": form, "daily_digest": selectors.digest_wanted(user_id=actor.id),
        "today": today,
    }, status=400 if form.errors else 200)


@require_POST
def task_mark(request: HttpRequest, task_id: int) -> HttpResponse:
    actor = actor_of(request)
    task = selectors.access_task(actor, task_id)
    done = request.POST.get("done") == "1"
    try:
        task = todo.task_mark(actor=actor, task=task, done=done)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("todo")
    if getattr(request, "htmx", False):
        item = selectors.task_item_get(actor=actor, task=task)
        # The item in place, and the counter of the navigation out of band.
        return render(request, "tracking/includes/todo_item.html",
                      {"item": item, "today": timezone.localdate(), "swapped": True,
                       "notices": Notices(actor, fresh=True)})
    messages.success(request, _("Tâche faite.") if done else _("Tâche remise à faire."))
    return redirect("todo")


@require_POST
def task_cancel(request: HttpRequest, task_id: int) -> HttpResponse:
    actor = actor_of(request)
    task = selectors.access_task(actor, task_id)
    try:
        todo.task_cancel(actor=actor, task=task)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Tâche annulée."))
    return redirect("todo")


@require_POST
def referral_acknowledge(request: HttpRequest, referral_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        todo.referral_acknowledge(actor=actor, referral_id=referral_id)
    except ApplicationError:  # not theirs to acknowledge, or no such referral: alike
        raise Http404 from None
    messages.success(request, _("Réception du signalement notée."))
    return redirect("todo")


@require_POST
def digest_preference(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    wanted = request.POST.get("daily_digest") == "1"
    todo.digest_preference_set(actor=actor, daily_digest=wanted)
    messages.success(request, _("Vous recevrez le récapitulatif quotidien par e-mail.")
                     if wanted else _("Vous ne recevrez plus le récapitulatif quotidien."))
    return redirect("todo")
