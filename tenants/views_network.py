"""The association's networks (association admins): join by accepting the data-sharing
agreement, or withdraw. On an association's host; anyone but its admins gets 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from relier_platform.errors import ApplicationError, ErrorCode
from tenants import networks
from tenants.models import Network, NetworkMembership
from tracking.access import admin_of


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
