"""The network coordinators' console, on the platform's public host (public schema).

A coordinator sees the published figures of the networks they coordinate — and nothing
else: no association host lets them in (they hold no membership), and every page here
reads only what disclosure control published. Anyone else gets 404.
"""

from __future__ import annotations

import csv
from io import StringIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from relier_platform.errors import ApplicationError
from tenants.accounts.security import sensitive_action
from tenants.networks import indicators as cat
from tenants.networks import selectors as published
from tenants.tenancy.services import audit


@require_GET
@login_required
def network_list(request: HttpRequest) -> HttpResponse:
    networks = list(published.coordinated_networks(request.user))  # type: ignore[arg-type]
    if not networks:
        raise Http404
    if len(networks) == 1:
        return redirect("network_dashboard", network_id=networks[0].pk)
    return render(request, "tenants/console_list.html", {"networks": networks})


def _choices(request: HttpRequest, periods: list[str]) -> tuple[str, cat.Indicator]:
    period = request.GET.get("annee") or (periods[0] if periods else "")
    if periods and period not in periods:
        raise Http404
    key = request.GET.get("indicateur") or cat.CATALOGUE[0].key
    if key not in cat.BY_KEY:
        raise Http404
    return period, cat.BY_KEY[key]


@require_GET
@login_required
def network_dashboard(request: HttpRequest, network_id: int) -> HttpResponse:
    network = published.access_network(request.user, network_id)  # type: ignore[arg-type]
    publication = published.last_publication(network)
    periods = published.published_periods(network)
    period, chosen = _choices(request, periods)
    threshold = published.threshold_of(network, publication)
    context: dict[str, object] = {
        "network": network, "publication": publication, "periods": periods,
        "period": period, "chosen": chosen, "catalogue": cat.CATALOGUE,
        "threshold": threshold,
    }
    if periods:
        cells = published.period_cells(network, period)
        views = [published.indicator_view(network, indicator, period, threshold,
                                          cells.get(indicator.key, {}),
                                          publication=publication)
                 for indicator in cat.CATALOGUE]
        stats = published.statistics_of(network, period)
        context |= {
            "headlines": published.headlines(network, period, threshold, stats),
            "views": views,
            "detail": next(v for v in views if v.indicator.key == chosen.key),
            "trend": published.trend(network, chosen, periods, threshold),
            "departments": next(v for v in views if v.indicator.key == "active_by_department"),
            "impact": published.impact_rows(stats),
            "until": published.cut_off_day(publication, period),
            "min_contributors": published.min_contributors_of(publication, period),
        }
    return render(request, "tenants/console.html", context)


@require_POST
@login_required
def network_publish_now(request: HttpRequest, network_id: int) -> HttpResponse:
    """On demand: every member recomputes its contribution, then the network publishes
    (at most once every few hours: tenants.networks.services.network_publication_request)."""
    from tenants.networks.services import network_members, network_publication_request

    network = published.access_network(request.user, network_id)  # type: ignore[arg-type]
    try:
        network_publication_request(actor=request.user,  # type: ignore[arg-type]
                                    network=network,
                                    associations=list(network_members(network)))
    except ApplicationError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("Publication demandée : les chiffres seront à jour dans "
                                    "quelques minutes."))
    return redirect("network_dashboard", network_id=network.pk)


@require_GET
@login_required
@sensitive_action
def network_export(request: HttpRequest, network_id: int) -> HttpResponse:
    network = published.access_network(request.user, network_id)  # type: ignore[arg-type]
    periods = published.published_periods(network)
    if not periods:
        raise Http404
    period, _chosen = _choices(request, periods)
    publication = published.last_publication(network)
    threshold = published.threshold_of(network, publication)
    buffer = StringIO()
    writer = csv.writer(buffer, delimiter=";")
    for row in published.csv_rows(network, period, threshold, publication):
        writer.writerow(row)
    audit("network.export", actor=request.user,  # type: ignore[arg-type]
          network_id=network.pk, period=period)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = _("indicateurs-reseau")
    response["Content-Disposition"] = f'attachment; filename="{name}-{network.pk}-{period}.csv"'
    return response
