"""A file's bytes → a table: headers and rows, numbered as in the file.

CSV: UTF-8 (with or without a byte-order mark), UTF-16 with a byte-order mark, or
Windows-1252 as French Excel writes it; `;`, `,` or tab delimiters, detected on the header
line. XLSX: the first sheet, read as a stream (`xlsx`), each cell with the value openpyxl
gives it; formulas are read as written (`=…`), never computed, so that a formula cell is
seen as such.

Monday.com board exports (XLSX): the board title sits in the first rows, then each group
comes as a section row (one cell filled, e.g. "Suivis en cours") followed by the header
row again, then its items. The table gets a first column, "Groupe (Monday.com)", holding
each item's group, so the group can be mapped like any column. Rows after a "Subitems"
header row (sub-items) are skipped until the next blank row or group, and so are the
group summary rows Monday adds (no item name).

Limits (refused with a clear French message, before anything is stored): 10 MB, 50,000
data rows, 200 columns (a value past the 200th is refused, empty cells past it ignored),
2,000,000 cells (each row counted up to its last value), 100 MB once an XLSX is unzipped.
What a file declares of itself (an XLSX's `<dimension>`) is never believed: rows are read
one at a time and counted before they are kept (`xlsx`). And `read_table` reads in a child
process that may use 512 MB more and 2 minutes of CPU at most (`isolation`), on the web
server at upload as in the worker for the dry run and the commit: a file that needs more
is refused, and the process serving the page or running the task keeps its memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from django.utils.translation import gettext as _

from onboarding.importing import xlsx
from onboarding.importing.isolation import LimitExceededError, run_isolated
from relier_platform.errors import ApplicationError, ErrorCode

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_CELLS = 2_000_000
MAX_UNZIPPED = 100 * 1024 * 1024
# The child process that reads a file: address space on top of what it inherits, CPU
# seconds, and how long its parent waits for it. The largest file within the limits above
# (10 MB, 50,000 rows of 22 columns) needs about 110 MB.
READ_MEMORY = 512 * 1024 * 1024
READ_CPU_SECONDS = 120
READ_TIMEOUT = 300.0
EXTENSIONS = (".csv", ".xlsx")
SUBITEM_HEADERS = frozenset({"subitems", "sous elements", "sous element"})


def file_error(message: str) -> ApplicationError:
    return ApplicationError(message, code=ErrorCode.VALUE_RANGE, field="file")


def fold(value: Any) -> str:
    """A text compared without case, accents or punctuation: "Clôturé·e " → "cloture e"."""
    text = unicodedata.normalize("NFKD", str(value)).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() else " " for c in text)
    return " ".join(text.split())


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as people read it."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (value.strftime("%d/%m/%Y") if value.time() == time(0)
                else value.strftime("%d/%m/%Y %H:%M"))
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class Row:
    number: int  # the row number a spreadsheet shows for it
    cells: tuple[Any, ...]


@dataclass
class Table:
    file_format: str  # csv, xlsx, monday
    headers: list[str]
    rows: list[Row]
    title: str = ""
    groups: list[str] = field(default_factory=list)

    @property
    def has_groups(self) -> bool:
        return bool(self.groups)


def check_name_and_size(file_name: str, size: int) -> str:
    """The file's extension (".csv" or ".xlsx"), or a refusal in French."""
    extension = PurePath(file_name or "").suffix.casefold()
    if extension == ".xls":
        raise file_error(_("Les fichiers .xls (Excel 97-2003) ne sont pas lus : ouvrez-le "
                           "dans Excel et enregistrez-le au format .xlsx ou .csv."))
    if extension not in EXTENSIONS:
        raise file_error(_("Format non pris en charge : envoyez un fichier .csv ou .xlsx "
                           "(Excel, ou l'export Excel d'un tableau Monday.com)."))
    if size == 0:
        raise file_error(_("Le fichier est vide."))
    if size > MAX_BYTES:
        raise file_error(
            _("Le fichier pèse %(size)s Mo : la limite est de %(limit)s Mo. Découpez-le en "
              "plusieurs fichiers.") % {"size": f"{size / 1024 / 1024:.1f}".replace(".", ","),
                                        "limit": MAX_BYTES // 1024 // 1024})
    return extension


def read_table(content: bytes, file_name: str) -> Table:
    """The file's table, read in a child process under a memory and CPU limit."""
    check_name_and_size(file_name, len(content))
    try:
        return run_isolated(parse_table, content, file_name, memory=READ_MEMORY,
                            cpu_seconds=READ_CPU_SECONDS, timeout=READ_TIMEOUT)
    except LimitExceededError as error:
        raise file_error(_("Ce fichier demande trop de mémoire ou de temps pour être lu. "
                           "Découpez-le en plusieurs fichiers, ou enregistrez-le à nouveau "
                           "depuis votre tableur.")) from error


def parse_table(content: bytes, file_name: str) -> Table:
    """The file's table, read in this process (bounded: see the limits above)."""
    extension = check_name_and_size(file_name, len(content))
    if extension == ".xlsx":
        return _structure(_xlsx_rows(content), "xlsx")
    return _structure(_csv_rows(content), "csv")


def _too_many_columns() -> ApplicationError:
    return file_error(_("Le fichier compte plus de %(limit)s colonnes.")
                      % {"limit": MAX_COLUMNS})


def _too_many_cells() -> ApplicationError:
    return file_error(_("Le fichier dépasse %(limit)s cellules : découpez-le en plusieurs "
                        "fichiers.") % {"limit": f"{MAX_CELLS:,}".replace(",", " ")})


# --- CSV ---------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith(codecs.BOM_UTF8):
        encodings = ["utf-8-sig"]
    elif content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise file_error(_("Ce fichier n'est pas un CSV lisible (encodage non reconnu ou "
                       "contenu binaire). Enregistrez-le depuis votre tableur au format "
                       "« CSV UTF-8 » ou « CSV (séparateur : point-virgule) »."))


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(content: bytes) -> list[tuple[int, list[Any]]]:
    text = _decode(content)
    if not text.strip():
        raise file_error(_("Le fichier est vide."))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[Any]]] = []
    kept = 0
    try:
        for number, cells in enumerate(reader, start=1):
            _check_count(number)
            width = len(cells)
            while width and blank(cells[width - 1]):
                width -= 1
            if width > MAX_COLUMNS:
                raise _too_many_columns()
            kept += width
            if kept > MAX_CELLS:
                raise _too_many_cells()
            rows.append((number, cells[:width]))
    except csv.Error as error:
        raise file_error(_("Le fichier CSV est mal formé vers la ligne %(line)s (guillemets "
                           "non refermés ?). Enregistrez-le à nouveau depuis votre tableur.")
                         % {"line": reader.line_num}) from error
    return rows


def _check_count(raw_rows: int) -> None:
    # Headers, group rows and blank lines come on top of the data rows.
    if raw_rows > MAX_ROWS * 2:
        raise _too_many_rows()


def _too_many_rows() -> ApplicationError:
    return file_error(_("Le fichier compte plus de %(limit)s lignes : découpez-le en "
                        "plusieurs fichiers.") % {"limit": f"{MAX_ROWS:,}".replace(",", " ")})


# --- XLSX --------------------------------------------------------------------------------


def _not_xlsx() -> ApplicationError:
    return file_error(_("Ce fichier n'est pas un classeur Excel .xlsx lisible. Ouvrez-le "
                        "dans votre tableur et enregistrez-le à nouveau au format .xlsx."))


def _xlsx_rows(content: bytes) -> list[tuple[int, list[Any]]]:
    limits = xlsx.Limits(rows=MAX_ROWS * 2, columns=MAX_COLUMNS, cells=MAX_CELLS,
                         unzipped=MAX_UNZIPPED)
    try:
        return xlsx.read_rows(content, limits)
    except xlsx.UnreadableError as error:
        raise _not_xlsx() from error
    except xlsx.OverLimitError as error:
        if error.kind == "rows":
            raise _too_many_rows() from error
        if error.kind == "columns":
            raise _too_many_columns() from error
        if error.kind == "cells":
            raise _too_many_cells() from error
        raise file_error(_("Ce classeur est trop volumineux une fois décompressé.")) from error


# --- Structure (both formats) --------------------------------------------------------------


def _trimmed(cells: list[Any]) -> list[Any]:
    cells = [c.strip() if isinstance(c, str) else c for c in cells]
    while cells and blank(cells[-1]):
        cells.pop()
    return cells


def _filled(cells: Sequence[Any]) -> list[Any]:
    return [c for c in cells if not blank(c)]


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _headers(cells: list[Any]) -> list[str]:
    if len(cells) > MAX_COLUMNS:
        raise _too_many_columns()
    headers: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell_text(cell) or _("Colonne %(letter)s") % {"letter": _column_letter(index)}
        seen[fold(name)] = seen.get(fold(name), 0) + 1
        if seen[fold(name)] > 1:
            name = f"{name} ({seen[fold(name)]})"
        headers.append(name[:200])
    return headers


def _header_index(rows: list[tuple[int, list[Any]]]) -> int:
    start = next((i for i, (_n, cells) in enumerate(rows) if len(_filled(cells)) >= 2), None)
    if start is None:
        if any(_filled(cells) for _n, cells in rows):
            raise file_error(_("Aucune ligne d'en-têtes trouvée : une ligne doit donner le "
                               "nom de chaque colonne (au moins deux colonnes)."))
        raise file_error(_("Le fichier est vide."))
    return start


class _Scanner:
    """Walks the rows under the header: repeated headers, group rows and sub-items are
    taken out; each item row keeps its number and its group."""

    def __init__(self, rows: list[tuple[int, list[Any]]], start: int) -> None:
        self.rows = rows
        self.start = start
        self.header_key = self._key(rows[start][1])
        self.preamble = [cell_text(_filled(cells)[0]) for _n, cells in rows[:start]
                         if len(_filled(cells)) == 1]
        self.groups: list[str] = [self.preamble[-1]] if len(self.preamble) >= 2 else []
        self.data: list[tuple[int, str, list[Any]]] = []

    @staticmethod
    def _key(cells: list[Any]) -> list[str]:
        return [fold(cell_text(c)) for c in cells]

    def _group_row(self, i: int) -> bool:
        """One cell filled, and the next filled row is the header again."""
        for _n, cells in self.rows[i + 1:]:
            if _filled(cells):
                return self._key(cells) == self.header_key
        return False

    def scan(self) -> None:
        group = self.groups[-1] if self.groups else ""
        in_subitems = False
        for i in range(self.start + 1, len(self.rows)):
            number, cells = self.rows[i]
            filled = _filled(cells)
            if not filled or self._key(cells) == self.header_key:
                in_subitems = False
            elif len(filled) == 1 and self._group_row(i):
                group = cell_text(filled[0])
                self.groups.append(group)
                in_subitems = False
            elif len(filled) >= 2 and fold(cell_text(filled[0])) in SUBITEM_HEADERS:
                in_subitems = True
            elif not in_subitems:
                self.data.append((number, group, cells))
        if len(self.preamble) == 1 and self.groups:
            # One line above the first header and groups below: that line was a group.
            first = self.preamble.pop()
            self.groups.insert(0, first)
            self.data = [(n, g or first, c) for n, g, c in self.data]


def _structure(raw: list[tuple[int, list[Any]]], file_format: str) -> Table:
    rows = [(number, _trimmed(cells)) for number, cells in raw]
    start = _header_index(rows)
    headers = _headers(rows[start][1])
    width = len(headers)
    scanner = _Scanner(rows, start)
    scanner.scan()
    monday = bool(scanner.groups)
    table_rows: list[Row] = []
    for number, row_group, cells in scanner.data:
        padded = (cells + [None] * width)[:width]
        if monday and blank(padded[0]):
            continue  # a group's summary row (sums of its columns), not an item
        table_rows.append(Row(number, ((row_group,) if monday else ()) + tuple(padded)))
    if len(table_rows) > MAX_ROWS:
        raise _too_many_rows()
    if not table_rows:
        raise file_error(_("Le fichier ne contient aucune ligne de données sous ses "
                           "en-têtes."))
    if monday:
        headers = [_("Groupe (Monday.com)"), *headers]
    return Table(
        file_format="monday" if monday else file_format, headers=headers, rows=table_rows,
        title=scanner.preamble[0] if scanner.preamble else "",
        groups=list(dict.fromkeys(g for g in scanner.groups if g)),
    )
