"""Rate limits on the public forms and the invitations, counted in PostgreSQL. Schema:
public (RateCounter).

A fixed window per (limit, schema, who): the first hit opens the window, the next ones
increment it in one atomic statement (INSERT … ON CONFLICT … RETURNING), so concurrent
requests never both pass the last unit. The count is of what was accepted: a refusal (over
the limit) is not counted, and a form then refused for its content gives its unit back.
Every key names the schema it was counted in, so one association's visitors never use up
another's allowance; the key is stored as an HMAC (no address in clear), and expired
windows are purged every hour (`ratelimit_purge`).

Counted in the database rather than in Redis so that they still hold while Redis is down
(the cache then keeps nothing, tests/platform/test_reliability.py); a form submission
costs one statement, and these forms are rare.

Refusals answer 429 with `429.html`, a French page (allauth's own limits use it too); the
referral form's refusal gives the phone numbers to call, so nobody is left without help.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from relier_platform.tenancy import current_schema
from tenants.accounts.lockout import client_ip
from tenants.models import RateCounter


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


def counter_key(limit: Limit, who: str) -> str:
    """The counter's key: an HMAC of the limit, the current schema and who is counted."""
    name = f"ratelimit:{limit.name}:{current_schema()}:{who}"
    return hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).hexdigest()


_TAKE = """
INSERT INTO tenants_ratecounter AS c (key, count, expires_at) VALUES (%s, 1, %s)
ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN c.expires_at <= %s THEN 1 ELSE c.count + 1 END,
    expires_at = CASE WHEN c.expires_at <= %s THEN EXCLUDED.expires_at ELSE c.expires_at END
RETURNING count
"""


def take(limit: Limit, who: str) -> bool:
    """Take one from the allowance; False (and nothing taken) when it is used up."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [counter_key(limit, who), now + timedelta(seconds=limit.window),
                               now, now])
        (count,) = cursor.fetchone()
    if count <= limit.count:
        return True
    give_back(limit, who)  # a refusal is not counted: the allowance is what was accepted
    return False


def give_back(limit: Limit, who: str) -> None:
    """Return what `take` took, when the form was then refused for its content (nothing
    written): a person correcting mistakes never uses up the allowance."""
    RateCounter.objects.filter(key=counter_key(limit, who), count__gt=0,
                               expires_at__gt=timezone.now()).update(count=F("count") - 1)


def ratelimit_purge() -> int:
    """Remove the windows that have ended (hourly, from beat). Returns how many."""
    deleted, _detail = RateCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


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
