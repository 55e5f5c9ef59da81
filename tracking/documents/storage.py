"""Where the documents' encrypted bytes are kept, behind Django's storage API (the
`documents` alias of settings.STORAGES), and their encryption. Schema: tenant.

- `DatabaseStorage` (default): a table of the association's own schema
  (`tracking_documentblob`), written in the caller's transaction — a rolled-back upload
  leaves no blob, and an erasure's destruction commits with it.
- `SchemaS3Storage` (tracking/documents/s3.py): an S3-compatible store (django-storages),
  every object key under the current association's schema (`a_acme/documents/…`),
  configured by environment variables (deploy/env.example). Not transactional: the
  services delete a blob whose row was rolled back, and destroy blobs after their
  transaction commits.

Both only ever see Fernet tokens (AES-128-CBC with HMAC-SHA256: authenticated) made with the
association's own documents key (tenants.keys.fields.association_primary: derived from the
platform key and the schema), opened with any of its keys (documents_keyring) so that key
rotation (tenants.keys.rotation) can re-encrypt them. A blob copied into another
association's storage, or read with the platform's key, does not open. Blobs written
before the documents had their association's key (under the platform's key of the
encrypted columns) are still read, and `rotate_field_keys` re-encrypts them."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, storages
from django.db import connection
from django.utils.deconstruct import deconstructible
from django_tenants.utils import get_public_schema_name

from tenants.keys.fields import association_keys, association_primary, derived_keys
from tracking.documents.models import DocumentBlob

ALIAS = "documents"


class UnreadableBlobError(Exception):
    """No known key opens the stored bytes (or they were altered)."""


PURPOSE = "documents"


def documents_primary() -> Fernet:
    """The current association's key for new blobs."""
    return association_primary(PURPOSE, tenant_schema())


def documents_keyring() -> MultiFernet:
    """The current association's documents keys, then the platform's (blobs of before)."""
    keys = [*association_keys(PURPOSE, tenant_schema()), *derived_keys()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(data: bytes) -> bytes:
    return documents_primary().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return documents_keyring().decrypt(token)
    except InvalidToken:
        raise UnreadableBlobError from None


def documents_storage() -> Storage:
    return storages[ALIAS]


def is_transactional(storage: Storage) -> bool:
    return bool(getattr(storage, "transactional", False))


def tenant_schema() -> str:
    schema = str(getattr(connection, "schema_name", ""))
    if not schema or schema == get_public_schema_name():
        raise RuntimeError("documents are stored from an association's schema only")
    return schema


@deconstructible
class DatabaseStorage(Storage):
    """Blobs in the current association's schema. Saving a name again replaces it."""

    transactional = True

    def _open(self, name: str, mode: str = "rb") -> File:
        tenant_schema()
        content = DocumentBlob.objects.filter(name=name).values_list("content", flat=True)
        found = content.first()
        if found is None:
            raise FileNotFoundError(name)
        return ContentFile(bytes(found), name=name)

    def _save(self, name: str, content: File) -> str:
        tenant_schema()
        DocumentBlob.objects.update_or_create(name=name, defaults={"content": content.read()})
        return name

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return name  # names are random; saving again replaces (key rotation)

    def delete(self, name: str) -> None:
        tenant_schema()
        DocumentBlob.objects.filter(name=name).delete()

    def exists(self, name: str) -> bool:
        tenant_schema()
        return DocumentBlob.objects.filter(name=name).exists()

    def size(self, name: str) -> int:
        return len(self._open(name).read())

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        tenant_schema()
        prefix = path.rstrip("/") + "/" if path else ""
        names = DocumentBlob.objects.filter(name__startswith=prefix).values_list(
            "name", flat=True)
        return [], [n[len(prefix):] for n in names.order_by("name")]

    def url(self, name: str | None) -> str:
        raise NotImplementedError("documents are served by their download page only")
