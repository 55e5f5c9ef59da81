"""Account security: multi-factor sign-in required for sensitive roles, sessions ended when
a factor changes, idle and absolute session timeouts. Schema: public (the authenticators);
sessions live in the schema of the host they were opened on.

The "has an active TOTP" fact is read once per session and kept in it (the key below), so
an ordinary request costs no query; adding or removing a factor updates the current
session and ends the person's other sessions on this host, so no stale fact survives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from tenants.models import Role

HAS_TOTP_SESSION_KEY = "relier_has_totp"
STARTED_SESSION_KEY = "relier_started_at"
SEEN_SESSION_KEY = "relier_seen_at"
# Roles that see clinical notes or manage the association: a second factor is required.
MFA_REQUIRED_ROLES = frozenset({Role.ADMIN.value, Role.PSYCHOLOGIST.value})
MFA_SETUP_PATH = "/accounts/2fa/totp/activate/"
# What a person who still has to set up a second factor may reach.
MFA_SETUP_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
)


def user_has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MfaRequiredMiddleware:
    """After MembershipMiddleware: an admin or psychologist of this association without an
    activated TOTP is sent to set one up, and reaches nothing else until done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            membership is None
            or membership.role not in MFA_REQUIRED_ROLES
            or request.session.get(HAS_TOTP_SESSION_KEY)
            or request.path.startswith(MFA_SETUP_PREFIXES)
        ):
            return self.get_response(request)
        if not user_has_totp(request.user):
            return redirect(MFA_SETUP_PATH)
        request.session[HAS_TOTP_SESSION_KEY] = True
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """After AuthenticationMiddleware: a session unused for SESSION_IDLE_TIMEOUT seconds,
    or older than SESSION_ABSOLUTE_TIMEOUT, is ended (the person signs in again)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get(STARTED_SESSION_KEY, now)
            seen = session.get(SEEN_SESSION_KEY, now)
            if (now - seen > settings.SESSION_IDLE_TIMEOUT
                    or now - started > settings.SESSION_ABSOLUTE_TIMEOUT):
                logout(request)
                return redirect(f"/accounts/login/?next={request.path}")
            # Written at most once a minute: not every request saves the session.
            if STARTED_SESSION_KEY not in session:
                session[STARTED_SESSION_KEY] = started
            if now - seen >= 60 or SEEN_SESSION_KEY not in session:
                session[SEEN_SESSION_KEY] = now
        return self.get_response(request)


@receiver(user_logged_in)
def _on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any,
                       **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_SESSION_KEY] = now
        request.session[SEEN_SESSION_KEY] = now


def sessions_end_others(*, user_id: int, keep: str | None) -> int:
    """Delete the person's sessions in the current schema but the one kept."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key != keep and session.get_decoded().get("_auth_user_id") == str(
            user_id
        ):
            session.delete()
            ended += 1
    return ended


@receiver(authenticator_added)
def _on_authenticator_added(sender: Any, request: HttpRequest, user: Any,
                            authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        request.session[HAS_TOTP_SESSION_KEY] = True
    request.session.cycle_key()
    sessions_end_others(user_id=user.pk, keep=request.session.session_key)


@receiver(authenticator_removed)
def _on_authenticator_removed(sender: Any, request: HttpRequest, user: Any,
                              authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        request.session.pop(HAS_TOTP_SESSION_KEY, None)
    request.session.cycle_key()
    sessions_end_others(user_id=user.pk, keep=request.session.session_key)
