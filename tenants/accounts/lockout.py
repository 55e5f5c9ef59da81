"""Lockout after repeated sign-in failures (django-axes), fitted to allauth's e-mail sign-in.
Schema: public (axes' tables are in SHARED_APPS; a sign-in on any host counts in one place).

Why the pieces below, rather than axes' defaults:

* allauth's login form posts `login`, and calls ``authenticate(email=..., password=...)``;
  axes' default reads `username` and would count every failure under "no account". The
  account is read from the credentials (``email``, or ``username`` when axes itself builds
  them after a success), else from the posted ``login``, and normalised (trimmed,
  lower-cased) like the stored e-mail, so `Admin@X` and `admin@x ` are one account.
* Two limits: an account is locked after ``AXES_FAILURE_LIMIT`` failures, an address
  (``RELIER_LOCKOUT_IP_LIMIT``, higher: an office shares one address) after more failures
  on any accounts. axes compares one number with one limit: ``get_failures`` reports the
  address's count brought to the account's scale.
* A successful sign-in forgets that account's failures only: axes would also forget every
  failure of the address, so an attacker with one valid account could reset the address's
  count between guesses on other accounts.
* allauth's own `login_failed` rate limit is off (settings): two counters that disagree on
  when someone is locked were the inconsistency of the first attempt.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_TEMPLATE = "account/lockout.html"


def normalise_email(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value or None


def username_of(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the account a sign-in attempt is about."""
    for key in ("email", "username", "login"):
        found = normalise_email((credentials or {}).get(key))
        if found:
            return found
    if request is not None and request.method == "POST":
        return normalise_email(request.POST.get("login"))
    return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or behind RELIER_TRUSTED_PROXY_COUNT proxies the
    address the outermost trusted proxy saw (X-Forwarded-For, counted from the right, as
    allauth does). Anything that does not parse as an address is ignored."""
    candidate: str | None = None
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        if len(hops) >= proxies:
            candidate = hops[-proxies]
    if candidate is None:
        candidate = request.META.get("REMOTE_ADDR")
    try:
        return str(ipaddress.ip_address((candidate or "").strip()))
    except ValueError:
        return None


def _failures(attempts: QuerySet[AccessAttempt]) -> int:
    return int(attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0)


class LockoutHandler(AxesDatabaseHandler):
    """AXES_HANDLER, with AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        by_account, by_address = self.get_user_attempts(request, credentials)
        account_limit = settings.AXES_FAILURE_LIMIT
        # Reaching RELIER_LOCKOUT_IP_LIMIT on the address counts as reaching the account
        # limit: axes compares this one number with AXES_FAILURE_LIMIT.
        address = _failures(by_address) - (settings.RELIER_LOCKOUT_IP_LIMIT - account_limit)
        return max(_failures(by_account), address, 0)

    def reset_user_attempts(self, request: Any, credentials: dict[str, Any] | None = None
                            ) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(count)


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request) or timedelta(0)
    return max(1, round(cool_off.total_seconds() / 60))


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict[str, Any] | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a page in the person's language, saying how long to wait and
    that the right password will not work before then (it is not even checked)."""
    return render(request, LOCKOUT_TEMPLATE, {"minutes": lockout_minutes(request)},
                  status=settings.AXES_HTTP_RESPONSE_CODE)


def unlock(*, email: str | None = None, ip_address: str | None = None) -> int:
    """Forget the failures of an account and/or an address (operators: `account_unlock`,
    or the "Access attempts" admin). Returns how many attempt rows were removed."""
    attempts = AccessAttempt.objects.none()
    if email:
        attempts = attempts | AccessAttempt.objects.filter(username=normalise_email(email))
    if ip_address:
        attempts = attempts | AccessAttempt.objects.filter(ip_address=ip_address)
    count, _ = attempts.delete()
    return int(count)
