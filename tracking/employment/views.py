"""Recording a milestone of the employment programme on a case (association hosts; the
association's schema is active). The milestones are shown on the case page
(tracking/cases/views.py reads `forms.case_section`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relier_platform.errors import ApplicationError
from tracking.access import actor_of
from tracking.cases.selectors import access_case
from tracking.employment import selectors, services
from tracking.employment.forms import MilestoneForm
from tracking.forms import add_error


@require_http_methods(["GET", "POST"])
def milestone_add(request: HttpRequest, case_id: int) -> HttpResponse:
    """The form alone (GET, or a refused POST shown again with its errors, nothing saved);
    a saved milestone goes back to the case page's section."""
    actor = actor_of(request)
    case = access_case(actor, case_id, for_edit=True)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.milestone_record(actor=actor, case=case, kind=data["kind"],
                                      reached_on=data["reached_on"], note=data["note"])
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Étape « %(label)s » enregistrée.")
                             % {"label": data["kind"].label})
            return redirect(reverse("case_detail", args=[case.pk]) + "#emploi-title")
    return render(request, "tracking/employment/milestone_form.html", {
        "form": form, "case": case, "in_programme": selectors.in_programme(case),
    }, status=400 if form.errors else 200)
