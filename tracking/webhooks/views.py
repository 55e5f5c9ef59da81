"""The admins' webhook pages, `/parametres/webhooks/` (association hosts): the endpoints
with their events, state and failures; a form to add one, whose signing secret is shown
once, on the answer to that form (never shown again); disabling, enabling again, a test
ping; and per endpoint its deliveries. Only the association's admins (404 for anyone
else), every change in the audit log (the services write it)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from tenants.accounts.security import reauthentication_check
from tracking.access import admin_of
from tracking.models import WebhookEndpoint, WebhookEvent
from tracking.webhooks import selectors, services

DELIVERIES_PER_PAGE = 50


def _page(request: HttpRequest, *, values: dict[str, object], error: ApplicationError | None,
          created: tuple[WebhookEndpoint, str] | None = None, status: int = 200) -> HttpResponse:
    response = render(request, "tracking/webhooks.html", {
        "endpoints": selectors.webhook_endpoint_list(), "events": WebhookEvent.choices,
        "values": values, "error": error, "created": created,
    }, status=status)
    # The page that shows a new secret must not stay in any cache.
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    values: dict[str, object] = {"url": "", "description": "", "events": []}
    if request.method == "POST":
        # An endpoint sends the association's events out: a recent sign-in first.
        reauthentication_check(request)
        values = {"url": request.POST.get("url", "")[:600],
                  "description": request.POST.get("description", "")[:200],
                  "events": request.POST.getlist("events")[:10]}
        try:
            endpoint, secret = services.webhook_endpoint_create(
                actor=actor, url=str(values["url"]), events=values["events"],  # type: ignore[arg-type]
                description=str(values["description"]))
        except ApplicationError as failed:
            return _page(request, values=values, error=failed, status=400)
        return _page(request, values={"url": "", "description": "", "events": []},
                     error=None, created=(endpoint, secret))
    return _page(request, values=values, error=None)


@require_POST
def webhook_disable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor = admin_of(request)
    endpoint = selectors.access_webhook_endpoint(endpoint_id)
    services.webhook_endpoint_disable(actor=actor, endpoint=endpoint,
                                      reason=_("Désactivé par un administrateur."))
    messages.success(request, _("Point de réception désactivé : plus rien ne lui est envoyé."))
    return redirect("webhooks")


@require_POST
def webhook_enable(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor = admin_of(request)
    endpoint = selectors.access_webhook_endpoint(endpoint_id)
    try:
        services.webhook_endpoint_enable(actor=actor, endpoint=endpoint)
    except ApplicationError as failed:
        messages.error(request, failed.message)
    else:
        messages.success(request, _("Point de réception réactivé."))
    return redirect("webhooks")


@require_POST
def webhook_ping(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    actor = admin_of(request)
    endpoint = selectors.access_webhook_endpoint(endpoint_id)
    try:
        services.webhook_ping(actor=actor, endpoint=endpoint)
    except ApplicationError as failed:
        messages.error(request, failed.message)
        return redirect("webhooks")
    messages.success(request, _("Test envoyé : son résultat apparaît dans les livraisons."))
    return redirect("webhook_deliveries", endpoint_id=endpoint.pk)


@require_GET
def webhook_deliveries(request: HttpRequest, endpoint_id: int) -> HttpResponse:
    admin_of(request)
    endpoint = selectors.access_webhook_endpoint(endpoint_id)
    page = Paginator(selectors.webhook_delivery_list(endpoint=endpoint),
                     DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "tracking/webhook_deliveries.html",
                  {"endpoint": endpoint, "page": page})
