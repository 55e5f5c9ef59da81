"""The receiving association's key for hand-over summaries. Schema: none (settings only).

Encrypted columns (tracking.columns) use one key for the whole platform. A hand-over
summary crosses the public schema, where every association's pages run queries: it is
sealed instead with a key of the receiving association alone, derived (HKDF-SHA256) from
each platform key of tenants.keys.fields and the association's id and schema name. Code
running for another association — a bug reading the wrong row, a copy of the public
table — holds a token that its own key does not open. The sender seals with the
receiver's key and cannot open it afterwards (its pages never try).

A summary lives 30 days at most (tenants.handovers.selectors.EXPIRY_DAYS), so it is not
re-encrypted by key rotation (tenants.keys.rotation): while SECRET_KEY_FALLBACKS still
lists the previous secret, a summary sealed before the rotation opens.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tenants.keys.fields import derived_keys
from tenants.models import Association

__all__ = ["InvalidToken", "summary_open", "summary_seal"]

_SALT = b"relier-handover-summary-v1"


@lru_cache(maxsize=256)
def _derive(platform_key: bytes, association_id: int, schema_name: str) -> bytes:
    raw = base64.urlsafe_b64decode(platform_key)
    info = f"handover:{association_id}:{schema_name}".encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(raw)
    return base64.urlsafe_b64encode(key)


def _keys(association: Association) -> list[Fernet]:
    return [Fernet(_derive(key, int(association.pk), association.schema_name))
            for key in derived_keys()]


def summary_seal(receiver: Association, content: dict[str, Any]) -> str:
    """`content` as a token only `receiver`'s key opens."""
    data = json.dumps(content, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return _keys(receiver)[0].encrypt(data).decode("ascii")


def summary_open(receiver: Association, token: str) -> dict[str, Any]:
    """The content sealed for `receiver`; InvalidToken for any other association's key."""
    data = MultiFernet(_keys(receiver)).decrypt(token.encode("ascii"))
    loaded = json.loads(data.decode("utf-8"))
    if not isinstance(loaded, dict):
        raise InvalidToken
    return loaded
