"""Closing the association (its admins): request it by typing its address, follow the
grace period, download the export, or cancel. On an association's host; anyone but its
admins gets 404 (network coordinators and other associations' members never reach it: the
membership middleware answers 403 first). The export leaves clinical notes out: its
psychologists download theirs apart (anyone else: 404). Both downloads ask for a recent
re-authentication first (tenants.accounts.security), after the permission check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from relier_platform.errors import ApplicationError
from tenants.accounts.security import reauthentication_check
from tenants.models import Association
from tenants.offboarding import clinical as offboarding_clinical
from tenants.offboarding import services as offboarding
from tracking.access import actor_of, admin_of
from tracking.permissions import Capability


def _association(request: HttpRequest) -> Association:
    # Read again: the cached tenant of the request may predate a change of state.
    return Association.objects.get(pk=request.tenant.pk)  # type: ignore[attr-defined]


@require_http_methods(["GET", "POST"])
def closure_page(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    association = _association(request)
    error = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "request":
                offboarding.association_closure_request(
                    actor=actor.user, association=association,
                    slug_typed=request.POST.get("slug", ""))
                messages.success(request, _("La fermeture est demandée : l'espace est désormais "
                                            "en lecture seule. L'export se prépare."))
                return redirect("closure_page")
            if action == "cancel":
                offboarding.association_closure_cancel(actor=actor.user,
                                                       association=association)
                messages.success(request, _("La fermeture est annulée : l'espace fonctionne de "
                                            "nouveau normalement."))
                return redirect("closure_page")
            error = _("Action inconnue.")
        except ApplicationError as failure:
            error = failure.message
    return render(request, "tenants/offboarding/closure.html", {
        "association": association, "error": error,
        "export_ready": offboarding.export_path(association) is not None,
        "grace_days": settings.CLOSURE_GRACE_DAYS,
    }, status=400 if error else 200)


@require_GET
def export_download(request: HttpRequest) -> FileResponse:
    actor = admin_of(request)
    reauthentication_check(request)
    association = _association(request)
    try:
        path = offboarding.export_download_record(actor=actor.user, association=association)
    except ApplicationError:
        raise Http404 from None
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type="application/zip")


@require_GET
def clinical_export_download(request: HttpRequest) -> FileResponse:
    actor = actor_of(request)
    if not actor.can(Capability.CLINICAL):
        raise Http404
    reauthentication_check(request)
    association = _association(request)
    try:
        handle = offboarding_clinical.clinical_export_download_record(
            actor=actor.user, association=association)
    except ApplicationError:
        raise Http404 from None
    day = timezone.localdate().isoformat()
    return FileResponse(handle, as_attachment=True,
                        filename=f"{association.slug}-notes-cliniques-{day}.zip",
                        content_type="application/zip")
