"""Rate limits on the public forms and the invitations, counted in the Django cache (Redis).
Schema: none of its own (counters live in the cache, never in a table).

A fixed window per (limit, schema, who): the first hit creates the counter with the window
as its lifetime, the next ones increment it atomically (Redis INCR). The count is of what
was accepted: a refusal (over the limit) is not counted, and a form then refused for its
content gives its unit back. Every key names the
schema it was counted in, so one association's visitors never use up another's allowance
(the cache's KEY_FUNCTION adds the schema too; the key does not rely on it).

Refusals answer 429 with `429.html`, a French page (allauth's own limits use it too); the
referral form's refusal gives the phone numbers to call, so nobody is left without help.
"""

from __future__ import annotations

import contextlib
import ipaddress
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from relier_platform.tenancy import current_schema
from tenants.lockout import client_ip


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # allowed hits per window
    window: int  # seconds


# Public sign-up of an association (platform host): each accepted form writes a sign-up and
# sends an e-mail.
SIGNUP = Limit("signup", count=10, window=60 * 60)
SIGNUP_RESEND = Limit("signup-resend", count=5, window=60 * 60)
# Invitations (and resends) by e-mail from the team page, per admin and per address.
INVITE_PER_USER = Limit("invite-user", count=30, window=60 * 60)
INVITE_PER_IP = Limit("invite-ip", count=60, window=60 * 60)
# The public referral form: generous enough for a school sharing one address, and the
# refusal page gives 3018 / 119.
REFERRAL = Limit("referral", count=10, window=60 * 60)


def address_key(request: HttpRequest) -> str:
    """The client's address as a counter key: an IPv6 client counts by its /64 (one
    subscriber usually holds a whole /64)."""
    address = client_ip(request)
    if address is None:
        return "ip:unknown"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return "ip:" + str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return f"ip:{parsed}"


def cache_key(limit: Limit, who: str) -> str:
    return f"ratelimit:{limit.name}:{current_schema()}:{who}"


def take(limit: Limit, who: str) -> bool:
    """Take one from the allowance; False (and nothing taken) when it is used up."""
    key = cache_key(limit, who)
    if cache.add(key, 1, limit.window):
        return True
    try:
        if int(cache.incr(key)) <= limit.count:
            return True
        cache.decr(key)  # a refusal is not counted: the allowance is what was accepted
        return False
    except ValueError:  # the window ended between add() and incr(): a new window
        cache.add(key, 1, limit.window)
        return True


def give_back(limit: Limit, who: str) -> None:
    """Return what `take` took, when the form was then refused for its content (nothing
    written): a person correcting mistakes never uses up the allowance."""
    with contextlib.suppress(ValueError):  # the window has ended meanwhile
        cache.decr(cache_key(limit, who))


def take_all(checks: list[tuple[Limit, str]]) -> bool:
    """Take one from each allowance, or from none of them."""
    for done, (limit, who) in enumerate(checks):
        if not take(limit, who):
            for taken, taken_who in checks[:done]:
                give_back(taken, taken_who)
            return False
    return True


def give_back_all(checks: list[tuple[Limit, str]]) -> None:
    for limit, who in checks:
        give_back(limit, who)


def refused(request: HttpRequest, *, referral: bool = False) -> HttpResponse:
    """The 429 page. `referral`: the person may be a young person in danger."""
    return render(request, "429.html", {"referral": referral}, status=429)
