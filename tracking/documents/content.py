"""What a file is, read from its bytes (magic numbers, and inside ZIP containers), never
from its name or the content type the browser sent. Schema: none.

Allowed: PDF, PNG, JPEG, OpenDocument text (ODT), Word (DOCX) and plain text in UTF-8.
ZIP containers are opened only to read their directory and the few bytes of an ODT's
`mimetype` entry: nothing is decompressed beyond that, so a ZIP bomb costs nothing here."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
DOCX_PARTS = ("[Content_Types].xml", "word/document.xml")
# Control characters a text file may hold: tab, line feed, form feed, carriage return.
TEXT_CONTROLS = frozenset(b"\t\n\x0c\r")


@dataclass(frozen=True)
class Kind:
    content_type: str  # what the download is served as
    extension: str  # what the downloaded file's name ends with


PDF = Kind("application/pdf", "pdf")
PNG = Kind("image/png", "png")
JPEG = Kind("image/jpeg", "jpg")
ODT = Kind("application/vnd.oasis.opendocument.text", "odt")
DOCX = Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx")
TEXT = Kind("text/plain; charset=utf-8", "txt")
KINDS = (PDF, PNG, JPEG, ODT, DOCX, TEXT)


def _zip_kind(data: bytes) -> Kind | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODT_MIMETYPE) + 1).strip() == ODT_MIMETYPE:
                        return ODT
            if all(part in names for part in DOCX_PARTS):
                return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
            RuntimeError, ValueError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any((ord(c) < 32 and ord(c) not in TEXT_CONTROLS) or ord(c) == 127
                   for c in text)


def detect(data: bytes) -> Kind | None:
    """The allowed kind of these bytes, or None (refused)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    return TEXT if _is_text(data) else None
