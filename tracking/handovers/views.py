"""The admins' hand-over pages (association hosts): sending a case's summary to another
association of a network (`/dossiers/<id>/transmettre/`), and the hand-overs page
(`/parametres/transmissions/`): the ones received and waiting (accept into a new case, or
refuse), the ones sent (withdraw while waiting). Only the association's admins: 404 for
anyone else, as for a hand-over of another association (whatever its id)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from tenants.accounts.security import reauthentication_check
from tenants.models import Association
from tracking.access import admin_of, client_ip
from tracking.audit.services import audit_record
from tracking.cases import selectors as case_selectors
from tracking.forms import as_date, as_int
from tracking.handovers import selectors, services
from tracking.models import Case, ConsentGiver, ConsentMethod


def _tenant(request: HttpRequest) -> Association:
    return request.tenant  # type: ignore[attr-defined]


def _draft_from(request: HttpRequest) -> services.HandoverDraft:
    post = request.POST
    return services.HandoverDraft(
        receiver_id=as_int(post.get("receiver")),
        first_name=post.get("first_name", "")[:200],
        birth_year=as_int(post.get("birth_year")),
        situation_type_ids=[i for i in (as_int(v) for v in post.getlist("situation_types")[:50])
                            if i is not None],
        summary=post.get("summary", "")[:services.SUMMARY_LIMIT + 1000],
        consent_given_by=post.get("consent_given_by", "")[:20],
        consent_given_on=as_date(post.get("consent_given_on")),
        consent_method=post.get("consent_method", "")[:20],
    )


def _send_page(request: HttpRequest, case: Case, draft: services.HandoverDraft, *,
               error: ApplicationError | None = None, status: int = 200) -> HttpResponse:
    return render(request, "tracking/handover_send.html", {
        "case": case, "draft": draft, "error": error,
        "receivers": selectors.receivers_for(_tenant(request)),
        "situation_types": list(case.situation_types.all()),
        "consent_givers": ConsentGiver.choices, "consent_methods": ConsentMethod.choices,
        "today": timezone.localdate().isoformat(),
        "sent": selectors.case_handovers(case),
        "summary_limit": services.SUMMARY_LIMIT,
    }, status=status)


@require_http_methods(["GET", "POST"])
def handover_send(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = admin_of(request)
    case = case_selectors.access_case(actor, case_id)
    if request.method != "POST":
        return _send_page(request, case, services.handover_prefill(case))
    # Personal data leaves the association: a recent sign-in first.
    reauthentication_check(request)
    draft = _draft_from(request)
    try:
        record = services.handover_send(actor=actor, association=_tenant(request), case=case,
                                        draft=draft, ip_address=client_ip(request))
    except ApplicationError as failed:
        return _send_page(request, case, draft, error=failed, status=400)
    messages.success(request, _("Dossier transmis à %(name)s : elle a %(days)s jours pour "
                                "l'accepter ou le refuser.")
                     % {"name": record.other_association_name, "days": 30})
    return redirect("case_detail", case_id=case.pk)


@require_GET
def handovers(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    association = _tenant(request)
    incoming = selectors.incoming_list(association)
    if incoming:  # summaries of young people, opened: the read is audited, like a case's
        audit_record(actor=actor, action="handover.read", ip_address=client_ip(request),
                     handover_ids=[int(i.handover.pk) for i in incoming])
    return render(request, "tracking/handovers.html", {
        "incoming": incoming, "incoming_count": len(incoming),
        "sent": selectors.sent_list(association),
        "received": selectors.received_list(),
    })


@require_POST
def handover_accept(request: HttpRequest, handover_id: int) -> HttpResponse:
    actor = admin_of(request)
    try:
        case = services.handover_accept(actor=actor, association=_tenant(request),
                                        handover_id=handover_id,
                                        ip_address=client_ip(request))
    except ApplicationError as failed:
        messages.error(request, failed.message)
        return redirect("handovers")
    messages.success(request, _("Transmission acceptée : le dossier %(code)s est ouvert.")
                     % {"code": case.code})
    return redirect("case_detail", case_id=case.pk)


@require_POST
def handover_refuse(request: HttpRequest, handover_id: int) -> HttpResponse:
    actor = admin_of(request)
    try:
        services.handover_refuse(actor=actor, association=_tenant(request),
                                 handover_id=handover_id, ip_address=client_ip(request))
    except ApplicationError as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Transmission refusée : son résumé est détruit, rien "
                                    "n'en est gardé ici."))
    return redirect("handovers")


@require_POST
def handover_withdraw(request: HttpRequest, handover_id: int) -> HttpResponse:
    actor = admin_of(request)
    try:
        services.handover_withdraw(actor=actor, association=_tenant(request),
                                   handover_id=handover_id, ip_address=client_ip(request))
    except ApplicationError as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Transmission retirée : son résumé est détruit."))
    return redirect("handovers")
