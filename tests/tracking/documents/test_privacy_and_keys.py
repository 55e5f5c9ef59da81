"""Documents and the person's rights: in the GDPR export (their bytes; clinical ones only
as existing), destroyed by erasure — no blob left in the store, no name, nothing of the
plaintext anywhere in the schema; and re-encrypted by the key rotation."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.fernet import InvalidToken
from django.db import connection
from django_tenants.utils import schema_context

from tenants.keys.fields import association_primary, keyring, primary
from tenants.keys.rotation import rotate_schema
from tests.conftest import World, signed_in
from tests.tenants.keys.test_key_rotation import KEY_B, KEY_C, fernet, keys
from tests.tracking.documents.conftest import PDF, TEXT, stored, upload
from tests.tracking.factories import actor, make_case
from tracking.documents.services import document_withdraw
from tracking.models import AuditLog, Case, CaseDocument, DocumentBlob
from tracking.privacy.services import case_anonymise, case_export

pytestmark = pytest.mark.django_db
SECRET_TEXT = b"Bilan scolaire de Sami Lefort-Documents, classe de 4e B."


def _case_with_documents(world: World) -> tuple[Case, list[CaseDocument]]:
    admin, psychologist = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin, first_name="Sami", staff=[psychologist])
    kept = upload(world.acme, admin, "admin", case, SECRET_TEXT, "bilan-Sami.txt")
    clinical = upload(world.acme, psychologist, "psychologist", case, PDF,
                      "evaluation-psy.pdf", clinical=True)
    gone = upload(world.acme, admin, "admin", case, TEXT, "erreur.txt")
    with schema_context(world.acme.schema_name):
        document_withdraw(actor=actor(admin, "admin"), document=gone, reason="Doublon")
    return case, [kept, clinical, gone]


def test_the_export_holds_the_documents(world: World) -> None:
    case, (kept, _clinical, _gone) = _case_with_documents(world)
    with schema_context(world.acme.schema_name):
        data = case_export(actor=actor(world.acme_members["coordinator"], "coordinator"),
                           case=Case.objects.get(pk=case.pk), association_name="Acme")
    parts = data["documents"]
    assert [(d["nom"], d["type"], d["taille"], d["clinique"], d["retire_le"] is not None)
            for d in parts] == [
        ("bilan-Sami.txt", "text/plain; charset=utf-8", len(SECRET_TEXT), False, False),
        (None, "application/pdf", len(PDF), True, False),
        ("erreur.txt", "text/plain; charset=utf-8", len(TEXT), False, True),
    ]
    assert base64.b64decode(parts[0]["contenu_base64"]) == SECRET_TEXT
    # A clinical document is told to exist, its content is asked of the psychologist;
    # a withdrawn one no longer has any.
    assert "contenu_base64" not in parts[1]
    assert "contenu_base64" not in parts[2]
    json.dumps(data)  # JSON-ready
    audit = {a["action"] for a in data["journal_d_audit"]}
    assert {"document.upload", "document.withdraw"} <= audit
    assert kept.case_id == case.pk


def test_the_printable_export_lists_the_documents(world: World) -> None:
    case, _documents = _case_with_documents(world)
    from tests.tracking.privacy.test_privacy import _reauthenticated

    client = _reauthenticated(world.acme_members["admin"], world)
    page = client.get(f"/dossiers/{case.pk}/rgpd/export/").content.decode()
    assert "bilan-Sami.txt" in page
    assert "document clinique : à demander au psychologue" in page
    assert "evaluation-psy" not in page
    raw = client.get(f"/dossiers/{case.pk}/rgpd/export.json")
    assert raw.status_code == 200
    assert base64.b64encode(SECRET_TEXT).decode() in raw.content.decode()


def _plaintext_anywhere(schema: str, needles: list[bytes]) -> list[str]:
    """Every text and binary column of every tracking table, raw; and every blob left,
    decrypted."""
    hits = []
    with connection.cursor() as cursor:
        cursor.execute("""SELECT table_name, column_name, data_type
                          FROM information_schema.columns
                          WHERE table_schema = %s AND table_name LIKE 'tracking%%'
                            AND data_type IN ('character varying', 'text', 'jsonb', 'bytea')""",
                       [schema])
        for table, column, data_type in cursor.fetchall():
            value = (f"encode(\"{column}\", 'escape')" if data_type == "bytea"
                     else f"\"{column}\"::text")
            cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}" '
                           f"WHERE {value} LIKE ANY(%s)",
                           [[f"%{n.decode()}%" for n in needles]])
            if cursor.fetchone()[0]:
                hits.append(f"{table}.{column}")
    return hits


def test_erasure_destroys_every_blob_and_name(world: World) -> None:
    case, documents = _case_with_documents(world)
    admin = world.acme_members["admin"]
    assert stored(world.acme) == (3, 2)
    page = signed_in(admin, world.acme).post(f"/dossiers/{case.pk}/rgpd/anonymiser/",
                                             {"confirmation": case.code})
    assert "2 documents détruits (leur contenu, leur nom)" in page.content.decode()
    with schema_context(world.acme.schema_name):
        case_anonymise(actor=actor(admin, "admin"), case=Case.objects.get(pk=case.pk),
                       confirmation=case.code, confirmation_again=case.code)
        # On the store itself: no blob at all is left.
        assert not DocumentBlob.objects.exists()
        rows = list(CaseDocument.objects.order_by("pk"))
        assert [(d.file_name, d.sha256, d.withdrawal_reason) for d in rows] == [("", "", "")] * 3
        assert all(d.destroyed_at is not None for d in rows)
        assert [d.size for d in rows] == [d.size for d in documents]  # statistics stay
        entry = AuditLog.objects.get(action="privacy.anonymise")
        assert entry.detail["documents_destroyed"] == 2
    assert _plaintext_anywhere("a_acme", [b"Sami Lefort", b"bilan-Sami", b"evaluation-psy",
                                          b"Attestation-de-Sami"]) == []
    client = signed_in(world.acme_members["psychologist"], world.acme)
    for document in documents:
        got = client.get(f"/dossiers/{case.pk}/documents/{document.pk}/telecharger/")
        assert got.status_code == 404


def test_a_refused_erasure_destroys_nothing(world: World) -> None:
    case, _documents = _case_with_documents(world)
    with schema_context(world.acme.schema_name), pytest.raises(Exception, match="Confirmation"):
        case_anonymise(actor=actor(world.acme_members["admin"], "admin"), case=case,
                       confirmation="non", confirmation_again="non")
    assert stored(world.acme) == (3, 2)


def test_key_rotation_re_encrypts_the_blobs(world: World) -> None:
    from django.conf import settings

    old = settings.SECRET_KEY
    case = make_case(world.acme, world.acme_members["admin"])
    document = upload(world.acme, world.acme_members["admin"], "admin", case, SECRET_TEXT,
                      "a.txt")
    with keys(KEY_B, fallbacks=[old]):
        result = rotate_schema("a_acme")
        assert result.committed
        assert result.unreadable_count == 0
        with schema_context("a_acme"):
            token = bytes(DocumentBlob.objects.get(name=document.blob_name).content)
        # Under acme's documents key derived from the new platform key.
        assert association_primary("documents", "a_acme").decrypt(token) == SECRET_TEXT
        with pytest.raises(InvalidToken):
            fernet(KEY_B).decrypt(token)
        again = rotate_schema("a_acme")  # nothing left to rewrite
        assert again.rewritten == 0
    with keys(KEY_B):  # the old key forgotten: still readable
        got = signed_in(world.acme_members["admin"], world.acme).get(
            f"/dossiers/{case.pk}/documents/{document.pk}/telecharger/")
        assert got.content == SECRET_TEXT


def test_a_blob_of_before_under_the_platform_key_is_read_then_moved_to_the_association_key(
        world: World) -> None:
    """Blobs written before the documents had their association's key (under the platform
    key of the encrypted columns) still download; rotation re-encrypts them."""
    case = make_case(world.acme, world.acme_members["admin"])
    document = upload(world.acme, world.acme_members["admin"], "admin", case, SECRET_TEXT,
                      "a.txt")
    with schema_context("a_acme"):
        DocumentBlob.objects.filter(name=document.blob_name).update(
            content=primary().encrypt(SECRET_TEXT))
    url = f"/dossiers/{case.pk}/documents/{document.pk}/telecharger/"
    client = signed_in(world.acme_members["admin"], world.acme)
    assert client.get(url).content == SECRET_TEXT
    result = rotate_schema("a_acme")
    assert (result.committed, result.unreadable_count) == (True, 0)
    with schema_context("a_acme"):
        token = bytes(DocumentBlob.objects.get(name=document.blob_name).content)
    assert association_primary("documents", "a_acme").decrypt(token) == SECRET_TEXT
    with pytest.raises(InvalidToken):
        keyring().decrypt(token)
    assert client.get(url).content == SECRET_TEXT


def test_a_blob_no_key_opens_stops_its_schema(world: World) -> None:
    from django.conf import settings

    old = settings.SECRET_KEY
    case = make_case(world.acme, world.acme_members["admin"], first_name="Zoé")
    document = upload(world.acme, world.acme_members["admin"], "admin", case, TEXT, "a.txt")
    foreign = fernet(KEY_C).encrypt(TEXT)
    with schema_context("a_acme"):
        DocumentBlob.objects.filter(name=document.blob_name).update(content=foreign)
    with keys(KEY_B, fallbacks=[old]):
        result = rotate_schema("a_acme")
    assert not result.committed
    assert [(u.table, u.row, u.column) for u in result.unreadable] == [
        ("tracking_casedocument", document.pk, "blob")]
    with schema_context("a_acme"):
        assert bytes(DocumentBlob.objects.get(name=document.blob_name).content) == foreign


def test_the_retentions_anonymisation_destroys_the_documents_too(world: World) -> None:
    from django.db import transaction
    from django.utils import timezone

    from tracking.privacy.retention import case_anonymise_for_retention

    case, _documents = _case_with_documents(world)
    with schema_context(world.acme.schema_name), transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        counts = case_anonymise_for_retention(case=locked, now=timezone.now())
    assert counts["documents_destroyed"] == 2
    assert stored(world.acme) == (3, 0)


def test_nothing_is_uploaded_on_an_erased_case(world: World) -> None:
    from relier_platform.errors import ApplicationError

    case, _documents = _case_with_documents(world)
    admin = world.acme_members["admin"]
    with schema_context(world.acme.schema_name):
        erased = case_anonymise(actor=actor(admin, "admin"), case=Case.objects.get(pk=case.pk),
                                confirmation=case.code, confirmation_again=case.code)
    with pytest.raises(ApplicationError, match="Action non autorisée"):
        upload(world.acme, admin, "admin", erased, TEXT, "apres.txt")
    assert stored(world.acme) == (3, 0)
