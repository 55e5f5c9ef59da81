"""Pages of a young person's GDPR rights: access export (JSON and a printable page) and
anonymisation (association hosts; the association's schema is active).

Who: exports are for admins and coordinators (they see every case and may export);
anonymisation is for admins only. Everyone else gets 404, like a missing case. Every
download and the erasure ask the person to sign in again when their last sign-in is
older than allauth's reauthentication timeout, and each is written to the audit log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from tracking.access import actor_of, admin_of, client_ip
from tracking.cases import selectors
from tracking.models import Case
from tracking.permissions import Actor
from tracking.privacy import retention
from tracking.privacy import services as privacy
from tracking.privacy.models import ANONYMISE_AFTER, ARCHIVE_AFTER, AUDIT_KEEP, WARNING_DAYS

View = Callable[..., HttpResponse]
TOKEN_SALT = "tracking.privacy.anonymise"
TOKEN_MAX_AGE = 600  # seconds between the first and the second confirmation


def _allowed(check: Callable[[Actor], bool]) -> Callable[[View], View]:
    """Checked before re-authentication: someone without the right gets 404 at once,
    never a sign-in prompt that would tell the page exists."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, case_id: int, *args: Any, **kwargs: Any) -> HttpResponse:
            actor = actor_of(request)
            if not check(actor):
                raise Http404
            request.actor = actor  # type: ignore[attr-defined]
            request.case = selectors.access_case(actor, case_id)  # type: ignore[attr-defined]
            return view(request, case_id, *args, **kwargs)

        return wrapped

    return decorator


def _context(request: HttpRequest) -> tuple[Actor, Case]:
    return request.actor, request.case  # type: ignore[attr-defined]


def _export(request: HttpRequest, fmt: str) -> dict[str, Any]:
    actor, case = _context(request)
    data = privacy.case_export(actor=actor, case=case, association_name=str(
        getattr(request.tenant, "name", "")))  # type: ignore[attr-defined]
    privacy.case_export_record(actor=actor, case=case, fmt=fmt,
                               ip_address=client_ip(request))
    return data


@require_GET
@_allowed(privacy.can_export)
def privacy_index(request: HttpRequest, case_id: int) -> HttpResponse:
    actor, case = _context(request)
    return render(request, "tracking/privacy/index.html", {
        "case": case, "anonymised": privacy.is_anonymised(case),
        "can_anonymise": privacy.can_anonymise(actor),
    })


@require_GET
@_allowed(privacy.can_export)
@reauthentication_required
def privacy_export_json(request: HttpRequest, case_id: int) -> HttpResponse:
    data = _export(request, "json")
    _actor, case = _context(request)
    response = HttpResponse(json.dumps(data, ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    stem = f"donnees-{case.code}-{timezone.localdate().isoformat()}"
    response["Content-Disposition"] = f'attachment; filename="{stem}.json"'
    response["Cache-Control"] = "no-store, private"
    return response


@require_GET
@_allowed(privacy.can_export)
@reauthentication_required
def privacy_export_page(request: HttpRequest, case_id: int) -> HttpResponse:
    data = _export(request, "html")
    _actor, case = _context(request)
    response = render(request, "tracking/privacy/export.html", {"case": case, "data": data})
    response["Cache-Control"] = "no-store, private"
    return response


def _signed(case: Case, actor: Actor, first: str) -> str:
    return signing.dumps({"case": case.pk, "user": actor.id, "first": first}, salt=TOKEN_SALT)


def _first_confirmation(request: HttpRequest, case: Case, actor: Actor) -> str | None:
    """The code typed at the first step, if the second step's token is genuine, recent and
    was given to this person for this case."""
    try:
        token = signing.loads(request.POST.get("token", ""), salt=TOKEN_SALT,
                              max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if token.get("case") != case.pk or token.get("user") != actor.id:
        return None
    return str(token.get("first", ""))


@require_http_methods(["GET", "POST"])
@_allowed(privacy.can_anonymise)
@reauthentication_required
def privacy_anonymise(request: HttpRequest, case_id: int) -> HttpResponse:
    """Two confirmations: the code typed once (step 1), then again with the consequences
    restated (step 2). Only the second, with a valid token from the first, erases."""
    actor, case = _context(request)
    context: dict[str, Any] = {"case": case, "preview": privacy.erasure_preview(case),
                               "anonymised": privacy.is_anonymised(case), "step": 1}
    if request.method == "GET" or context["anonymised"]:
        return render(request, "tracking/privacy/anonymise.html", context)
    typed = request.POST.get("confirmation", "").strip()
    if "token" not in request.POST:
        if typed != case.code:
            context["error"] = _("Le numéro tapé ne correspond pas à ce dossier. Rien n'a "
                                 "été effacé.")
            return render(request, "tracking/privacy/anonymise.html", context, status=400)
        context.update(step=2, token=_signed(case, actor, typed))
        return render(request, "tracking/privacy/anonymise.html", context)
    first = _first_confirmation(request, case, actor)
    if first is None or request.POST.get("irreversible") != "1":
        context["error"] = _("Confirmation incomplète ou expirée : recommencez depuis le "
                             "début. Rien n'a été effacé.")
        return render(request, "tracking/privacy/anonymise.html", context, status=400)
    try:
        privacy.case_anonymise(actor=actor, case=case, confirmation=first,
                               confirmation_again=typed, ip_address=client_ip(request))
    except ApplicationError as error:
        context.update(step=2, token=request.POST.get("token", ""), error=error.message)
        return render(request, "tracking/privacy/anonymise.html", context, status=400)
    messages.success(request, _("Les données permettant de reconnaître ce jeune ont été "
                                "effacées. Le dossier reste comme donnée statistique "
                                "anonyme."))
    return redirect("case_detail", case_id=case.pk)


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
