"""Account security: idle and absolute session timeouts, sessions ended when a sign-in factor
changes, re-authentication before sensitive actions. (The second factor required of admins,
psychologists and operators is tenants/accounts/mfa.py.)

Schema: public (accounts, authenticators); sessions live in the schema of the host they were
opened on — public for the platform site, `a_<slug>` for an association — so ending someone's
sessions visits the public schema and the schema of every association they belong to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.decorators import reauthentication_required
from allauth.account.internal.flows.login import get_authentication_records
from allauth.account.internal.flows.reauthentication import is_reauthentication_required
from allauth.account.signals import password_changed, password_reset, password_set
from allauth.core import context
from allauth.core.exceptions import ReauthenticationRequired
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added, authenticator_reset
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from tenants.models import Membership, User

STARTED_SESSION_KEY = "relier_started_at"
SEEN_SESSION_KEY = "relier_seen_at"
# Set once this session's person is known to have a TOTP authenticator (tenants/accounts/mfa.py):
# ordinary requests then cost no query. Every change of factor ends the person's other
# sessions and updates this one, so the flag never outlives the authenticator.
HAS_TOTP_SESSION_KEY = "relier_has_totp"
# What proves who someone is, for re-authentication: their password, a TOTP or recovery code.
PROOF_METHODS = frozenset({"password", "mfa"})


# --- Session timeouts -----------------------------------------------------------------------


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


# --- Ending sessions --------------------------------------------------------------------------


def sessions_end(*, schema_name: str, user_id: int, keep: str | None = None) -> int:
    """Delete the person's sessions in one schema (sessions live there: a session opened on
    that host), but the one kept; returns how many were ended. A schema's live sessions are
    few (12-hour cookies, a small team): decoding them is cheap."""
    ended = 0
    with schema_context(schema_name):
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if (session.session_key != keep
                    and session.get_decoded().get("_auth_user_id") == str(user_id)):
                session.delete()
                ended += 1
    return ended


def sessions_end_everywhere(*, user_id: int, keep: str | None = None) -> int:
    """Delete the person's sessions on the platform site and on the host of every association
    they belong to (or belonged to), but the one kept."""
    schemas = [get_public_schema_name(), *Membership.objects.filter(user_id=user_id)
               .values_list("association__schema_name", flat=True).distinct()]
    return sum(sessions_end(schema_name=schema, user_id=user_id, keep=keep)
               for schema in schemas)


def _own_session(request: HttpRequest | None, user_id: int) -> Any:
    """The request's session if it is `user_id`'s own, else None."""
    user = getattr(request, "user", None)
    if user is None or user.pk != user_id:
        return None
    return getattr(request, "session", None)


def _factor_changed(request: HttpRequest | None, user_id: int, reason: str) -> None:
    """A sign-in factor of the person changed: every session of theirs ends at once, but the
    one making the change (if this request is theirs)."""
    from tenants.tenancy.services import audit

    session = _own_session(request, user_id)
    keep = session.session_key if session is not None else None
    ended = sessions_end_everywhere(user_id=user_id, keep=keep)
    audit("account.sessions_ended", actor=User.objects.filter(pk=user_id).first(),
          reason=reason, sessions=ended)


def _totp_flag(request: HttpRequest | None, user_id: int, *, present: bool) -> None:
    session = _own_session(request, user_id)
    if session is None:
        return
    if present:
        session[HAS_TOTP_SESSION_KEY] = True
    else:
        session.pop(HAS_TOTP_SESSION_KEY, None)


@receiver(authenticator_added)
def _on_authenticator_added(sender: Any, request: HttpRequest, user: Any,
                            authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        _totp_flag(request, user.pk, present=True)
    _factor_changed(request, user.pk, f"{authenticator.type}.added")


@receiver(authenticator_reset)
def _on_authenticator_reset(sender: Any, request: HttpRequest, user: Any,
                            authenticator: Authenticator, **kwargs: Any) -> None:
    _factor_changed(request, user.pk, f"{authenticator.type}.reset")


@receiver(post_delete, sender=Authenticator)
def _on_authenticator_deleted(sender: Any, instance: Authenticator, **kwargs: Any) -> None:
    """Every removal of a factor, from allauth's pages (which also send
    `authenticator_removed`) or elsewhere — an operator in the Django admin, for someone who
    lost their phone: no session may keep a stale "has a TOTP" flag. The request, when there
    is one, is allauth's (its middleware keeps it for the duration of every request)."""
    request = context.request
    if instance.type == Authenticator.Type.TOTP:
        _totp_flag(request, instance.user_id, present=False)
    _factor_changed(request, instance.user_id, f"{instance.type}.removed")


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def _on_password_changed(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    # Django already refuses sessions signed with the old password's hash on their next
    # request; deleting them says so in the audit log and leaves nothing behind.
    _factor_changed(request, user.pk, "password.changed")


# --- Re-authentication before sensitive actions ----------------------------------------------


def authenticated_recently(request: HttpRequest) -> bool:
    """Did the person prove who they are in this session — sign-in with their password (and
    second factor), or re-authentication — less than ACCOUNT_REAUTHENTICATION_TIMEOUT ago?

    allauth >= 65.20 counts only explicit re-authentications; tenants.accounts.adapters restores "a
    fresh sign-in counts too" through this function (allauth's adapter hook), so an export
    right after signing in does not ask for the password a second time."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    proofs = [record for record in get_authentication_records(request, user)
              if record.get("method") in PROOF_METHODS]
    return bool(proofs) and (
        time.time() - float(proofs[-1]["at"]) < account_settings.REAUTHENTICATION_TIMEOUT)


def sensitive_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a view that exports data or changes who may see it: unless the person proved
    who they are less than ACCOUNT_REAUTHENTICATION_TIMEOUT ago, allauth sends them to
    re-enter their password (or a TOTP code), then resumes the request — a GET by
    redirecting to it, a POST by replaying it. Nothing runs before that.

    Put it below the permission check (`@requires(...)`, `@login_required`), so that nobody
    is asked for a password to then be refused."""
    return reauthentication_required(view)


def reauthentication_check(request: HttpRequest) -> None:
    """The same check inside a view, for one branch of it (allauth's middleware turns the
    exception into the re-authentication page and resumes the request after)."""
    if request.user.is_anonymous or is_reauthentication_required(request, app=""):
        raise ReauthenticationRequired
