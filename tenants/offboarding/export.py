"""The full export of a closing association, in open formats, for its admins. Schema:
public (reads one association's schema by its qualified table names).

A ZIP holding one CSV per table of the association's schema (UTF-8, a header line, one line
per row, ordered by the first column), `manifest.json` — the association, its domains and
members (e-mails and roles, from tenants.offboarding.backup), for each table its file, columns, row
count and SHA-256, and what was left out and why — and `LISEZMOI.txt` / `README.txt`
saying the same in French and in English. Encrypted columns are written decrypted (the key
stays with the platform); a value no known key opens stops the export. Text a spreadsheet
would run as a formula is prefixed with a quote (tracking.figures.exports.neutralise), as in every
export.

Left out: login sessions (secrets, not the association's data) and every clinical column
(tracking.permissions.clinical_columns, declared on the models): admins may not read
clinical notes, so such a column is replaced by `<column>_exists` (true/false), computed by
PostgreSQL — the note's text never leaves the database here. Psychologists download the
notes of their cases apart (tenants.offboarding.clinical). A column clinical on some rows
only (tracking.permissions.clinical_row_columns: a clinical document's name) is written
empty on those rows. For a restore, the `pg_dump` of
tenants.offboarding.backup is made next to it (it stays on the platform).

The cases' documents are written decrypted under `documents/<id>-<name>` (listed with
their SHA-256 under `documents` in the manifest), the clinical ones left out and counted:
each psychologist takes those of their cases away with their notes.
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
from django_tenants.utils import schema_context

from tenants.keys.fields import encrypted_tables, keyring
from tenants.models import Association
from tenants.offboarding.backup import association_manifest
from tracking.documents.services import closure_clinical_count, closure_documents
from tracking.figures.exports import neutralise
from tracking.permissions import clinical_columns, clinical_row_columns

# 2: clinical columns left out (replaced by `<column>_exists`), `left_out`, the read-me files.
EXPORT_FORMAT = 2
FETCH = 2000
README_FILES = {"fr": "LISEZMOI.txt", "en": "README.txt"}
CLINICAL_EXPORT_PATH = "/parametres/fermeture/notes-cliniques.zip"

# What the ZIP leaves out, and why. In both languages, whatever the reader's: the files go
# to whoever receives the archive (the manifest, the read-me files), not to one page view.
EXCLUDED_TABLES: dict[str, dict[str, str]] = {
    "django_session": {
        "fr": "Sessions de connexion : des secrets de connexion, pas des données de "
              "l'association.",
        "en": "Sign-in sessions: sign-in secrets, not the association's data.",
    },
    "tracking_documentblob": {
        "fr": "Contenu chiffré des documents des dossiers : chaque document non clinique est "
              "dans le dossier documents/ de cette archive, déchiffré (voir documents dans "
              "manifest.json) ; les documents cliniques sont remis aux psychologues.",
        "en": "Encrypted content of the cases' documents: each non-clinical document is in "
              "the documents/ folder of this archive, decrypted (see documents in "
              "manifest.json); clinical documents are handed to the psychologists.",
    },
}
CLINICAL_REASON = {
    "fr": "Texte clinique : seuls les psychologues de l'association le lisent, il n'est "
          "jamais remis aux administrateurs. La colonne est remplacée par « {replaced_by} » "
          "(true : une note existe ; false : aucune).",
    "en": "Clinical text: only the association's psychologists read it; it is never handed "
          "to administrators. The column is replaced by \"{replaced_by}\" (true: a note "
          "exists; false: none).",
}
CLINICAL_WHERE = {
    "fr": "Pendant le délai de grâce, chaque psychologue de l'association télécharge à part "
          "les notes cliniques des dossiers qu'il suit et celles qu'il a écrites "
          f"({CLINICAL_EXPORT_PATH}, mot de passe redemandé).",
    "en": "During the grace period, each of the association's psychologists downloads apart "
          "the clinical notes of the cases they follow and those they wrote "
          f"({CLINICAL_EXPORT_PATH}, password asked again).",
}


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
    # Clinical column -> how many rows had a value there (left out, not exported).
    clinical_left_out: dict[str, int]


def schema_tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                       "AND table_type = 'BASE TABLE' ORDER BY table_name", [schema])
        return [row[0] for row in cursor.fetchall()]


def table_columns(schema: str, table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema "
                       "= %s AND table_name = %s ORDER BY ordinal_position", [schema, table])
        return [row[0] for row in cursor.fetchall()]


def exists_column(column: str) -> str:
    """The column that replaces a clinical one in the admins' CSV."""
    return f"{column}_exists"


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


class Hashing(io.RawIOBase):
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
               encrypted: tuple[str, ...], clinical: tuple[str, ...],
               ring: MultiFernet, clinical_rows: tuple[str, tuple[str, ...]] | None = None,
               ) -> tuple[str, list[str], int, dict[str, int]]:
    """Stream one table into the entry `name`; its SHA-256, columns, row count and, per
    clinical column, how many values were left out. A clinical column is never read: the
    query asks PostgreSQL only whether it holds something. A column clinical on some rows
    (`clinical_rows`: flag column, columns) is read as NULL on those rows, by PostgreSQL."""
    quote = connection.ops.quote_name
    rows = 0
    selected: list[str] = []
    columns: list[str] = []
    flags: list[tuple[int, str]] = []  # (position, clinical column it replaces)
    for column in table_columns(schema, table):
        if column in clinical:
            flags.append((len(columns), column))
            selected.append(f"({quote(column)} IS NOT NULL AND {quote(column)} <> '') "
                            f"AS {quote(exists_column(column))}")
            columns.append(exists_column(column))
        elif clinical_rows and column in clinical_rows[1]:
            selected.append(f"CASE WHEN {quote(clinical_rows[0])} THEN NULL "
                            f"ELSE {quote(column)} END AS {quote(column)}")
            columns.append(column)
        else:
            selected.append(quote(column))
            columns.append(column)
    left_out = {column: 0 for _i, column in flags}
    # A server-side cursor: a table of any size streams through in chunks.
    with (transaction.atomic(), connection.chunked_cursor() as cursor,
          archive.open(name, "w", force_zip64=True) as entry):
        sink = Hashing(entry)
        text = io.TextIOWrapper(io.BufferedWriter(sink), encoding="utf-8", newline="")
        writer = csv.writer(text, lineterminator="\r\n")
        cursor.execute(f"SELECT {', '.join(selected)} FROM {quote(schema)}.{quote(table)} "  # noqa: S608 (quoted identifiers)
                       "ORDER BY 1")
        secret = [i for i, c in enumerate(columns) if c in encrypted]
        writer.writerow(columns)
        while chunk := cursor.fetchmany(FETCH):
            for record in chunk:
                values = list(record)
                for i in secret:
                    values[i] = _decrypt(ring, values[i], f"{table} ligne {values[0]}")
                for i, column in flags:
                    left_out[column] += bool(values[i])
                writer.writerow([_text(v) for v in values])
                rows += 1
        text.flush()
        text.detach()
    return sink.digest.hexdigest(), columns, rows, left_out


def export_zip(association: Association, target: Path, *,
               dump: dict[str, str] | None = None) -> list[TableExport]:
    """Write the ZIP of the association's schema to `target` (whole or nothing: written
    under a temporary name, renamed at the end)."""
    schema = association.schema_name
    encrypted = {t.table: t.columns for t in encrypted_tables(tenant=True)}
    clinical = clinical_columns()
    clinical_rows = clinical_row_columns()
    ring = keyring()
    partial = target.with_name(target.name + ".part")
    tables: list[TableExport] = []
    made_at = timezone.now().isoformat()
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for table in schema_tables(schema):
                if table in EXCLUDED_TABLES:
                    continue
                name = f"tables/{table}.csv"
                digest, columns, rows, left_out = _table_csv(
                    archive, name, schema, table, encrypted=encrypted.get(table, ()),
                    clinical=clinical.get(table, ()), ring=ring,
                    clinical_rows=clinical_rows.get(table))
                tables.append(TableExport(table, name, columns,
                                          [c for c in columns if c in encrypted.get(table, ())],
                                          rows, digest, left_out))
            documents = _documents(archive, schema)
            left = left_out_of(tables)
            readmes = {}
            for language, file in README_FILES.items():
                text = readme(language, association=association, made_at=made_at,
                              left_out=left).encode("utf-8")
                archive.writestr(file, text)
                readmes[file] = hashlib.sha256(text).hexdigest()
            manifest = {
                "format": EXPORT_FORMAT,
                "made_at": made_at,
                "schema": schema,
                "public": association_manifest(association),
                "tables": [t.__dict__ for t in tables],
                "left_out": left,
                "documents": documents,
                "readme": readmes,
                "conventions": {
                    "encoding": "UTF-8", "empty_cell": "NULL ou texte vide",
                    "encrypted_columns": "déchiffrées, sauf les colonnes cliniques "
                                         "(voir left_out)",
                    "clinical_rows": {
                        table: {"si": flag, "colonnes_vides": list(cols)}
                        for table, (flag, cols) in clinical_rows.items()},
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


def _documents(archive: zipfile.ZipFile, schema: str) -> dict[str, Any]:
    """The cases' kept documents, decrypted, under documents/ (their bytes are a table of
    Fernet tokens, or objects of an S3-compatible store); clinical ones are left out and
    counted — the psychologists take them away with their notes (tenants.offboarding.clinical)."""
    files = []
    with schema_context(schema):
        for found in closure_documents(clinical=False):
            archive.writestr(found.path, found.data)
            files.append({"file": found.path, "document_id": found.document.pk,
                          "case_id": found.document.case_id, "size": len(found.data),
                          "sha256": hashlib.sha256(found.data).hexdigest()})
        clinical = closure_clinical_count()
    return {"files": files, "clinical_left_out": clinical,
            "clinical_where": CLINICAL_WHERE}


def left_out_of(tables: list[TableExport]) -> dict[str, list[dict[str, Any]]]:
    """What the ZIP leaves out, for the manifest: whole tables and clinical columns, each
    with its reason and, for a clinical column, how many values and where they went."""
    columns = []
    for table in tables:
        for column, values in table.clinical_left_out.items():
            replaced_by = exists_column(column)
            columns.append({
                "table": table.table, "column": column, "replaced_by": replaced_by,
                "values_left_out": values,
                "reason": {lang: text.format(replaced_by=replaced_by)
                           for lang, text in CLINICAL_REASON.items()},
                "where": dict(CLINICAL_WHERE),
            })
    return {"tables": [{"table": table, "reason": reason}
                       for table, reason in EXCLUDED_TABLES.items()],
            "columns": columns}


_README = {
    "fr": {
        "title": "Export de fermeture de l'association {name} ({slug}), fait le {made_at}.",
        "contents": "Contenu",
        "items": [
            "tables/<table>.csv : une table des données de l'association par fichier (UTF-8, "
            "une ligne d'en-tête, une ligne par enregistrement, triées par la première "
            "colonne). Les noms et coordonnées chiffrés sur la plateforme y sont en clair.",
            "manifest.json : l'association, ses adresses, ses membres et leurs rôles ; pour "
            "chaque table, son fichier, ses colonnes, son nombre de lignes et son empreinte "
            "SHA-256 ; ce qui est laissé de côté (« left_out »).",
            "LISEZMOI.txt et README.txt : ce texte, en français et en anglais.",
        ],
        "left_out": "Ce qui n'est pas dans cet export, et pourquoi",
        "values": "{values} valeur(s) laissée(s) de côté",
        "table": "table {table} entière",
        "colon": " : ",
        "formulas": "Un texte commençant par = + - @ est précédé d'une apostrophe, pour "
                    "qu'un tableur ne l'exécute pas.",
    },
    "en": {
        "title": "Closure export of the association {name} ({slug}), made on {made_at}.",
        "contents": "Contents",
        "items": [
            "tables/<table>.csv: one table of the association's data per file (UTF-8, a "
            "header line, one line per record, sorted by the first column). Names and "
            "contact details, encrypted on the platform, are in clear here.",
            "manifest.json: the association, its addresses, its members and their roles; "
            "for each table, its file, columns, row count and SHA-256 fingerprint; what was "
            "left out (\"left_out\").",
            "LISEZMOI.txt and README.txt: this text, in French and in English.",
        ],
        "left_out": "What this export leaves out, and why",
        "values": "{values} value(s) left out",
        "table": "the whole table {table}",
        "colon": ": ",
        "formulas": "A text starting with = + - @ is preceded by an apostrophe, so that a "
                    "spreadsheet does not run it.",
    },
}


def readme(language: str, *, association: Association, made_at: str,
           left_out: dict[str, list[dict[str, Any]]]) -> str:
    """LISEZMOI.txt (fr) or README.txt (en): the archive, and exactly what it leaves out."""
    words: dict[str, Any] = _README[language]
    lines = [words["title"].format(name=association.name, slug=association.slug,
                                   made_at=made_at), "", words["contents"]]
    lines += [f"- {item}" for item in words["items"]]
    lines += ["", words["left_out"]]
    for column in left_out["columns"]:
        values = words["values"].format(values=column["values_left_out"])
        lines.append(f"- {column['table']}.{column['column']} ({values}){words['colon']}"
                     f"{column['reason'][language]} {column['where'][language]}")
    for table in left_out["tables"]:
        lines.append(f"- {words['table'].format(table=table['table'])}{words['colon']}"
                     f"{table['reason'][language]}")
    lines += ["", words["formulas"], ""]
    return "\r\n".join(lines)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
