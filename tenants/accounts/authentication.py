"""Who the request's session belongs to: Django's AuthenticationMiddleware and
`django.contrib.auth.get_user`, with the account read by SQL compiled once per connection
(tenants.accounts.selectors.user_get_every_request) when the session's backend reads it the
way Django's ModelBackend does (ModelBackend itself, allauth's backend). Every check is
Django's: the backend must still be configured, the account active
(`user_can_authenticate`), the session's password hash verified (with the fallback keys,
cycling the session), the session flushed otherwise. Schema: public (accounts)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, load_backend
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.contrib.auth.middleware import auser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from tenants.accounts.selectors import user_get_every_request


def _backend_user(backend: Any, user_id: Any) -> Any:
    if type(backend).get_user is ModelBackend.get_user:
        user = user_get_every_request(user_id=user_id)
        return user if user is not None and backend.user_can_authenticate(user) else None
    return backend.get_user(user_id)


def session_user(request: HttpRequest) -> Any:
    """`django.contrib.auth.get_user`, step for step, the account read as above."""
    user = None
    try:
        user_id = auth._get_user_session_key(request)  # type: ignore[attr-defined]
        backend_path = request.session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user = _backend_user(load_backend(backend_path), user_id)
            if hasattr(user, "get_session_auth_hash"):
                user = _verified(request, user)
    return user or AnonymousUser()


def _verified(request: HttpRequest, user: Any) -> Any:
    session_hash = request.session.get(HASH_SESSION_KEY)
    if not session_hash:
        verified = False
    else:
        session_auth_hash = user.get_session_auth_hash()
        verified = constant_time_compare(session_hash, session_auth_hash)
    if verified:
        return user
    # Not with the current secret: try the fallback secrets, as Django does.
    if session_hash and any(constant_time_compare(session_hash, fallback)
                            for fallback in user.get_session_auth_fallback_hash()):
        request.session.cycle_key()
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        return user
    request.session.flush()
    return None


def _cached_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        request._cached_user = session_user(request)  # type: ignore[attr-defined]
    return request._cached_user  # type: ignore[attr-defined]


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with `session_user` in place of `auth.get_user` (same `_cached_user`)."""

    def process_request(self, request: HttpRequest) -> None:
        if not hasattr(request, "session"):
            super().process_request(request)  # Django's error: sessions are missing
        request.user = SimpleLazyObject(lambda: _cached_user(request))  # type: ignore[assignment]
        request.auser = partial(auser, request)
