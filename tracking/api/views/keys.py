"""The admins' page of API keys, `/parametres/api/` (association hosts): the keys with
their scopes, expiry and last use; a form to create one, whose value is shown once, on
the answer to that form (never stored, never shown again); revoking."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.accounts.security import reauthentication_check
from tracking.access import admin_of
from tracking.api import selectors, services
from tracking.api.models import ApiScope
from tracking.forms import as_int


def _page(request: HttpRequest, *, values: dict[str, object], error: ApplicationError | None,
          created: tuple[object, str] | None = None, status: int = 200) -> HttpResponse:
    response = render(request, "tracking/api_keys.html", {
        "keys": selectors.api_key_list(), "scopes": ApiScope.choices, "values": values,
        "error": error, "created": created,
        "host": request.get_host(),
    }, status=status)
    # The page that shows a new key must not stay in any cache.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def api_keys(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    values: dict[str, object] = {"name": "", "scopes": [], "expires_in_days": ""}
    if request.method == "POST":
        # Creating a key gives access to data: a recent sign-in or the password first.
        reauthentication_check(request)
        values = {"name": request.POST.get("name", "")[:200],
                  "scopes": request.POST.getlist("scopes")[:10],
                  "expires_in_days": request.POST.get("expires_in_days", "")[:6]}
        raw_days = str(values["expires_in_days"]).strip()
        days = as_int(raw_days) if raw_days else None
        try:
            if raw_days and days is None:
                raise ApplicationError(_("La durée de validité est un nombre de jours."),
                                       code=ErrorCode.VALUE_RANGE, field="expires_in_days")
            key, raw = services.api_key_create(
                actor=actor, name=str(values["name"]), scopes=values["scopes"],  # type: ignore[arg-type]
                expires_in_days=days)
        except ApplicationError as failed:
            return _page(request, values=values, error=failed, status=400)
        return _page(request, values={"name": "", "scopes": [], "expires_in_days": ""},
                     error=None, created=(key, raw))
    return _page(request, values=values, error=None)


@require_POST
def api_key_revoke(request: HttpRequest, key_id: int) -> HttpResponse:
    actor = admin_of(request)
    key = selectors.access_api_key(key_id)
    services.api_key_revoke(actor=actor, key=key)
    messages.success(request, _("Clé « %(name)s » révoquée : elle ne permet plus aucun appel.")
                     % {"name": key.name})
    return redirect("api_keys")
