"""Files that lie about their size: a sheet's declared dimension is not believed; columns,
cells, rows and unzipped bytes stop at fixed limits before anything is copied; the
reading runs in a child process under a memory and CPU limit. Each refusal says why in
French, and nothing is written.

The malicious workbooks are written here by hand, a few KB each: openpyxl would not write
such lies. Memory is measured with tracemalloc around the reading in this process
(`parse_table`); `read_table`, which the services call, reads in a child process."""

from __future__ import annotations

import io
import resource
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from onboarding.importing import parsing, services
from onboarding.importing.isolation import LimitExceededError, run_isolated
from onboarding.importing.parsing import Row
from relier_platform.errors import ApplicationError, ErrorCode
from tests.conftest import World, signed_in
from tests.tracking.factories import actor
from tracking.models import AuditLog, ImportRun

SCHEMA = "a_acme"
MB = 1024 * 1024
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
        f'xmlns:r="{DOC_RELS}"><sheets><sheet name="Dossiers" sheetId="1" r:id="rId1"/>'
        '</sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}">'
        f'<Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'),
}
SHEET = "xl/worksheets/sheet1.xml"
SHEET_START = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
               '<dimension ref="A1:XFD20000"/><sheetData>')
SHEET_END = "</sheetData></worksheet>"
HEADER_AND_TWO_ROWS = [(1, [("A", "Prénom"), ("B", "Ville")]),
                       (2, [("A", "Léa"), ("B", "Montreuil")]),
                       (3, [("A", "Tom"), ("B", "Créteil")])]


def _row(number: int, cells: list[tuple[str, Any]]) -> str:
    xml = "".join(
        f'<c r="{column}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        if isinstance(value, str) else f'<c r="{column}{number}"><v>{value}</v></c>'
        for column, value in cells)
    return f'<row r="{number}">{xml}</row>'


def _workbook(rows: list[tuple[int, list[tuple[str, Any]]]] | None = None,
              *, sheet: Callable[[Any], None] | None = None) -> bytes:
    """A workbook of one sheet declaring `A1:XFD20000`, with these rows (or the sheet
    written by `sheet`, given the open member)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        with archive.open(SHEET, "w", force_zip64=True) as member:
            if sheet is not None:
                sheet(member)
            else:
                member.write((SHEET_START + "".join(_row(n, c) for n, c in rows or [])
                              + SHEET_END).encode())
    return buffer.getvalue()


def _peak(read: Callable[[], Any]) -> tuple[Any, int]:
    """What `read` returns (or the error it raises), and the most memory it held."""
    tracemalloc.start()
    try:
        try:
            outcome: Any = read()
        except ApplicationError as error:
            outcome = error
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _admin(world: World) -> Any:
    return actor(world.acme_members["admin"], "admin")


def _nothing_written() -> None:
    with schema_context(SCHEMA):
        assert ImportRun.objects.count() == 0
        assert not AuditLog.objects.filter(action__startswith="import.").exists()


# --- A declared dimension is not believed ---------------------------------------------------


DIMENSION_BOMB = _workbook([*HEADER_AND_TWO_ROWS, (20_000, [("A", "Ana"), ("B", "Bobigny")])])


def test_a_5_kb_sheet_declaring_16384_columns_is_read_at_its_real_size() -> None:
    """Before: every row padded to column XFD, and the 19,996 missing rows too (2.5 GB)."""
    assert len(DIMENSION_BOMB) < 5 * 1024
    table, peak = _peak(lambda: parsing.parse_table(DIMENSION_BOMB, "bombe.xlsx"))
    assert table.headers == ["Prénom", "Ville"]
    assert table.rows == [Row(2, ("Léa", "Montreuil")), Row(3, ("Tom", "Créteil")),
                          Row(20_000, ("Ana", "Bobigny"))]
    assert peak < 1 * MB


@pytest.mark.django_db
def test_uploading_a_sheet_declaring_16384_columns_keeps_its_two_columns(
    world: World
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post("/parametres/import/",
                           {"file": SimpleUploadedFile("bombe.xlsx", DIMENSION_BOMB)})
    assert response.status_code == 302
    with schema_context(SCHEMA):
        run = ImportRun.objects.get()
    assert [c["header"] for c in run.columns] == ["Prénom", "Ville"]
    assert run.total_rows == 3


# --- Columns, rows, cells: refused before they are copied -----------------------------------


COLUMN_BOMB = _workbook([*HEADER_AND_TWO_ROWS, (4, [("A", "Ana"), ("XFD", "x")])])
ROW_BOMB = _workbook([*HEADER_AND_TWO_ROWS, (1_048_576, [("A", "Ana"), ("B", "Bobigny")])])


def _many_cells(member: Any) -> None:
    """300 rows of 200 numbers: 60,000 cells, a few KB once zipped."""
    member.write(SHEET_START.encode())
    member.write(_row(1, [("A", "Prénom"), ("B", "Ville")]).encode())
    for number in range(2, 302):
        member.write(f'<row r="{number}">{"<c><v>1</v></c>" * 200}</row>'.encode())
    member.write(SHEET_END.encode())


@pytest.mark.parametrize(("content", "message"), [
    (COLUMN_BOMB, "Le fichier compte plus de 200 colonnes."),
    (ROW_BOMB, "Le fichier compte plus de 50 000 lignes : découpez-le en plusieurs fichiers."),
], ids=["value-in-column-XFD", "value-in-row-1048576"])
def test_a_5_kb_sheet_with_a_value_past_the_limits_is_refused_at_once(
    content: bytes, message: str
) -> None:
    assert len(content) < 5 * 1024
    error, peak = _peak(lambda: parsing.parse_table(content, "bombe.xlsx"))
    assert isinstance(error, ApplicationError)
    assert (error.message, error.code, error.field) == (message, ErrorCode.VALUE_RANGE,
                                                        "file")
    assert peak < 1 * MB


def test_a_sheet_with_more_cells_than_allowed_is_refused_before_keeping_them(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parsing, "MAX_CELLS", 10_000)
    content = _workbook(sheet=_many_cells)
    assert len(content) < 10 * 1024
    error, peak = _peak(lambda: parsing.parse_table(content, "cellules.xlsx"))
    assert isinstance(error, ApplicationError)
    assert error.message == ("Le fichier dépasse 10 000 cellules : découpez-le en plusieurs "
                             "fichiers.")
    assert peak < 2 * MB


@pytest.mark.parametrize(("text", "message"), [
    ("Prénom;Ville\n" + "Léa;Montreuil\n" * 6_000,
     "Le fichier dépasse 10 000 cellules : découpez-le en plusieurs fichiers."),
    ("Prénom;Ville\nLéa;Montreuil" + ";" * 300 + "x\n",
     "Le fichier compte plus de 200 colonnes."),
], ids=["cells", "value-past-column-200"])
def test_csv_files_have_the_same_limits(monkeypatch: pytest.MonkeyPatch, text: str,
                                        message: str) -> None:
    monkeypatch.setattr(parsing, "MAX_CELLS", 10_000)
    with pytest.raises(ApplicationError) as caught:
        parsing.parse_table(text.encode(), "dossiers.csv")
    assert caught.value.message == message


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "message"), [
    (COLUMN_BOMB, "Le fichier compte plus de 200 colonnes."),
    (ROW_BOMB, "Le fichier compte plus de 50 000 lignes"),
], ids=["value-in-column-XFD", "value-in-row-1048576"])
def test_the_upload_page_refuses_such_a_file_and_writes_nothing(
    world: World, content: bytes, message: str
) -> None:
    client = signed_in(world.acme_members["admin"], world.acme)
    response = client.post("/parametres/import/",
                           {"file": SimpleUploadedFile("bombe.xlsx", content)})
    assert response.status_code == 400
    assert message in response.content.decode()
    _nothing_written()


# --- The zip container ----------------------------------------------------------------------


def _padding(size: int) -> Callable[[Any], None]:
    def write(member: Any) -> None:
        member.write(SHEET_START.encode())
        member.write(_row(1, [("A", "Prénom"), ("B", "Ville")]).encode())
        member.write(_row(2, [("A", "Léa"), ("B", "Montreuil")]).encode())
        for _ in range(size // MB):
            member.write(b" " * MB)
        member.write(SHEET_END.encode())
    return write


def _declaring(content: bytes, name: str, size: int) -> bytes:
    """The same zip, its directory saying that `name` is `size` bytes once unzipped."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + length] == name.encode():
            data[at + 24:at + 28] = size.to_bytes(4, "little")
        at = data.find(b"PK\x01\x02", at + 46)
    return bytes(data)


def test_a_sheet_over_100_mb_once_unzipped_is_refused_without_unzipping_it() -> None:
    content = _workbook(sheet=_padding(101 * MB))
    assert len(content) < 200 * 1024
    error, peak = _peak(lambda: parsing.parse_table(content, "bombe-zip.xlsx"))
    assert isinstance(error, ApplicationError)
    assert error.message == "Ce classeur est trop volumineux une fois décompressé."
    assert peak < 1 * MB


def test_a_sheet_unzipping_past_the_size_it_declares_is_refused() -> None:
    content = _declaring(_workbook(sheet=_padding(2 * MB)), SHEET, 1000)
    error, peak = _peak(lambda: parsing.parse_table(content, "menteur.xlsx"))
    assert isinstance(error, ApplicationError)
    assert "n'est pas un classeur Excel .xlsx lisible" in error.message
    assert peak < 1 * MB


# --- The child process: memory and CPU limits -----------------------------------------------


def _allocate(size: int) -> int:
    return len(bytearray(size))


def _spin() -> None:
    while True:
        pass


def _refuse() -> None:
    raise ApplicationError("Refusé.", code=ErrorCode.VALUE_RANGE, field="file")


def test_a_child_past_its_memory_limit_fails_alone_and_this_process_never_holds_it() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert run_isolated(_allocate, 8 * MB, memory=64 * MB, cpu_seconds=10, timeout=60) == (
        8 * MB)
    with pytest.raises(LimitExceededError):
        run_isolated(_allocate, 1024 * MB, memory=64 * MB, cpu_seconds=10, timeout=60)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KB


def test_a_child_past_its_cpu_limit_is_stopped() -> None:
    with pytest.raises(LimitExceededError):
        run_isolated(_spin, memory=64 * MB, cpu_seconds=1, timeout=60)


def test_a_refusal_in_the_child_comes_back_as_it_was() -> None:
    with pytest.raises(ApplicationError) as caught:
        run_isolated(_refuse, memory=64 * MB, cpu_seconds=10, timeout=60)
    assert (caught.value.message, caught.value.code, caught.value.field) == (
        "Refusé.", ErrorCode.VALUE_RANGE, "file")


def _long_title(member: Any) -> None:
    """A title of 40 MB above the table (40 KB once zipped): read within the usual limits,
    in memory that cannot come from what the parent process has free (one block)."""
    member.write(SHEET_START.encode())
    member.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
    for _ in range(40):
        member.write(b"x" * MB)
    member.write(b"</t></is></c></row>")
    member.write(_row(2, [("A", "Prénom"), ("B", "Ville")]).encode())
    member.write(_row(3, [("A", "Léa"), ("B", "Montreuil")]).encode())
    member.write(SHEET_END.encode())


@pytest.mark.django_db
def test_a_file_needing_more_memory_than_allowed_is_refused_and_nothing_is_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = _workbook(sheet=_long_title)
    with monkeypatch.context() as patch:
        patch.setattr(parsing, "READ_MEMORY", 16 * MB)
        with schema_context(SCHEMA), pytest.raises(ApplicationError) as caught:
            services.import_upload(actor=_admin(world), file_name="notes.xlsx",
                                   content=content)
    assert caught.value.message == (
        "Ce fichier demande trop de mémoire ou de temps pour être lu. Découpez-le en "
        "plusieurs fichiers, ou enregistrez-le à nouveau depuis votre tableur.")
    _nothing_written()
    # Within the usual limit, the same file reads.
    table = parsing.read_table(content, "notes.xlsx")
    assert (len(table.title), table.rows) == (40 * MB, [Row(3, ("Léa", "Montreuil"))])
