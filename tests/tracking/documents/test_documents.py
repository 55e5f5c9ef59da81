"""Documents on a case: upload, download, withdrawal through the pages; the type read from
the bytes; bad input refused with a clear message and nothing stored (neither row nor
blob); encryption at rest; who may reach a document (nobody of another association, no
network coordinator, no volunteer, clinical ones psychologists only); every upload and
download audited."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.fernet import InvalidToken
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import override_settings
from django_tenants.utils import schema_context
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.keys.fields import association_keyring, keyring
from tenants.models import User
from tests.conftest import World, host_client, signed_in
from tests.tracking.documents.conftest import (
    DOCX,
    EXE,
    JPEG,
    ODT,
    PDF,
    PNG,
    TEXT,
    stored,
    upload,
    zipped,
)
from tests.tracking.factories import make_case
from tracking.documents import content
from tracking.documents.services import clean_file_name
from tracking.models import AuditLog, Case, CaseDocument, DocumentBlob

pytestmark = pytest.mark.django_db


def _case(world: World) -> Case:
    """A case of acme assigned to its psychologist (and so to no listener)."""
    return make_case(world.acme, world.acme_members["admin"], first_name="Sami",
                     staff=[world.acme_members["psychologist"]])


def _page(case: Case) -> str:
    return f"/dossiers/{case.pk}/documents/"


def _download(case: Case, document: CaseDocument) -> str:
    return f"/dossiers/{case.pk}/documents/{document.pk}/telecharger/"


# --- what a file is --------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), [
    (PDF, content.PDF), (PNG, content.PNG), (JPEG, content.JPEG), (ODT, content.ODT),
    (DOCX, content.DOCX), (TEXT, content.TEXT), ("Été\r\n\tfin".encode(), content.TEXT),
])
def test_allowed_kinds_are_read_from_the_bytes(data: bytes, expected: content.Kind) -> None:
    assert content.detect(data) == expected


@pytest.mark.parametrize("data", [
    EXE,  # a Windows executable, whatever its name
    b"\x7fELF\x02\x01\x01" + bytes(20),  # a Linux one
    zipped({"payload.exe": EXE}),  # a ZIP that is no document
    zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
    b"PK\x03\x04 not really a zip",
    b"texte\x00avec un octet nul",
    b"\xff\xfe\x00\x00 binaire",
    b"<script>\x1b[31m</script>",
])
def test_other_kinds_are_refused(data: bytes) -> None:
    assert content.detect(data) is None


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.binary(max_size=512) | st.builds(lambda head, tail: head + tail,
                                           st.sampled_from([b"PK\x03\x04", b"%PDF-",
                                                            b"\xff\xd8\xff", PNG[:8]]),
                                           st.binary(max_size=256)))
def test_any_bytes_get_an_answer_never_an_error(data: bytes) -> None:
    kind = content.detect(data)
    assert kind is None or kind in content.KINDS


def test_the_downloaded_name_ends_as_what_the_bytes_are() -> None:
    assert clean_file_name("../../etc/rapport.exe", content.PDF) == "rapport.pdf"
    assert clean_file_name('C:\\Users\\x\\bilan "final".pdf', content.PDF) == "bilan final.pdf"
    assert clean_file_name("notes", content.TEXT) == "notes.txt"
    assert clean_file_name("\x07.pdf", content.PDF) == "document.pdf"


# --- upload and download ---------------------------------------------------------------


def test_a_psychologist_uploads_and_downloads_a_document(world: World) -> None:
    case = _case(world)
    psychologist = world.acme_members["psychologist"]
    client = signed_in(psychologist, world.acme)
    page = client.get(_page(case))
    assert page.status_code == 200
    assert "Aucun document pour l'instant." in page.content.decode()
    sent = client.post(_page(case), {"file": SimpleUploadedFile(
        "Attestation Sami.exe", PDF, content_type="application/x-msdownload")}, follow=True)
    assert sent.status_code == 200
    assert "Document déposé." in sent.content.decode()
    with schema_context(world.acme.schema_name):
        (document,) = CaseDocument.objects.all()
        assert (document.file_name, document.content_type, document.size, document.clinical,
                document.uploaded_by_id) == ("Attestation Sami.pdf", "application/pdf",
                                             len(PDF), False, psychologist.pk)
        assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    assert "Attestation Sami.pdf" in sent.content.decode()
    got = client.get(_download(case, document))
    assert got.status_code == 200
    assert got.content == PDF
    assert got["Content-Type"] == "application/pdf"
    assert got["Content-Disposition"] == (
        "attachment; filename=\"Attestation Sami.pdf\"; "
        "filename*=UTF-8''Attestation%20Sami.pdf")
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Cache-Control"] == "no-store, private"
    with schema_context(world.acme.schema_name):
        entries = list(AuditLog.objects.filter(action__startswith="document.")
                       .order_by("id").values_list("action", "actor_id", "object_id",
                                                   "detail"))
    assert entries == [
        ("document.upload", psychologist.pk, str(case.pk),
         {"document": document.pk, "size": len(PDF), "type": "pdf", "clinical": False}),
        ("document.download", psychologist.pk, str(case.pk), {"document": document.pk}),
    ]


def test_the_case_page_links_to_its_documents(world: World) -> None:
    case = _case(world)
    page = signed_in(world.acme_members["coordinator"], world.acme).get(f"/dossiers/{case.pk}/")
    assert f'href="/dossiers/{case.pk}/documents/"' in page.content.decode()


def test_a_text_file_is_served_as_text_and_never_as_html(world: World) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["coordinator"], "coordinator", case,
                      b"<html><script>alert(1)</script></html>", "page.html")
    got = signed_in(world.acme_members["coordinator"], world.acme).get(
        _download(case, document))
    assert got["Content-Type"] == "text/plain; charset=utf-8"
    assert got["Content-Disposition"].startswith('attachment; filename="page.txt"')
    assert got["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_the_bytes_are_encrypted_at_rest(world: World) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["psychologist"], "psychologist", case,
                      TEXT, "compte-rendu.txt")
    with schema_context(world.acme.schema_name):
        (blob,) = DocumentBlob.objects.all()
        raw = bytes(blob.content)
        assert blob.name == document.blob_name
        assert blob.name.startswith("documents/")
    assert b"Sami" not in raw
    assert TEXT not in raw
    # Fernet (authenticated) with acme's own documents key: not the platform's key of the
    # encrypted columns, not beta's.
    assert association_keyring("documents", "a_acme").decrypt(raw) == TEXT
    for other in (keyring(), association_keyring("documents", "a_beta"),
                  association_keyring("handover", "a_acme")):
        with pytest.raises(InvalidToken):
            other.decrypt(raw)
    # Nor is the file's name stored in clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute('SELECT file_name FROM "a_acme".tracking_casedocument')
        (stored_name,) = cursor.fetchone()
    assert "compte-rendu" not in stored_name


def test_altered_bytes_are_never_served(world: World) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["coordinator"], "coordinator", case)
    with schema_context(world.acme.schema_name):
        blob = DocumentBlob.objects.get()
        token = bytearray(bytes(blob.content))
        token[-5] = ord("A") if token[-5] != ord("A") else ord("B")
        DocumentBlob.objects.filter(pk=blob.pk).update(content=bytes(token))
    client = signed_in(world.acme_members["coordinator"], world.acme)
    answer = client.get(_download(case, document), follow=True)
    assert answer.redirect_chain == [(_page(case), 302)]
    assert "Ce document est illisible" in answer.content.decode()
    assert PDF not in answer.content
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action="document.download").exists()


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "name", "message"), [
    (EXE, "certificat.pdf", "Ce type de fichier n'est pas accepté : déposez un PDF, une "
                            "image PNG ou JPEG, un document texte (ODT ou DOCX) ou un "
                            "fichier texte. Rien n'a été enregistré."),
    (zipped({"virus.exe": EXE}), "bulletin.docx", "Ce type de fichier n'est pas accepté"),
    (b"", "vide.pdf", "Le fichier est vide : rien n'a été enregistré."),
    (PDF + b"x" * 1024 * 1024, "gros.pdf",
     "Le fichier dépasse la taille maximale de 1 Mo : rien n'a été enregistré."),
    (None, "", "Choisissez un fichier à déposer."),
])
@override_settings(RELIER_DOCUMENTS_MAX_BYTES=1024 * 1024)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_stored(
        world: World, data: bytes | None, name: str, message: str) -> None:
    case = _case(world)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    form = {} if data is None else {"file": SimpleUploadedFile(name, data,
                                                              content_type="application/pdf")}
    sent = client.post(_page(case), form)
    assert sent.status_code == 400
    assert message.replace("'", "&#x27;") in sent.content.decode()
    assert stored(world.acme) == (0, 0)
    with schema_context(world.acme.schema_name):
        assert not AuditLog.objects.filter(action__startswith="document.").exists()


def test_the_size_limit_is_shown_in_megabytes(world: World) -> None:
    case = _case(world)
    page = signed_in(world.acme_members["psychologist"], world.acme).get(_page(case))
    assert "10 Mo au plus" in page.content.decode()


def test_the_page_is_in_english_too(world: World, english_catalogue: None) -> None:
    case = _case(world)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    client.cookies["django_language"] = "en"
    page = client.get(_page(case), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "Upload a document" in text
    assert "Déposer un document" not in text
    refused = client.post(_page(case), {"file": SimpleUploadedFile("a.pdf", EXE)},
                          HTTP_ACCEPT_LANGUAGE="en")
    assert "This type of file is not accepted" in refused.content.decode()


# --- who may reach a document ----------------------------------------------------------


@pytest.mark.parametrize("who", ["listener", "volunteer", "read_only", "beta_admin",
                                 "network_coordinator", "outsider", "anonymous"])
def test_nobody_else_reaches_a_document_by_its_url(
        world: World, network_coordinator: User, who: str) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["psychologist"], "psychologist", case,
                      TEXT, "secret.txt")
    people = {**world.acme_members, "beta_admin": world.beta_admin,
              "network_coordinator": network_coordinator, "outsider": world.outsider}
    client = host_client(world.acme) if who == "anonymous" else signed_in(people[who],
                                                                         world.acme)
    answers = [client.get(_page(case)), client.get(_download(case, document)),
               client.post(_page(case), {"file": SimpleUploadedFile("x.txt", b"intrus")}),
               client.post(f"{_page(case)}{document.pk}/retirer/", {"reason": "intrus"})]
    expected = {"anonymous": 302, "beta_admin": 403, "network_coordinator": 403,
                "outsider": 403}.get(who, 404)
    assert [a.status_code for a in answers] == [expected] * len(answers)
    for answer in answers:
        assert TEXT not in answer.content
        assert b"secret.txt" not in answer.content
    assert stored(world.acme) == (1, 1)
    with schema_context(world.acme.schema_name):
        assert CaseDocument.objects.get().withdrawn_at is None
        assert list(AuditLog.objects.filter(action__startswith="document.")
                    .values_list("action", flat=True)) == ["document.upload"]


def test_another_associations_member_finds_nothing_with_the_right_ids_on_their_host(
        world: World) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["psychologist"], "psychologist", case)
    beta_case = make_case(world.beta, world.beta_admin)
    client = signed_in(world.beta_admin, world.beta)
    for path in (_page(case), _download(case, document),
                 f"/dossiers/{beta_case.pk}/documents/{document.pk}/telecharger/"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert PDF not in answer.content
    assert stored(world.beta) == (0, 0)


def test_a_document_of_another_case_is_not_reached_through_a_readable_case(
        world: World) -> None:
    mine = _case(world)
    other = make_case(world.acme, world.acme_members["admin"], first_name="Autre")
    document = upload(world.acme, world.acme_members["coordinator"], "coordinator", other)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    assert client.get(_download(mine, document)).status_code == 404


def test_clinical_documents_are_for_psychologists_only(world: World) -> None:
    case = _case(world)
    psychologist = world.acme_members["psychologist"]
    client = signed_in(psychologist, world.acme)
    client.post(_page(case), {"file": SimpleUploadedFile("bilan-psy.pdf", PDF),
                              "clinical": "on"})
    with schema_context(world.acme.schema_name):
        document = CaseDocument.objects.get()
    assert document.clinical is True
    assert client.get(_download(case, document)).status_code == 200
    coordinator = signed_in(world.acme_members["coordinator"], world.acme)
    page = coordinator.get(_page(case)).content.decode()
    assert "bilan-psy" not in page
    assert "1 document clinique, réservé aux psychologues, n'est pas affiché." in page
    assert coordinator.get(_download(case, document)).status_code == 404
    assert coordinator.post(f"{_page(case)}{document.pk}/retirer/",
                            {"reason": "x"}).status_code == 404
    # A coordinator may not mark one clinical: nothing stored.
    refused = coordinator.post(_page(case), {"file": SimpleUploadedFile("a.pdf", PDF),
                                             "clinical": "on"})
    assert refused.status_code == 400
    assert "Seuls les psychologues déposent un document clinique." in refused.content.decode()
    assert stored(world.acme) == (1, 1)


# --- withdrawal --------------------------------------------------------------------------


def test_a_withdrawal_is_recorded_and_destroys_the_bytes(world: World) -> None:
    case = _case(world)
    document = upload(world.acme, world.acme_members["psychologist"], "psychologist", case)
    coordinator = world.acme_members["coordinator"]
    client = signed_in(coordinator, world.acme)
    refused = client.post(f"{_page(case)}{document.pk}/retirer/", {"reason": "  "},
                          follow=True)
    assert "Indiquez pourquoi le document est retiré." in refused.content.decode()
    assert stored(world.acme) == (1, 1)
    done = client.post(f"{_page(case)}{document.pk}/retirer/",
                       {"reason": "Déposé sur le mauvais dossier"}, follow=True)
    text = done.content.decode()
    assert "Document retiré : son contenu a été détruit." in text
    assert "Déposé sur le mauvais dossier" in text
    with schema_context(world.acme.schema_name):
        kept = CaseDocument.objects.get()
        assert (kept.withdrawn_by_id, kept.withdrawal_reason) == (
            coordinator.pk, "Déposé sur le mauvais dossier")
        assert kept.withdrawn_at is not None
        assert kept.destroyed_at == kept.withdrawn_at
        assert not DocumentBlob.objects.exists()
        assert AuditLog.objects.filter(action="document.withdraw", actor_id=coordinator.pk,
                                       detail__document=kept.pk).count() == 1
    assert client.get(_download(case, document)).status_code == 404


def test_an_upload_without_the_csrf_token_is_refused(world: World) -> None:
    case = _case(world)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    client.handler.enforce_csrf_checks = True
    sent = client.post(_page(case), {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert sent.status_code == 403
    assert stored(world.acme) == (0, 0)


@override_settings(RELIER_DOCUMENTS_MAX_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_dropped_while_it_arrives(world: World) -> None:
    """The upload handler keeps nothing past the limit: the page says so."""
    from tracking.documents.uploads import SizeLimitHandler

    handler = SizeLimitHandler(None, 1024)  # type: ignore[arg-type]
    assert handler.receive_data_chunk(b"x" * 1024, 0) == b"x" * 1024
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"x", 1024)
    assert handler.exceeded
    case = _case(world)
    client = signed_in(world.acme_members["psychologist"], world.acme)
    sent = client.post(_page(case), {"file": SimpleUploadedFile(
        "gros.pdf", PDF + b"x" * 3 * 1024 * 1024), "clinical": "on"})
    assert sent.status_code == 400
    assert ("Le fichier dépasse la taille maximale de 1 Mo : rien n&#x27;a été enregistré."
            in sent.content.decode())
    assert stored(world.acme) == (0, 0)


def test_the_documents_page_reads_as_many_rows_in_as_many_queries(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = _case(world)
    psychologist = world.acme_members["psychologist"]
    client = signed_in(psychologist, world.acme)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(_page(case)).status_code == 200
        return len(captured)

    upload(world.acme, psychologist, "psychologist", case, TEXT, "un.txt")
    queries()  # warm: the session, the host's association
    few = queries()
    for index in range(4):
        upload(world.acme, psychologist, "psychologist", case, TEXT, f"doc-{index}.txt",
               clinical=index % 2 == 0)
    assert queries() == few
