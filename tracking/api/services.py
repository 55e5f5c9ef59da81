"""Writes of API keys (tenant schema): create (the key is returned once, only its digest
kept), revoke (never delete), note the last use. Each change is in the audit log."""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking import validation
from tracking.api.models import ApiKey, ApiScope, IdempotentRequest
from tracking.api.selectors import key_digest
from tracking.audit.services import audit_record
from tracking.permissions import Actor

MAX_EXPIRY_DAYS = 730
# The last use is written at most this often per key: not one UPDATE per API call.
LAST_USE_PRECISION = timedelta(minutes=1)
_ALPHANUMERIC = string.ascii_letters + string.digits


def _new_key() -> tuple[str, str]:
    """(prefix, whole key): a recognisable `rlr_` start (secret scanners and people can tell
    what leaked), 8 characters naming the key, 256 random bits."""
    prefix = "rlr_" + "".join(secrets.choice(_ALPHANUMERIC) for _ in range(8))
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def scopes_clean(scopes: Iterable[str]) -> list[str]:
    """The scopes, each known, in a fixed order; at least one."""
    chosen = {str(s).strip() for s in scopes if str(s).strip()}
    unknown = sorted(chosen - set(ApiScope.values))
    if unknown:
        raise ApplicationError(
            _("Portée inconnue : %(scopes)s (portées possibles : %(known)s).")
            % {"scopes": ", ".join(unknown), "known": ", ".join(ApiScope.values)},
            code=ErrorCode.SCOPE_INVALID, field="scopes")
    if not chosen:
        raise ApplicationError(_("Choisissez au moins une portée."),
                               code=ErrorCode.SCOPE_INVALID, field="scopes")
    return [s for s in ApiScope.values if s in chosen]


def _name_clean(name: str) -> str:
    name = validation.no_control_characters(str(name), field="name").strip()
    if not name:
        raise ApplicationError(_("Donnez un nom à la clé (à quoi elle sert)."),
                               code=ErrorCode.NAME_INVALID, field="name")
    validation.text_length(name, limit=80, field="name", label=_("Le nom"))
    return name


def api_key_create(*, actor: Actor | None, name: str, scopes: Iterable[str],
                   expires_in_days: int | None = None) -> tuple[ApiKey, str]:
    """A new key and its value, which is never shown again. `actor` None: an operator at
    the command line."""
    name = _name_clean(name)
    chosen = scopes_clean(scopes)
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise ApplicationError(
            _("La durée de validité va de 1 à %(max)s jours.") % {"max": MAX_EXPIRY_DAYS},
            code=ErrorCode.VALUE_RANGE, field="expires_in_days")
    prefix, raw = _new_key()
    now = timezone.now()
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name, prefix=prefix, digest=key_digest(raw), scopes=chosen,
            created_by_id=actor.id if actor else None, created_at=now,
            expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
        )
        audit_record(actor=actor, action="api_key.created", obj=key, prefix=prefix,
                     name=name, scopes=chosen,
                     expires_at=key.expires_at.isoformat() if key.expires_at else None)
    return key, raw


def api_key_revoke(*, actor: Actor | None, key: ApiKey) -> ApiKey:
    """Revoked at once (the next call with it gets 401); idempotent."""
    with transaction.atomic():
        locked = ApiKey.objects.select_for_update().get(pk=key.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by_id = actor.id if actor else None
            locked.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(actor=actor, action="api_key.revoked", obj=locked,
                         prefix=locked.prefix)
    return locked


def api_key_touch(*, key: ApiKey) -> None:
    """Note that the key was just used (shown to the admins), at most once a minute."""
    now = timezone.now()
    if key.last_used_at is not None and now - key.last_used_at < LAST_USE_PRECISION:
        return
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def idempotency_claim(*, caller: str, key: str,
                      fingerprint: str) -> tuple[IdempotentRequest, bool]:
    """The record of (caller, key): made now (True), or the one a first request made
    (False). Called inside the write's transaction: a second request sent at the same
    moment waits on the unique index until the first commits, then reads its record; if
    the first rolled back, the second makes the record and does the write itself."""
    return IdempotentRequest.objects.get_or_create(
        caller=caller, key=key, defaults={"fingerprint": fingerprint})


def idempotency_store(*, record: IdempotentRequest, status: int, body: object) -> None:
    """The answer of the first request, given again to the next ones."""
    record.status = status
    record.body = body
    record.save(update_fields=["status", "body"])


# An Idempotency-Key is remembered this long (as Stripe does): a retry comes within
# minutes, hours at most; older answers are purged every night, schema by schema.
IDEMPOTENCY_KEPT = timedelta(hours=24)


def idempotent_requests_purge(*, now: datetime | None = None) -> int:
    """Forget the answers older than IDEMPOTENCY_KEPT in this schema; how many went. They
    hold only a status and the answer's body (ids and dates), nothing of a young person
    that is not also in the case itself."""
    limit = (now or timezone.now()) - IDEMPOTENCY_KEPT
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=limit).delete()
    return deleted
