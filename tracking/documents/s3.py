"""The S3-compatible storage of documents (django-storages), imported only when
settings.STORAGES["documents"] names it. Schema: tenant (keys under the current schema)."""

from __future__ import annotations

from storages.backends.s3 import S3Storage

from tracking.documents.storage import tenant_schema


class SchemaS3Storage(S3Storage):
    """An S3-compatible bucket; every object key under the current association's schema
    (`a_acme/documents/<random>`), whatever prefix is configured."""

    transactional = False

    @property
    def location(self) -> str:
        return f"{tenant_schema()}/"

    @location.setter
    def location(self, value: str) -> None:
        """Set by django-storages from its settings: ignored, the schema is the prefix."""
