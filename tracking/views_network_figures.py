"""The association's own figures beside its networks' (association's host, tenant schema).

Its own column is computed live in its schema with the network's definitions
(tracking.network_figures), so both columns count the same things; the network's column
is what the network published — after disclosure control, like a coordinator sees it.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tenants import indicators as cat
from tenants import published
from tenants.disclosure import TOTAL
from tenants.models import NetworkMembership
from tracking.access import requires
from tracking.figures_shown import hides_small_counts, shown_count, small_counts_note
from tracking.network_figures import contributions
from tracking.permissions import Capability
from tracking.school_year import school_year_label, school_year_of


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
