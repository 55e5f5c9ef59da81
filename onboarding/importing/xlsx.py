"""An XLSX file's first sheet → its rows, read as a stream within fixed bounds.

openpyxl, even in read-only mode, believes what a file says of itself: the sheet's
declared `<dimension>` pads every row to its width (`A1:XFD20000` turned a 5 KB file into
20,000 rows of 16,384 cells, 2.5 GB), and opening a workbook builds whole parts in memory
(the styles, a sheet's elements before its data, or all of them when it declares no
dimension). Here nothing declared is believed: every XML part is read as a stream that
keeps only the element at hand, and what is read is counted — XML elements, columns,
cells, rows — and stops at fixed limits before anything is copied. A row keeps its cells
up to its last value; a value past the last column allowed is refused, empty cells there
are skipped. Each cell still gets the value openpyxl gives it (`WorkSheetParser.parse_cell`:
shared strings, numbers, dates by their number format, booleans, formulas as written).

The zip container is judged on its directory first: the number of members and their
uncompressed sizes. Python's zipfile never reads a member past the size it declares (one
that inflates further fails its CRC check), so the declared sizes bound what is read.

No French here: `parsing` turns `UnreadableError` and `OverLimitError` into messages.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from openpyxl.cell.text import Text
from openpyxl.styles.numbers import builtin_format_code, is_date_format, is_timedelta_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import (
    ARC_CONTENT_TYPES,
    ARC_STYLE,
    ARC_WORKBOOK,
    CONTYPES_NS,
    PKG_REL_NS,
    REL_NS,
    SHARED_STRINGS,
    SHEET_MAIN_NS,
    XLSM,
    XLSX,
    XLTM,
    XLTX,
)

# Small chunks: the elements of a chunk live until its end, and many live elements make
# Python's garbage collector slow (64 KB chunks doubled the reading time).
CHUNK = 8 * 1024
MAX_MEMBERS = 2000
MAX_ELEMENTS = 10_000_000  # XML elements in one part
MAX_DEPTH = 64
MAX_SUBTREE = 100_000  # elements inside one row or one shared string
MAX_STYLES = 100_000  # Excel itself stops at 64,000 cell formats
WORKBOOK_TYPES = (XLTM, XLTX, XLSM, XLSX)  # openpyxl's order


class UnreadableError(Exception):
    """Not a workbook this reader can read."""


class OverLimitError(Exception):
    """Past one of the limits: `kind` is "rows", "columns", "cells" or "unzipped"."""

    def __init__(self, kind: str, limit: int) -> None:
        super().__init__(f"more {kind} than {limit}")
        self.kind = kind
        self.limit = limit


@dataclass(frozen=True)
class Limits:
    rows: int  # the last row number read
    columns: int  # the last column that may hold a value
    cells: int  # cells kept, rows cut after their last value; shared strings too
    unzipped: int  # bytes of all members once unzipped


def _ns(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- Streaming XML -------------------------------------------------------------------------


def _feed(parser: XMLPullParser[Element], chunk: bytes) -> list[tuple[str, Element]]:
    try:
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        return list(parser.read_events())  # type: ignore[arg-type]
    except ParseError as error:
        raise UnreadableError(str(error)) from error


def _events(source: IO[bytes], keep: frozenset[str] = frozenset()
            ) -> Iterator[tuple[str, Element]]:
    """The start and end events of one XML part, but of an element whose tag is in `keep`
    only its end, when it is complete (its own elements give no event). Any other element
    leaves the tree once it has ended (after the chunk that ended it): memory holds the
    open elements, one kept element and one chunk's worth of elements. Counts are checked
    after each chunk (8 KB: two thousand elements at most)."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    stack: list[Element] = []  # the open elements, but the kept one and its own
    ended: list[int] = []  # per open element: its children that ended, dropped per chunk
    inside = 0  # depth inside the kept element open now (0: none)
    elements = kept = 0  # elements seen (but those of the kept one); in the kept one
    while True:
        chunk = source.read(CHUNK)
        for event, element in _feed(parser, chunk):
            if inside:  # the fast path: the elements of a row, of a shared string
                if event == "start":
                    inside += 1
                    kept += 1
                    continue
                inside -= 1
                if inside:
                    continue
                elements, kept = elements + kept, 0
            elif event == "start":
                elements += 1
                if element.tag in keep:
                    inside = 1
                    continue
                stack.append(element)
                ended.append(0)
                yield event, element
                continue
            else:
                stack.pop()
                ended.pop()
            if ended:
                ended[-1] += 1
            yield event, element
        _check_counts(elements + kept, kept, len(stack) + inside)
        for parent, count in zip(stack, ended, strict=True):
            if count:
                del parent[:count]  # the children that ended come first
        ended = [0] * len(stack)
        if not chunk:
            return


def _check_counts(elements: int, kept: int, depth: int) -> None:
    if elements > MAX_ELEMENTS:
        raise OverLimitError("unzipped", MAX_ELEMENTS)
    if kept > MAX_SUBTREE or depth > MAX_DEPTH:
        raise UnreadableError("an element too large or too deep")


def _starts(archive: zipfile.ZipFile, name: str, tag: str) -> Iterator[dict[str, str]]:
    """The attributes of every `tag` element of a part."""
    with archive.open(name) as source:
        for event, element in _events(source):
            if event == "start" and element.tag == tag:
                yield dict(element.attrib)


# --- The package ---------------------------------------------------------------------------


def _open(content: bytes, limits: Limits) -> zipfile.ZipFile:
    if not content.startswith(b"PK\x03\x04"):
        raise UnreadableError("not a zip file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise UnreadableError(str(error)) from error
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise OverLimitError("unzipped", limits.unzipped)
    if sum(member.file_size for member in members) > limits.unzipped:
        raise OverLimitError("unzipped", limits.unzipped)
    return archive


@dataclass
class _Package:
    workbook: str
    shared_strings: str | None


def _package(archive: zipfile.ZipFile) -> _Package:
    """Where the workbook and its shared strings are, from [Content_Types].xml."""
    overrides: dict[str, str] = {}
    defaults: set[str] = set()
    override, default = _ns(CONTYPES_NS, "Override"), _ns(CONTYPES_NS, "Default")
    with archive.open(ARC_CONTENT_TYPES) as source:
        for event, element in _events(source):
            if event == "start" and element.tag == override:
                overrides.setdefault(element.get("ContentType", ""),
                                     element.get("PartName", ""))
            elif event == "start" and element.tag == default:
                defaults.add(element.get("ContentType", ""))
    workbook = next((overrides[t][1:] for t in WORKBOOK_TYPES if overrides.get(t)), None)
    if workbook is None:
        if not defaults & set(WORKBOOK_TYPES):
            raise UnreadableError("no workbook part")
        workbook = ARC_WORKBOOK
    strings = overrides.get(SHARED_STRINGS)
    return _Package(workbook=workbook, shared_strings=strings[1:] if strings else None)


def _first_worksheet(archive: zipfile.ZipFile, workbook: str) -> tuple[str, bool]:
    """The first worksheet in the workbook's order (chart sheets skipped, as openpyxl
    does), and whether dates count from 1904."""
    date1904 = False
    sheet_ids: list[str] = []
    with archive.open(workbook) as source:
        for event, element in _events(source):
            if event != "start":
                continue
            if element.tag == _ns(SHEET_MAIN_NS, "workbookPr"):
                flag = element.get("date1904")
                date1904 = bool(flag) and flag not in ("false", "f", "0")
            elif element.tag == _ns(SHEET_MAIN_NS, "sheet") and element.get(_ns(REL_NS, "id")):
                sheet_ids.append(element.attrib[_ns(REL_NS, "id")])
    folder, name = posixpath.split(workbook)
    rels_path = posixpath.join(folder, "_rels", f"{name}.rels")
    targets: dict[str, tuple[str, str]] = {}
    if rels_path in archive.NameToInfo:
        for attrs in _starts(archive, rels_path, _ns(PKG_REL_NS, "Relationship")):
            if attrs.get("TargetMode") == "External":
                continue
            target = attrs.get("Target", "")
            target = (target[1:] if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            targets[attrs.get("Id", "")] = (target, attrs.get("Type", ""))
    for sheet_id in sheet_ids:
        if sheet_id not in targets:
            raise UnreadableError("a sheet without its relationship")
        target, kind = targets[sheet_id]
        if target in archive.NameToInfo and "chartsheet" not in kind:
            return target, date1904
    raise UnreadableError("no worksheet")


def _date_styles(archive: zipfile.ZipFile) -> tuple[set[int], set[int]]:
    """The cell styles whose number format shows a date, and a duration (openpyxl's
    Stylesheet._normalise_numbers)."""
    if ARC_STYLE not in archive.NameToInfo:
        return set(), set()
    custom: dict[int, str] = {}
    formats: list[int] = []
    depth_in_cell_xfs = 0
    cell_xfs = _ns(SHEET_MAIN_NS, "cellXfs")
    with archive.open(ARC_STYLE) as source:
        for event, element in _events(source):
            if element.tag == cell_xfs:
                depth_in_cell_xfs = 1 if event == "start" else 0
            elif event != "start":
                continue
            elif element.tag == _ns(SHEET_MAIN_NS, "numFmt"):
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif depth_in_cell_xfs and element.tag == _ns(SHEET_MAIN_NS, "xf"):
                formats.append(int(element.get("numFmtId", "0")))
            if len(formats) + len(custom) > MAX_STYLES:
                raise UnreadableError("too many styles")
    dates, durations = set(), set()
    for index, format_id in enumerate(formats):
        code = custom[format_id] if format_id in custom else builtin_format_code(format_id)
        if is_date_format(code):
            dates.add(index)
        if is_timedelta_format(code):
            durations.add(index)
    return dates, durations


def _shared_strings(archive: zipfile.ZipFile, name: str | None, limits: Limits) -> list[str]:
    if name is None or name not in archive.NameToInfo:
        return []
    strings: list[str] = []
    item = _ns(SHEET_MAIN_NS, "si")
    with archive.open(name) as source:
        for event, element in _events(source, keep=frozenset({item})):
            if event == "end" and element.tag == item:
                strings.append(Text.from_tree(element).content.replace("x005F_", ""))
                if len(strings) > limits.cells:
                    raise OverLimitError("cells", limits.cells)
    return strings


# --- The sheet -----------------------------------------------------------------------------


def _row_number(element: Element, previous: int) -> int:
    """As openpyxl numbers it: its `r`, else the one after the previous row."""
    raw = element.get("r")
    if raw is None:
        return previous + 1
    try:
        return int(raw)
    except ValueError:
        number = float(raw)
        if not number.is_integer():
            raise
        return int(number)


def _sheet_rows(archive: zipfile.ZipFile, name: str, cells: WorkSheetParser,
                limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """Each row as (number, values up to its last value). A missing run of rows comes as
    one empty row; rows numbered out of order are skipped (openpyxl does the same)."""
    row_tag, cell_tag = _ns(SHEET_MAIN_NS, "row"), _ns(SHEET_MAIN_NS, "c")
    counter = emitted = kept = 0
    with archive.open(name) as source:
        for event, row in _events(source, keep=frozenset({row_tag})):
            if event != "end" or row.tag != row_tag:
                continue
            counter = _row_number(row, counter)
            if counter > limits.rows:
                raise OverLimitError("rows", limits.rows)
            cells.row_counter, cells.col_counter = counter, 0
            values: dict[int, Any] = {}
            for element in row:
                if element.tag != cell_tag:
                    continue
                cell = cells.parse_cell(element)
                if _empty(cell["value"]):
                    continue
                if cell["column"] > limits.columns:
                    raise OverLimitError("columns", limits.columns)
                values[cell["column"]] = cell["value"]
            if counter <= emitted:
                continue
            if counter > emitted + 1:
                yield emitted + 1, []
            width = max(values, default=0)
            kept += width
            if kept > limits.cells:
                raise OverLimitError("cells", limits.cells)
            yield counter, [values.get(column) for column in range(1, width + 1)]
            emitted = counter


def read_rows(content: bytes, limits: Limits) -> list[tuple[int, list[Any]]]:
    """The rows of the first worksheet, numbered as a spreadsheet shows them. Raises
    `UnreadableError` or `OverLimitError`."""
    archive = _open(content, limits)
    try:
        with archive:
            package = _package(archive)
            sheet, date1904 = _first_worksheet(archive, package.workbook)
            dates, durations = _date_styles(archive)
            strings = _shared_strings(archive, package.shared_strings, limits)
            cells = WorkSheetParser(
                None, strings, data_only=False,
                epoch=CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900,
                date_formats=dates, timedelta_formats=durations)
            return list(_sheet_rows(archive, sheet, cells, limits))
    except (UnreadableError, OverLimitError, MemoryError):
        raise
    except Exception as error:  # a broken part fails in many ways (KeyError, ValueError...)
        raise UnreadableError(repr(error)) from error
