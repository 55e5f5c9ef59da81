"""The subscription page of an association (admins only; 404 for everyone else) and the
Stripe webhook on the public host."""

from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from billing import gateway, selectors, services
from billing.plans import PAID_PLANS, PLANS
from relier_platform.errors import ApplicationError
from tenants.models import Association, User
from tracking.access import admin_of

log = logging.getLogger(__name__)


def _association(request: HttpRequest) -> Association:
    return request.tenant  # type: ignore[attr-defined]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_http_methods(["GET", "POST"])
def plan_page(request: HttpRequest) -> HttpResponse:
    admin_of(request)
    association, actor = _association(request), _user(request)
    if request.method == "POST":
        action, nonce = request.POST.get("action", ""), request.POST.get("nonce", "")
        try:
            if action == "checkout":
                url = services.checkout_start(
                    actor=actor, association=association, nonce=nonce,
                    plan_code=request.POST.get("plan", ""), base_url=_base_url(request))
                return HttpResponseRedirect(url)
            if action == "portal":
                return HttpResponseRedirect(services.portal_start(
                    actor=actor, association=association, nonce=nonce,
                    base_url=_base_url(request)))
            if action == "solidaire":
                services.subscription_plan_choose(actor=actor, association=association,
                                                  plan_code="solidaire")
                messages.success(request, _("Offre Solidaire enregistrée."))
            else:
                messages.error(request, _("Action inconnue."))
        except ApplicationError as error:
            messages.error(request, error.message)
        return redirect("billing_plan")
    if request.GET.get("paiement") == "ok":
        messages.success(request, _("Merci ! Le paiement est en cours de confirmation : "
                                    "la page se met à jour dès que Stripe le confirme."))
    subscription = selectors.subscription_get(association=association)
    return render(request, "billing/plan.html", {
        "subscription": subscription, "current": selectors.plan_of(association),
        "paid_plans": [PLANS[code] for code in PAID_PLANS], "solidaire": PLANS["solidaire"],
        "seats_used": selectors.seats_used(association),
        "members_billed": services.members_billed(association),
        "nonce": uuid.uuid4().hex,
        "has_customer": bool(subscription and subscription.payer_id),
    })


def _stub(request: HttpRequest, template: str) -> HttpResponse:
    admin_of(request)
    if not gateway.stub_mode():
        raise Http404
    plan = next((p for p in PLANS.values()
                 if p.paid and p.stripe_price_id == request.GET.get("plan_price")), None)
    return render(request, template, {"plan": plan,
                                      "quantity": request.GET.get("quantity", "")})


def stub_checkout(request: HttpRequest) -> HttpResponse:
    """Stands for Stripe Checkout when no Stripe key is configured (development, tests)."""
    return _stub(request, "billing/stub_checkout.html")


def stub_portal(request: HttpRequest) -> HttpResponse:
    return _stub(request, "billing/stub_portal.html")


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verified on the raw body; stored once; processed by a task after the response."""
    try:
        event = gateway.webhook_event_verify(
            payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", ""))
    except (gateway.SignatureError, ValueError) as error:
        log.warning("stripe webhook refused: %s", error)
        return HttpResponse(status=400)
    services.stripe_event_record(event=event)
    return HttpResponse(status=200)
