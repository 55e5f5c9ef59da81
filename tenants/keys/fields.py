"""The keys of the encrypted fields (django-fernet-encrypted-fields) and where encrypted
values are stored. Schema: none (reads settings and model metadata only).

The library derives one Fernet key per (secret, salt) pair — `SECRET_KEY` then each of
`SECRET_KEY_FALLBACKS`, times each of `SALT_KEY` — with PBKDF2, encrypts with the first and
decrypts with any. Its fields cache their keys for the life of the process and, when no key
fits, silently return the stored text as if it were the value: code that must know whether
a value is readable (key rotation, the offboarding export) derives the keys itself, here,
from the settings as they are at the call.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.apps import apps
from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin

# The library's own derivation parameters (encrypted_fields.fields.EncryptedFieldMixin.keys).
KDF_ITERATIONS = 100_000


@lru_cache(maxsize=32)
def _derive(secret: str, salt: str) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode("utf-8"),
                     iterations=KDF_ITERATIONS)
    return base64.urlsafe_b64encode(kdf.derive(secret.encode("utf-8")))


def _salts() -> list[str]:
    salts = settings.SALT_KEY
    return list(salts) if isinstance(salts, list | tuple) else [str(salts)]


def derived_keys() -> list[bytes]:
    """Every key the settings allow, the one that encrypts first (the library's order)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [_derive(secret, salt) for secret in secrets for salt in _salts()]


def primary() -> Fernet:
    """The key new values are encrypted with: SECRET_KEY with the first salt."""
    return Fernet(derived_keys()[0])


def keyring() -> MultiFernet:
    """Decrypts with any known key; `rotate` re-encrypts with the primary one."""
    return MultiFernet([Fernet(key) for key in derived_keys()])


# --- Keys of one association --------------------------------------------------------------
#
# What must open only in the association it belongs to (a document's bytes, which may sit
# in a shared object store) is encrypted with a key of that association alone: derived
# (HKDF-SHA256) from each platform key above, the purpose and the association's schema
# name (a restored association keeps its schema: tenants.offboarding.backup). A token of
# one association does not open with another's key nor with the platform's. Rotating the
# platform keys (tenants.keys.rotation) rotates every association's keys with them.

_ASSOCIATION_SALT = b"relier-association-key-v1"


@lru_cache(maxsize=1024)
def _association_key(platform_key: bytes, purpose: str, schema: str) -> bytes:
    raw = base64.urlsafe_b64decode(platform_key)
    info = f"{purpose}:{schema}".encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_ASSOCIATION_SALT,
                   info=info).derive(raw)
    return base64.urlsafe_b64encode(derived)


def association_keys(purpose: str, schema: str) -> list[bytes]:
    """The association's keys for `purpose`, in the order of derived_keys()."""
    if not schema or schema == "public":
        raise ValueError("an association's key needs its schema")
    return [_association_key(key, purpose, schema) for key in derived_keys()]


def association_primary(purpose: str, schema: str) -> Fernet:
    """The key the association's new values for `purpose` are encrypted with."""
    return Fernet(association_keys(purpose, schema)[0])


def association_keyring(purpose: str, schema: str) -> MultiFernet:
    """Opens with any of the association's keys for `purpose`; `rotate` re-encrypts with
    its primary one."""
    return MultiFernet([Fernet(key) for key in association_keys(purpose, schema)])


def forget_field_keys() -> None:
    """Drop the keys the fields cached (after the settings changed in this process)."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedFieldMixin):
                field.__dict__.pop("keys", None)
                field.__dict__.pop("f", None)


@dataclass(frozen=True)
class EncryptedTable:
    """A table holding encrypted columns: its name, primary-key column and those columns."""

    app_label: str
    table: str
    pk: str
    columns: tuple[str, ...]


def _app_in(app_label: str, app_names: list[str]) -> bool:
    config = apps.get_app_config(app_label)
    return config.name in app_names


def encrypted_tables(*, tenant: bool) -> list[EncryptedTable]:
    """Tables of the tenant apps (tenant=True) or of the shared apps with encrypted columns.
    Found from the models, so a model added later (a history table...) is included."""
    app_names = settings.TENANT_APPS if tenant else settings.SHARED_APPS
    found: dict[str, EncryptedTable] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or not _app_in(meta.app_label, app_names):
            continue
        columns = tuple(f.column for f in meta.concrete_fields
                        if isinstance(f, EncryptedFieldMixin))
        if columns and isinstance(meta.pk, models.Field) and meta.pk.column:
            found[meta.db_table] = EncryptedTable(meta.app_label, meta.db_table,
                                                  meta.pk.column, columns)
    return [found[name] for name in sorted(found)]
