"""Single-use tokens sent by e-mail: only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets


def token_new() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    raw = secrets.token_urlsafe(32)
    return raw, token_hash(raw)


def token_hash(raw: str) -> str:
    return hashlib.sha256((raw or "").encode()).hexdigest()
