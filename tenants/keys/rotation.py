"""Re-encryption of every encrypted column with the current key (`rotate_field_keys`).
Schema: public (loops over the association schemas, the template and public).

One schema at a time, in one transaction: its rows are read in batches by primary key
(locked, so an edit made meanwhile is not overwritten), each value under an older key is
re-encrypted with the primary key (Fernet's `rotate` keeps the original timestamp) and
written back; a value already under the primary key is left alone, so a second run writes
nothing and an interrupted run resumes where it stopped (each schema finished is
committed). A value that no known key opens stops its schema: every such value is reported
(schema, table, row, column), the transaction is rolled back, nothing in that schema
changes; the other schemas go on.

Documents kept with cases (tracking.documents) are Fernet tokens behind the documents
storage, not columns: they are re-encrypted the same way, one at a time, in the same
schema transaction (`document_blobs_rotate`); an unreadable one is reported as table
`tracking_casedocument`, column `blob`, and stops its schema like an unreadable value. In
an S3-compatible store the rewritten objects are not rolled back with the schema — they
are under the primary key, which still opens them. Their key is the association's own,
derived from the platform key (tenants.keys.fields.association_keys): it rotates with it,
and a blob still under the platform key itself (written before) is moved to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from tenants.keys.fields import EncryptedTable, encrypted_tables, keyring, primary
from tenants.models import Association
from tenants.tenancy.services import audit
from tracking.documents.services import document_blobs_rotate

DEFAULT_BATCH = 500
MAX_REPORTED = 50  # unreadable values listed per schema (the count is always exact)


@dataclass(frozen=True)
class Unreadable:
    schema: str
    table: str
    row: object
    column: str


@dataclass
class SchemaRotation:
    schema: str
    rewritten: int = 0
    current: int = 0  # values already under the primary key
    unreadable: list[Unreadable] = field(default_factory=list)
    unreadable_count: int = 0
    committed: bool = False


class _RefusedError(Exception):
    """Raised inside a schema's transaction to roll it back."""


def rotation_schemas() -> list[str]:
    """Association schemas that exist (closed ones were dropped), the template new schemas
    are cloned from, and public when a shared app has encrypted columns."""
    schemas = list(Association.objects.exclude(schema_name=get_public_schema_name())
                   .exclude(state=Association.State.CLOSED)
                   .order_by("schema_name").values_list("schema_name", flat=True))
    template = getattr(settings, "TENANT_BASE_SCHEMA", "")
    if template and template not in schemas:
        schemas.append(template)
    if encrypted_tables(tenant=False):
        schemas.insert(0, get_public_schema_name())
    return [s for s in schemas if schema_exists(s)]


def _existing_tables(schema: str, tables: list[EncryptedTable]) -> list[EncryptedTable]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables "
                       "WHERE table_schema = %s", [schema])
        present = {row[0] for row in cursor.fetchall()}
    return [t for t in tables if t.table in present]


def _rotated(token: str, current: Fernet, ring: MultiFernet) -> str | None:
    """None when already under the primary key; the new token otherwise. Raises
    InvalidToken when no known key opens it."""
    raw = token.encode("utf-8")
    try:
        current.decrypt(raw)
        return None
    except InvalidToken:
        return ring.rotate(raw).decode("utf-8")


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _rotate_row(result: SchemaRotation, table: EncryptedTable, pk: object,
                values: list[object], keys: tuple[Fernet, MultiFernet]) -> list[object] | None:
    """The row's new values, or None when none changes; unreadable values are counted."""
    new_values, changed = list(values), False
    for i, value in enumerate(values):
        if value is None or value == "":
            continue
        try:
            token = _rotated(str(value), *keys)
        except InvalidToken:
            result.unreadable_count += 1
            if len(result.unreadable) < MAX_REPORTED:
                result.unreadable.append(Unreadable(result.schema, table.table, pk,
                                                    table.columns[i]))
            continue
        if token is None:
            result.current += 1
        else:
            new_values[i], changed = token, True
            result.rewritten += 1
    return new_values if changed else None


def _statements(table: EncryptedTable) -> tuple[str, str, str]:
    """First batch, next batches (keyset on the primary key, rows locked), update.
    Identifiers come from model metadata and are quoted."""
    pk = _quote(table.pk)
    columns = ", ".join(_quote(c) for c in table.columns)
    head = f"SELECT {pk}, {columns} FROM {_quote(table.table)}"  # noqa: S608 (quoted identifiers)
    tail = f"ORDER BY {pk} LIMIT %s FOR UPDATE"
    assignments = ", ".join(f"{_quote(c)} = %s" for c in table.columns)
    update = f"UPDATE {_quote(table.table)} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    return f"{head} {tail}", f"{head} WHERE {pk} > %s {tail}", update


def _rotate_table(result: SchemaRotation, table: EncryptedTable, *, batch: int,
                  write: bool) -> None:
    keys = (primary(), keyring())
    first, following, update = _statements(table)
    last: Any = None
    with connection.cursor() as cursor:
        while True:
            if last is None:
                cursor.execute(first, [batch])
            else:
                cursor.execute(following, [last, batch])
            rows = cursor.fetchall()
            if not rows:
                return
            changes = []
            for pk, *values in rows:
                new_values = _rotate_row(result, table, pk, values, keys)
                if new_values is not None:
                    changes.append([*new_values, pk])
            # Once a value is unreadable the schema will be rolled back: stop writing.
            if write and changes and not result.unreadable_count:
                cursor.executemany(update, changes)
            last = rows[-1][0]


def _has_documents(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_name = 'tracking_casedocument'", [schema])
        return cursor.fetchone() is not None


def _rotate_documents(result: SchemaRotation, *, write: bool) -> None:
    blobs = document_blobs_rotate(write=write and not result.unreadable_count)
    result.rewritten += blobs.rewritten
    result.current += blobs.current
    for pk in blobs.unreadable or []:
        result.unreadable_count += 1
        if len(result.unreadable) < MAX_REPORTED:
            result.unreadable.append(Unreadable(result.schema, "tracking_casedocument", pk,
                                                "blob"))


def rotate_schema(schema: str, *, batch: int = DEFAULT_BATCH,
                  write: bool = True) -> SchemaRotation:
    """Re-encrypt one schema's values, all or nothing (see the module's docstring)."""
    result = SchemaRotation(schema=schema)
    tenant = schema != get_public_schema_name()
    try:
        with schema_context(schema), transaction.atomic():
            existing = _existing_tables(schema, encrypted_tables(tenant=tenant))
            for table in existing:
                _rotate_table(result, table, batch=batch, write=write)
            if tenant and _has_documents(schema):
                _rotate_documents(result, write=write)
            if result.unreadable_count or not write:
                raise _RefusedError
    except _RefusedError:
        return result
    result.committed = True
    if result.rewritten:
        association = Association.objects.filter(schema_name=schema).first()
        audit("keys.rotated", association=association, schema=schema,
              rewritten=result.rewritten)
    return result


def rotate_all(schemas: Iterable[str], *, batch: int = DEFAULT_BATCH,
               write: bool = True) -> list[SchemaRotation]:
    return [rotate_schema(schema, batch=batch, write=write) for schema in schemas]
