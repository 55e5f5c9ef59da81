"""A second sign-in factor (TOTP, with recovery codes: django-allauth's MFA) is offered to
everyone and required of the people who can reach the most: an association's admins and
psychologists (clinical notes), and the platform's operators (the Django admin).

Who has a TOTP gives a code at every sign-in (allauth's login stage). Who is required to
have one and does not is sent to set one up, on every page of that host but the few below,
until it is done. Schema: public (authenticators live with the accounts).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from relier_platform.problems import is_api, middleware_problem
from tenants.accounts.security import HAS_TOTP_SESSION_KEY
from tenants.models import Role

# Roles whose members must have a second factor in the association where they hold them.
MFA_REQUIRED_ROLES = frozenset({Role.ADMIN.value, Role.PSYCHOLOGIST.value})
# What a person who still has to set up a second factor may reach: setting it up (and
# re-authenticating for it, verifying their address if allauth asks), signing out, and what
# is open to everyone anyway — the referral form, the public drop-in booking, Question Psy's
# form and answers, health checks, static files, the language.
SETUP_OPEN_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/accounts/email/",
    "/accounts/confirm-email/",
    "/static/",
    "/i18n/",
    "/healthz",
    "/readyz",
    "/signaler",
    "/rendez-vous",
    "/question-psy/",
    # Leaving for another association (where the role may not require it) reads nothing here.
    "/changer/",
    "/passage/",
)


def second_factor_required(request: HttpRequest) -> bool:
    """Operators everywhere; admins and psychologists in the association of this host."""
    user: Any = request.user
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    membership = getattr(request, "membership", None)
    return membership is not None and membership.role in MFA_REQUIRED_ROLES


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


class SecondFactorRequiredMiddleware:
    """After MembershipMiddleware (the role here is known). The "has a TOTP" fact is kept in
    the session once true, so an ordinary request costs no query; tenants/accounts/security.py ends
    or updates every session of someone whose factors change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (request.path.startswith(SETUP_OPEN_PREFIXES)
                or not second_factor_required(request)
                or request.session.get(HAS_TOTP_SESSION_KEY)):
            return self.get_response(request)
        if has_totp(request.user):
            request.session[HAS_TOTP_SESSION_KEY] = True
            return self.get_response(request)
        return _to_setup(request)


def _to_setup(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return middleware_problem(request, status_code=403, code="second_factor_required",
                                  detail=_(
            "Votre rôle demande une application d'authentification : activez-la en vous "
            "connectant au site avant d'utiliser l'API avec votre session."))
    setup = reverse("mfa_activate_totp")
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(setup)
    messages.warning(request, _(
        "Votre rôle donne accès à des données sensibles : protégez votre compte par une "
        "application d'authentification (un code à chaque connexion) avant de continuer."))
    return redirect(setup)
