"""Helpers of the documents tests: small real files of every allowed kind, and documents
uploaded through the service."""

from __future__ import annotations

import io
import zipfile

import pytest
from django_tenants.utils import schema_context

from tenants.models import Association, Network, User
from tenants.networks.services import network_coordinator_add
from tests.tracking.factories import actor
from tracking.documents.services import document_upload
from tracking.models import Case, CaseDocument, DocumentBlob

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
       b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n"
       b"% Attestation-de-Sami-Lefort\n%%EOF\n")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13) + b"image-secrete"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"photo-secrete" + b"\xff\xd9"
TEXT = "Compte rendu de l'équipe éducative : Sami va mieux.\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48) + b"PE\x00\x00"


def zipped(entries: dict[str, bytes]) -> bytes:
    sink = io.BytesIO()
    with zipfile.ZipFile(sink, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return sink.getvalue()


ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text",
              "content.xml": b"<office:document-content/>"})
DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})


def upload(association: Association, user: User, role: str, case: Case, data: bytes = PDF,
           name: str = "attestation.pdf", *, clinical: bool = False) -> CaseDocument:
    with schema_context(association.schema_name):
        return document_upload(actor=actor(user, role), case=case, upload=io.BytesIO(data),
                               file_name=name, clinical=clinical)


def stored(association: Association) -> tuple[int, int]:
    """(documents, blobs) in an association's schema."""
    with schema_context(association.schema_name):
        return CaseDocument.objects.count(), DocumentBlob.objects.count()


@pytest.fixture
def network_coordinator() -> User:
    user = User.objects.create_user("coord-documents@reseau.example", password="x" * 12)
    network = Network.objects.create(name="Réseau des documents")
    network_coordinator_add(actor=None, network=network, user=user)
    return user
