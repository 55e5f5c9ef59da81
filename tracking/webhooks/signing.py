"""The signature of a webhook delivery, as Stripe signs its own: the header
`Relier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.

Pure functions (no Django, no database): a receiver written in Python may copy
`verify_signature` as it is (the README shows it)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Relier-Signature"
EVENT_HEADER = "Relier-Event"
DELIVERY_HEADER = "Relier-Delivery"
DEFAULT_TOLERANCE = 300  # seconds between the signature and its check, either way


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The value of the `Relier-Signature` header for `body` sent now (or at `timestamp`)."""
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_digest(secret, t, body)}"


def verify_signature(secret: str, header: str, body: bytes,
                     tolerance: int = DEFAULT_TOLERANCE, *, now: float | None = None) -> bool:
    """Whether `header` (the `Relier-Signature` received) signs `body` (the raw bytes of
    the request, before any JSON parsing) with `secret`, at a time within `tolerance`
    seconds of now (an old request replayed is refused). Several `v1=` values may be
    given (none are today): one that matches is enough."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _sep, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
