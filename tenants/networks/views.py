"""The association's networks (association admins): join by accepting the data-sharing
agreement, or withdraw. On an association's host; anyone but its admins gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.models import Network, NetworkMembership
from tenants.networks import indicators as cat
from tenants.networks import selectors as published
from tenants.networks import services as networks
from tenants.networks.contribution import contributions
from tenants.networks.disclosure import TOTAL
from tracking.access import admin_of, requires
from tracking.figures.shown import hides_small_counts, shown_count, small_counts_note
from tracking.permissions import Capability
from tracking.school_year import school_year_label, school_year_of


@require_http_methods(["GET", "POST"])
def association_networks(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    association = request.tenant  # type: ignore[attr-defined]
    error = None
    if request.method == "POST":
        network_id = str(request.POST.get("network", ""))
        network = Network.objects.filter(pk=int(network_id) if network_id.isdigit() else 0
                                         ).first()
        if network is None:
            raise Http404
        try:
            if request.POST.get("action") == "join":
                if request.POST.get("accept") != "1":
                    raise ApplicationError(
                        _("Cochez la case pour accepter la convention de partage."),
                        code=ErrorCode.CONSENT_MISSING, field="accept")
                networks.network_join(actor=actor.user, association=association,
                                      network=network,
                                      agreement_version=request.POST.get("agreement_version",
                                                                         ""))
                messages.success(request, _("L'association partage désormais ses chiffres "
                                            "anonymisés avec « %(name)s ».") % {
                                                "name": network.name})
            elif request.POST.get("action") == "withdraw":
                networks.network_withdraw(actor=actor.user, association=association,
                                          network=network)
                messages.success(request, _("L'association ne partage plus ses chiffres avec "
                                            "« %(name)s » : ils sortent de toute publication "
                                            "à venir.") % {"name": network.name})
            elif request.POST.get("action") == "publish":
                if not NetworkMembership.objects.filter(network=network, association=association,
                                                        withdrawn_at__isnull=True).exists():
                    raise Http404
                networks.network_publication_request(actor=actor.user, network=network,
                                                     associations=[association])
                messages.success(request, _("Nos chiffres seront recalculés et publiés dans "
                                            "quelques minutes."))
            else:
                raise Http404
        except ApplicationError as refused:
            error = refused.message
        else:
            return redirect("association_networks")
    memberships = {m.network_id: m for m in NetworkMembership.objects.filter(
        association=association, withdrawn_at__isnull=True)}
    rows: list[dict[str, Any]] = [
        {"network": n, "membership": memberships.get(n.pk)}
        for n in Network.objects.order_by("name")
    ]
    return render(request, "tenants/association_networks.html",
                  {"rows": rows, "error": error}, status=400 if error else 200)


@require_GET
@requires(Capability.FIGURES_READ)
def network_figures(request: HttpRequest) -> HttpResponse:
    association = request.tenant  # type: ignore[attr-defined]
    this_year = school_year_of(timezone.localdate())
    years = [this_year - offset for offset in range(3)]
    year_text = request.GET.get("annee", str(this_year))
    if not year_text.isdigit() or int(year_text) not in years:
        raise Http404
    year = int(year_text)
    key = request.GET.get("indicateur", "active_by_age_bracket")
    indicator = cat.BY_KEY.get(key)
    if indicator is None:
        raise Http404
    period = school_year_label(year)
    memberships = list(NetworkMembership.objects.filter(
        association=association, withdrawn_at__isnull=True).select_related("network"))
    networks: list[dict[str, Any]] = []
    until = None
    for membership in memberships:
        network = membership.network
        publication = published.last_publication(network)
        until = until or published.cut_off_day(publication, period)
        threshold = published.threshold_of(network, publication)
        view = published.indicator_view(network, indicator, period, threshold,
                                        publication=publication)
        pooled = {code: total for code, _label, _cells, total in view.rows}
        networks.append({"network": network, "publication": publication, "view": view,
                         "pooled": pooled, "grand_total": view.grand_total})
    own: dict[str, int] = {}  # counted to the network's cut-off day, to compare alike
    for cell in contributions(year, until):
        if cell.indicator == indicator.key:
            own[cell.row] = own.get(cell.row, 0) + cell.value
    dimension = cat.DIMENSIONS[indicator.rows]
    hide_small = hides_small_counts(request.actor)  # type: ignore[attr-defined]
    codes = [code for code in indicator.row_codes(year)
             if own.get(code) or any(code in n["pooled"] for n in networks)]
    rows = [{"label": dimension.label(code),
             "own": shown_count(own.get(code, 0), hide_small=hide_small),
             "networks": [n["pooled"].get(code) for n in networks]} for code in codes]
    return render(request, "tracking/network_figures.html", {
        "years": [(y, school_year_label(y)) for y in years], "year": year, "period": period,
        "indicator": indicator, "catalogue": cat.CATALOGUE, "rows": rows,
        "own_total": shown_count(sum(own.values()), hide_small=hide_small),
        "networks": networks, "row_title": dimension.title, "TOTAL": TOTAL,
        "own_note": small_counts_note() if hide_small else "", "until": until,
    })
