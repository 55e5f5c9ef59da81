"""The audit log page, for the association's admins (association hosts)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tracking.access import client_ip, requires
from tracking.audit.services import audit_record
from tracking.forms import as_int
from tracking.models import AuditLog
from tracking.permissions import Actor, Capability

# --- Audit log -------------------------------------------------------------------------

@requires(Capability.AUDIT_READ)
def audit_list(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    qs = AuditLog.objects.order_by("-at", "-id")
    action = request.GET.get("action", "")[:40]
    if action:
        qs = qs.filter(action__startswith=action)
    actor_id = as_int(request.GET.get("actor"))
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    page = Paginator(qs.select_related("actor"), 100).get_page(request.GET.get("page"))
    # Reading the audit log is itself audited, with what was looked for (issue #8).
    audit_record(actor=actor, action="audit.read", ip_address=client_ip(request),
                 filters={"action": action, "actor": actor_id}, page=page.number)
    return render(request, "tracking/audit_list.html", {"page": page, "action": action})
