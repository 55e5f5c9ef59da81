"""The full export of a closing association, in open formats. Schema: public (reads one
association's schema by its qualified table names).

A ZIP holding one CSV per table of the association's schema (UTF-8, a header line, one line
per row, ordered by the first column) and `manifest.json`: the association, its domains
and members (e-mails and roles, from tenants.backup), and for each table its file, columns,
row count and SHA-256. Encrypted columns are written decrypted (the key stays with the
platform); a value no known key opens stops the export. Text a spreadsheet would run as a
formula is prefixed with a quote (tracking.exports.neutralise), as in every export. Login
sessions are left out (secrets, not the association's data). For a restore, the
`pg_dump` of tenants.backup is made next to it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.db import connection, transaction
from django.utils import timezone

from tenants.backup import association_manifest
from tenants.fieldkeys import encrypted_tables, keyring
from tenants.models import Association
from tracking.exports import neutralise

EXPORT_FORMAT = 1
EXCLUDED_TABLES = {"django_session": "sessions de connexion (secrets, pas des données)"}
FETCH = 2000


class ExportError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TableExport:
    table: str
    file: str
    columns: list[str]
    encrypted_columns: list[str]
    rows: int
    sha256: str


def schema_tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_type = 'BASE TABLE' ORDER BY table_name", [schema])
        return [row[0] for row in cursor.fetchall()]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, Decimal | int | float):
        return str(value)
    return str(neutralise(str(value)))


def _decrypt(ring: MultiFernet, value: Any, where: str) -> str | None:
    if value is None or value == "":
        return value
    try:
        return ring.decrypt(str(value).encode("utf-8")).decode("utf-8")
    except InvalidToken:
        raise ExportError(f"Valeur chiffrée illisible ({where}) : export interrompu, "
                          "vérifiez les clés (DJANGO_SECRET_KEY_FALLBACKS).") from None


class _Hashing(io.RawIOBase):
    """Writes through to a ZIP entry and hashes what passes (no table is held in memory)."""

    def __init__(self, target: Any) -> None:
        self.target, self.digest = target, hashlib.sha256()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.target.write(data)
        self.digest.update(data)
        return len(data)


def _table_csv(archive: zipfile.ZipFile, name: str, schema: str, table: str, *,
               encrypted: tuple[str, ...], ring: MultiFernet) -> tuple[str, list[str], int]:
    """Stream one table into the entry `name`; its SHA-256, columns and row count."""
    quote = connection.ops.quote_name
    rows = 0
    # A server-side cursor: a table of any size streams through in chunks.
    with (transaction.atomic(), connection.chunked_cursor() as cursor,
          archive.open(name, "w", force_zip64=True) as entry):
        sink = _Hashing(entry)
        text = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        cursor.execute(f"SELECT * FROM {quote(schema)}.{quote(table)} ORDER BY 1")  # noqa: S608 (quoted identifiers)
        columns = [c.name for c in cursor.description]
        secret = [i for i, c in enumerate(columns) if c in encrypted]
        writer.writerow(columns)
        while chunk := cursor.fetchmany(FETCH):
            for record in chunk:
                values = list(record)
                for i in secret:
                    values[i] = _decrypt(ring, values[i], f"{table} ligne {values[0]}")
                writer.writerow([_text(v) for v in values])
                rows += 1
        text.flush()
        text.detach()
    return sink.digest.hexdigest(), columns, rows


def export_zip(association: Association, target: Path, *,
               dump: dict[str, str] | None = None) -> list[TableExport]:
    """Write the ZIP of the association's schema to `target` (whole or nothing: written
    under a temporary name, renamed at the end)."""
    schema = association.schema_name
    encrypted = {t.table: t.columns for t in encrypted_tables(tenant=True)}
    ring = keyring()
    partial = target.with_name(target.name + ".part")
    tables: list[TableExport] = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in schema_tables(schema):
                if table in EXCLUDED_TABLES:
                    continue
                name = f"tables/{table}.csv"
                digest, columns, rows = _table_csv(archive, name, schema, table,
                                                   encrypted=encrypted.get(table, ()),
                                                   ring=ring)
                tables.append(TableExport(table, name, columns,
                                          [c for c in columns if c in encrypted.get(table, ())],
                                          rows, digest))
            manifest = {
                "format": EXPORT_FORMAT,
                "made_at": timezone.now().isoformat(),
                "schema": schema,
                "public": association_manifest(association),
                "tables": [t.__dict__ for t in tables],
                "excluded_tables": EXCLUDED_TABLES,
                "conventions": {
                    "encoding": "UTF-8", "empty_cell": "NULL ou texte vide",
                    "encrypted_columns": "déchiffrées",
                    "formulas": "un texte commençant par = + - @ est précédé d'une apostrophe",
                },
                "restore_dump": dump,
            }
            archive.writestr("manifest.json", json.dumps(manifest, indent=2,
                                                         ensure_ascii=False))
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return tables


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
