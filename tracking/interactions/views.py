"""Pages of interactions, contacts and partners (association hosts; the association's schema
is active)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relier_platform.errors import ApplicationError
from tracking import forms
from tracking.access import actor_of, requires
from tracking.cases import selectors
from tracking.forms import add_error
from tracking.interactions import directory
from tracking.interactions import selectors as interactions_selectors
from tracking.interactions.services import InteractionData, interaction_create
from tracking.permissions import Actor, Capability


@requires(Capability.INTERACTION_LOG)
@require_POST
def interaction_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    case = selectors.access_case(actor, case_id)
    form = forms.InteractionForm(request.POST, clinical=actor.can(Capability.CLINICAL))
    if form.is_valid():
        data = form.cleaned_data
        try:
            interaction_create(actor=actor, data=InteractionData(
                kind=data["kind"], channel=data["channel"], occurred_at=data["occurred_at"],
                duration_minutes=data.get("duration_minutes"), case_ids=[case.pk],
                summary=data.get("summary") or "", clinical_note=data.get("clinical_note") or "",
                custom=form.custom_answers(),
            ))
        except ApplicationError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Échange enregistré."))
            return redirect("case_detail", case_id=case.pk)
    return render(request, "tracking/interaction_form.html", {"form": form, "case": case},
                  status=400)


@require_POST
def contact_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    form = forms.ContactForm(request.POST)
    if form.is_valid():
        directory.contact_create_for_case(actor=actor, case=case, **form.cleaned_data)
        messages.success(request, _("Contact ajouté."))
    else:
        messages.error(request, _("Contact non enregistré : vérifiez les champs."))
    return redirect("case_detail", case_id=case.pk)


# --- Partners --------------------------------------------------------------------------

@requires(Capability.CASE_VIEW_ALL)
def partner_list(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    form = forms.PartnerForm(request.POST or None)
    if request.method == "POST":
        if not actor.can(Capability.PARTNER_MANAGE):
            raise Http404
        if form.is_valid():
            try:
                directory.partner_create(actor=actor, **form.cleaned_data)
            except ApplicationError as error:
                add_error(form, error)
            else:
                messages.success(request, _("Partenaire ajouté."))
                return redirect("partner_list")
    return render(request, "tracking/partner_list.html", {
        "partners": interactions_selectors.partner_list(), "form": form,
    }, status=400 if form.errors else 200)


@requires(Capability.CASE_VIEW_ALL)
def partner_detail(request: HttpRequest, partner_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    partner = interactions_selectors.partner_get(partner_id)
    referred = selectors.case_list(actor=actor, filters=selectors.CaseFilters(
        status="all", partner=partner.pk))
    return render(request, "tracking/partner_detail.html", {
        "partner": partner, "cases": referred[:200],
        "interactions": partner.interactions.select_related("kind").order_by("-occurred_at")[:50],
        "sessions": partner.awareness_sessions.order_by("-held_on")[:50],
    })
