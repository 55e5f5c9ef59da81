"""Pages of exchange groups and their sessions (association hosts; the association's schema
is active)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relier_platform.errors import ApplicationError
from tracking import forms
from tracking.access import actor_of
from tracking.forms import add_error
from tracking.groups import selectors
from tracking.groups import services as groups
from tracking.permissions import Capability

# --- Exchange groups -------------------------------------------------------------------

def group_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = forms.GroupForm(request.POST or None, association=request.tenant)  # type: ignore[attr-defined]
    if request.method == "POST":
        if not actor.can(Capability.GROUP_MANAGE):
            raise Http404
        if form.is_valid():
            try:
                groups.group_create(actor=actor, theme=form.cleaned_data["theme"],
                                    weekday=form.cleaned_data["weekday"],
                                    capacity=form.cleaned_data["capacity"],
                                    kind=form.cleaned_data["kind"],
                                    audience=form.cleaned_data["audience"],
                                    facilitator_ids=form.cleaned_data["facilitators"])
            except ApplicationError as error:
                add_error(form, error)
            else:
                messages.success(request, _("Groupe créé."))
                return redirect("group_list")
    return render(request, "tracking/group_list.html", {
        "groups": selectors.group_list(actor=actor), "form": form,
        "can_manage": actor.can(Capability.GROUP_MANAGE),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def group_detail(request: HttpRequest, group_id: int) -> HttpResponse:
    actor = actor_of(request)
    group = selectors.access_group(actor, group_id)
    form = forms.SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = groups.group_session_create(actor=actor, group=group, **form.cleaned_data)
        except ApplicationError as error:
            add_error(form, error)
        else:
            return redirect("group_session", group_id=group.pk, session_id=session.pk)
    return render(request, "tracking/group_detail.html", {
        "group": group, "sessions": selectors.group_sessions(group)[:30], "form": form,
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def group_session(request: HttpRequest, group_id: int, session_id: int) -> HttpResponse:
    actor = actor_of(request)
    group = selectors.access_group(actor, group_id)
    session = group.sessions.filter(pk=session_id).first()
    if session is None:
        raise Http404
    participants = selectors.group_participants(group)
    error = None
    if request.method == "POST":
        statuses = {
            case.pk: request.POST[f"status-{case.pk}"] for case in participants
            if request.POST.get(f"status-{case.pk}")
        }
        new_code = request.POST.get("add_case", "").strip()
        if new_code:
            extra = selectors.case_for_group(actor, new_code)
            if extra is None:
                error = _("Aucun dossier visible ne porte ce numéro.")
            else:
                statuses[extra.pk] = "present"
        if error is None:
            try:
                groups.attendance_record(actor=actor, session=session, statuses=statuses)
            except ApplicationError as failure:
                error = failure.message
            else:
                messages.success(request, _("Présences enregistrées."))
                return redirect("group_session", group_id=group.pk, session_id=session.pk)
    current = {a.case_id: a.status for a in session.attendances.all()}
    rows = [(case, current.get(case.pk, "")) for case in participants]
    return render(request, "tracking/group_session.html", {
        "group": group, "session": session, "rows": rows, "error": error,
        "choices": forms.ATTENDANCE_CHOICES,
        "can_add": actor.can(Capability.CASE_VIEW_ALL) or actor.can(Capability.CASE_VIEW_ASSIGNED),
    }, status=400 if error else 200)
