"""Retention settings and archived cases (association admins), issue #8.

On an association's host (its schema is active). Anyone but an admin of this association
gets 404, the pages and their actions alike (`admin_of`). Reading an archived case is
audited at each read; restoring one, keeping one from archiving and changing the periods
are audited by their services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from tracking import selectors
from tracking.access import admin_of, client_ip
from tracking.models.retention import ANONYMISE_AFTER, ARCHIVE_AFTER, AUDIT_KEEP, WARNING_DAYS
from tracking.services import retention

FIELDS = ("archive_after_months", "anonymise_after_months", "audit_keep_months")


@require_http_methods(["GET", "POST"])
def retention_settings(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    policy = retention.policy_get()
    error: ApplicationError | None = None
    values: dict[str, Any] = {name: getattr(policy, name) for name in FIELDS}
    if request.method == "POST":
        values = {name: request.POST.get(name, "")[:6] for name in FIELDS}
        try:
            retention.policy_update(actor=actor, **values)
        except ApplicationError as failed:
            error = failed  # shown above the form, what was typed kept; nothing saved
        else:
            messages.success(request, _("Durées de conservation enregistrées."))
            return redirect("retention_settings")
    now = timezone.now()
    archived = retention.archived_list()
    return render(request, "tracking/retention/settings.html", {
        "policy": policy, "values": values, "error": error,
        "bounds": {"archive": ARCHIVE_AFTER, "anonymise": ANONYMISE_AFTER,
                   "audit": AUDIT_KEEP},
        "warning_days": WARNING_DAYS,
        "to_archive": retention.archive_upcoming(now=now, policy=policy),
        "to_anonymise": retention.anonymise_upcoming(now=now, policy=policy),
        "archived": archived[:200], "archived_count": archived.count(),
        "journal": retention.retention_journal(),
    }, status=400 if error else 200)


def archived_case(request: HttpRequest, case_id: int) -> HttpResponse:
    """An archived case, read-only, for admins; each read is written to the audit log.
    Clinical notes stay out (admins do not read them: tracking/permissions.py)."""
    actor = admin_of(request)
    case = retention.access_archived_case(actor, case_id)
    retention.archived_case_read(actor=actor, case=case, ip_address=client_ip(request))
    return render(request, "tracking/retention/archived_case.html", {
        "case": case, "timeline": selectors.case_timeline(actor=actor, case=case),
        "age_bracket": case.age_bracket(),
    })


@require_POST
def archived_case_restore(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = admin_of(request)
    case = retention.access_archived_case(actor, case_id)
    try:
        retention.case_restore(actor=actor, case=case)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("archived_case", case_id=case.pk)
    messages.success(request, _("Dossier %(code)s restauré : l'équipe le retrouve dans ses "
                                "listes.") % {"code": case.code})
    return redirect("case_detail", case_id=case.pk)


@require_POST
def case_keep(request: HttpRequest, case_id: int) -> HttpResponse:
    """Keep a case the nightly run would soon archive (its clock starts over)."""
    actor = admin_of(request)
    case = selectors.access_case(actor, case_id)
    try:
        retention.case_keep(actor=actor, case=case)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Dossier %(code)s conservé : il ne sera pas archivé "
                                    "avant une nouvelle période sans contact.")
                         % {"code": case.code})
    return redirect("retention_settings")
