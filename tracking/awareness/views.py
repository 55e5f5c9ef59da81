"""The awareness sessions page (association hosts; the association's schema is active)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError
from tracking import forms
from tracking.access import requires
from tracking.awareness import selectors, services
from tracking.forms import add_error
from tracking.permissions import Actor, Capability


@requires(Capability.AWARENESS_MANAGE)
def awareness_list(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    form = forms.AwarenessForm(request.POST or None, association=request.tenant)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.awareness_create(
                actor=actor, held_on=data["held_on"], partner=data["partner"],
                town=data["town"], department=data["department"], programme=data["programme"],
                facilitator_ids=data["facilitators"], pupils=data["pupils"],
                parents=data["parents"], teachers=data["teachers"],
                other_professionals=data["other_professionals"],
            )
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Séance de sensibilisation enregistrée."))
            return redirect("awareness_list")
    return render(request, "tracking/awareness_list.html", {
        "sessions": selectors.awareness_list()[:200], "form": form,
    }, status=400 if form.errors else 200)
