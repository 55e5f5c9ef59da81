"""Pages of onboarding on the platform site (public host): sign-up, e-mail
verification, progress of the provisioning, accepting an invitation."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding import selectors
from onboarding.forms import AcceptForm, SignUpForm
from onboarding.models import DPA_VERSION, TERMS_VERSION, SignUp
from onboarding.services import signup
from onboarding.team import invitations
from relier_platform.errors import ApplicationError
from tenants.accounts import ratelimit
from tenants.tenancy.services import association_host
from tracking.access import client_ip

# The session key that proves this browser verified the sign-up's address.
VERIFIED_KEY = "onboarding_verified"


def _fail(form: Any, error: ApplicationError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _url_on(request: HttpRequest, host: str, path: str) -> str:
    """Same scheme and port as this request, on another host (as tenants.accounts.views.switch)."""
    port = request.get_port()
    default_port = "443" if request.is_secure() else "80"
    return f"{request.scheme}://{host}{'' if port == default_port else f':{port}'}{path}"


@require_http_methods(["GET", "POST"])
def signup_start(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Only accepted sign-ups count: a person correcting mistakes is never refused.
        who = ratelimit.address_key(request)
        if not ratelimit.take(ratelimit.SIGNUP, who):
            return ratelimit.refused(request)
        data = form.cleaned_data
        if data["website"]:
            # A robot filled the hidden field: answer as if all went well, create nothing.
            return render(request, "onboarding/signup_sent.html", {"signup": None})
        try:
            created = signup.signup_create(data=signup.SignUpData(
                association_name=data["association_name"], identifier=data["identifier"],
                slug=data["slug"], contact_name=data["contact_name"], email=data["email"],
                password=data["password"], accept_terms=data["accept_terms"],
                accept_dpa=data["accept_dpa"],
            ), ip_address=client_ip(request))
        except ApplicationError as error:
            ratelimit.give_back(ratelimit.SIGNUP, who)
            _fail(form, error)
        else:
            return redirect("signup_progress", public_id=created.public_id)
    return render(request, "onboarding/signup.html", {
        "form": form, "terms_version": TERMS_VERSION, "dpa_version": DPA_VERSION,
    }, status=400 if form.errors else 200)


def _progress_context(request: HttpRequest, item: SignUp) -> dict[str, Any]:
    return {
        "signup": item,
        "verified_here": request.session.get(VERIFIED_KEY) == str(item.public_id),
        "host": association_host(item.slug),
    }


@require_GET
def signup_progress(request: HttpRequest, public_id: UUID) -> HttpResponse:
    item = selectors.signup_get(public_id=public_id)
    return render(request, "onboarding/signup_progress.html",
                  _progress_context(request, item))


@require_GET
def signup_status(request: HttpRequest, public_id: UUID) -> JsonResponse:
    """What the progress page polls."""
    item = selectors.signup_get(public_id=public_id)
    return JsonResponse({"status": item.status, "label": str(item.get_status_display()),
                         "failure": item.failure if item.status == SignUp.Status.FAILED
                         else ""})


@require_POST
def signup_resend(request: HttpRequest, public_id: UUID) -> HttpResponse:
    who = ratelimit.address_key(request)
    if not ratelimit.take(ratelimit.SIGNUP_RESEND, who):
        return ratelimit.refused(request)
    try:
        signup.signup_resend(public_id=public_id)
    except ApplicationError as error:
        ratelimit.give_back(ratelimit.SIGNUP_RESEND, who)
        messages.error(request, error.message)
    else:
        messages.success(request, _("Un nouveau lien vient de vous être envoyé. L'ancien ne "
                                    "fonctionne plus."))
    return redirect("signup_progress", public_id=public_id)


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST verifies: mail scanners that open links must not use
    the single-use link in the person's place."""
    try:
        item = signup.signup_for_token(token=token)
        if request.method == "POST":
            item = signup.signup_verify(token=token)
            request.session[VERIFIED_KEY] = str(item.public_id)
            return redirect("signup_progress", public_id=item.public_id)
    except ApplicationError as error:
        return render(request, "onboarding/link_refused.html", {"error": error.message},
                      status=400)
    return render(request, "onboarding/signup_verify.html", {"signup": item})


@require_POST
def signup_enter(request: HttpRequest, public_id: UUID) -> HttpResponse:
    if request.session.get(VERIFIED_KEY) != str(public_id):
        item = selectors.signup_get(public_id=public_id)
        return redirect(_url_on(request, association_host(item.slug), "/accounts/login/"))
    try:
        host, path = signup.signup_enter(public_id=public_id)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("signup_progress", public_id=public_id)
    request.session.pop(VERIFIED_KEY, None)
    return redirect(_url_on(request, host, path))


@require_POST
def signup_retry(request: HttpRequest, public_id: UUID) -> HttpResponse:
    if request.session.get(VERIFIED_KEY) != str(public_id):
        messages.error(request, _("Ouvrez cette page depuis le navigateur où vous avez "
                                  "vérifié votre adresse."))
        return redirect("signup_progress", public_id=public_id)
    try:
        signup.signup_retry(public_id=public_id)
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("signup_progress", public_id=public_id)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Accept an invitation on the platform site, then enter the association's space
    through a one-time pass (sessions are per host)."""
    from tenants.accounts.handoff import handoff_create
    from tenants.models import User

    try:
        invitation = invitations.invitation_for_token(token=token)
    except ApplicationError as error:
        return render(request, "onboarding/link_refused.html", {"error": error.message},
                      status=400)
    user = request.user if request.user.is_authenticated else None
    has_account = user is None and User.objects.filter(
        email__iexact=invitation.email).exists()
    form = AcceptForm(request.POST if request.method == "POST" and user is None else None)
    refusal = None
    if request.method == "POST" and not has_account and (user is not None or form.is_valid()):
        try:
            invitation, member = invitations.invitation_accept(
                token=token, user=user,
                display_name=form.cleaned_data.get("display_name", "") if user is None
                else "",
                password=form.cleaned_data.get("password", "") if user is None else "",
            )
        except ApplicationError as failure:
            if user is None:
                _fail(form, failure)
            refusal = failure.message
        else:
            if user is None:
                login(request, member, backend="django.contrib.auth.backends.ModelBackend")
            path = handoff_create(actor=member, target=invitation.association)
            return redirect(_url_on(request, association_host(invitation.association.slug),
                                    path))
    return render(request, "onboarding/invitation_accept.html", {
        "invitation": invitation, "form": form, "has_account": has_account,
        "current": user, "error": refusal,
    }, status=400 if refusal else 200)
