"""Reads of API keys (tenant schema)."""

from __future__ import annotations

import hashlib
import hmac
import re

from django.db.models import QuerySet
from django.http import Http404

from tracking.api.models import ApiKey, IdempotentRequest

# rlr_<8 characters: the prefix>_<43 characters: 256 random bits, base64url>
KEY_FORMAT = re.compile(r"(rlr_[A-Za-z0-9]{8})_[A-Za-z0-9_\-]{43}")


def key_digest(raw: str) -> str:
    """What is stored of a key. A plain SHA-256 is enough: the key holds 256 random bits,
    so no dictionary or brute force can find it from its digest (a slow password hash
    would only slow every API call)."""
    return hashlib.sha256(raw.encode()).hexdigest()


def api_key_find(raw: str) -> ApiKey | None:
    """The key of this association whose value is `raw` (revoked or expired ones too: the
    caller tells them apart), or None. A key of another association is not in this schema."""
    match = KEY_FORMAT.fullmatch(raw)
    if match is None:
        return None
    key = ApiKey.objects.filter(prefix=match.group(1)).first()
    if key is None or not hmac.compare_digest(key.digest, key_digest(raw)):
        return None
    return key


def api_key_list() -> QuerySet[ApiKey]:
    return ApiKey.objects.select_related("created_by", "revoked_by").order_by(
        "revoked_at", "-created_at", "-id")


def access_api_key(key_id: object) -> ApiKey:
    """The key, or 404."""
    try:
        pk = int(str(key_id))
    except ValueError:
        raise Http404 from None
    key = ApiKey.objects.filter(pk=pk).first()
    if key is None:
        raise Http404
    return key


def idempotent_request_get(*, caller: str, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(caller=caller, key=key).first()
