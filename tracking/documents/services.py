"""Writes and reads of a case's documents: upload, download, withdrawal, and what the
privacy room needs (the export's part, the erasure's destruction). Schema: tenant.

Every refusal says why in French and leaves nothing behind: neither a row nor a blob."""

from __future__ import annotations

import base64
import hashlib
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relier_platform.errors import ApplicationError, ErrorCode
from tracking.audit.services import audit_record
from tracking.documents import content
from tracking.documents.models import CaseDocument
from tracking.documents.storage import (
    UnreadableBlobError,
    decrypt,
    documents_keyring,
    documents_primary,
    documents_storage,
    encrypt,
    is_transactional,
)
from tracking.models import Case
from tracking.permissions import Actor, Capability, case_editable_q, case_visible_q

MAX_NAME = 120
MAX_REASON = 200


def max_bytes() -> int:
    return int(settings.RELIER_DOCUMENTS_MAX_BYTES)


def max_megabytes() -> str:
    value = max_bytes() / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")


def too_big_message() -> str:
    return (_("Le fichier dépasse la taille maximale de %(max)s Mo : rien n'a été "
              "enregistré.") % {"max": max_megabytes()})


def _forbidden() -> ApplicationError:
    return ApplicationError(_("Action non autorisée."), code=ErrorCode.NOT_ALLOWED)


def clean_file_name(name: str, kind: content.Kind) -> str:
    """The name shown and downloaded: no folder, no control character, short, and ending
    with the extension of what the bytes are (a "rapport.exe" that is a PDF is
    "rapport.pdf")."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base)
                   if unicodedata.category(c)[0] != "C" and c not in '"<>:|?*')
    stem = base.rsplit(".", 1)[0].strip(" .") if "." in base else base.strip(" .")
    stem = stem[:MAX_NAME - len(kind.extension) - 1] or _("document")
    return f"{stem}.{kind.extension}"


def _read_limited(upload: Any) -> bytes:
    """The upload's bytes, refused beyond the limit without reading more than it."""
    limit = max_bytes()
    declared = getattr(upload, "size", None)
    too_big = ApplicationError(too_big_message(), code=ErrorCode.VALUE_RANGE, field="file")
    if declared is not None and declared > limit:
        raise too_big
    chunks, total = [], 0
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        total += len(chunk)
        if total > limit:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def can_upload(actor: Actor, case: Case) -> bool:
    return Case.objects.filter(case_editable_q(actor), pk=case.pk,
                               anonymised_at__isnull=True).exists()


def _lock_uploadable(actor: Actor, case: Case) -> bool:
    locked = (Case.objects.select_for_update()
              .filter(case_editable_q(actor), pk=case.pk, anonymised_at__isnull=True)
              .values_list("pk", flat=True))
    return bool(list(locked))


def document_upload(*, actor: Actor, case: Case, upload: Any, file_name: str,
                    clinical: bool = False, ip_address: str | None = None) -> CaseDocument:
    """Keep a file with a case: checked (size, kind read from its bytes), encrypted,
    stored, recorded and audited, all or nothing."""
    if not can_upload(actor, case):
        raise _forbidden()
    if clinical and not actor.can(Capability.CLINICAL):
        raise ApplicationError(_("Seuls les psychologues déposent un document clinique."),
                               code=ErrorCode.CLINICAL_FORBIDDEN, field="clinical")
    if upload is None:
        raise ApplicationError(_("Choisissez un fichier à déposer."),
                               code=ErrorCode.VALUE_RANGE, field="file")
    data = _read_limited(upload)
    if not data:
        raise ApplicationError(_("Le fichier est vide : rien n'a été enregistré."),
                               code=ErrorCode.VALUE_RANGE, field="file")
    kind = content.detect(data)
    if kind is None:
        raise ApplicationError(
            _("Ce type de fichier n'est pas accepté : déposez un PDF, une image PNG ou JPEG, "
              "un document texte (ODT ou DOCX) ou un fichier texte. Rien n'a été "
              "enregistré."), code=ErrorCode.NOT_ALLOWED, field="file")
    storage = documents_storage()
    blob_name = f"documents/{uuid.uuid4().hex}"
    token = encrypt(data)
    try:
        with transaction.atomic():
            # The case row locked: an erasure running meanwhile either finished (and this
            # upload is refused) or waits for it (and destroys this document too).
            if not _lock_uploadable(actor, case):
                raise _forbidden()
            storage.save(blob_name, ContentFile(token))
            document = CaseDocument.objects.create(
                case=case, file_name=clean_file_name(file_name, kind),
                content_type=kind.content_type, size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), blob_name=blob_name,
                clinical=clinical, uploaded_by_id=actor.id)
            audit_record(actor=actor, action="document.upload", obj=case,
                         ip_address=ip_address, document=document.pk, size=len(data),
                         type=kind.extension, clinical=clinical)
    except BaseException:
        if not is_transactional(storage):
            storage.delete(blob_name)
        raise
    return document


@dataclass(frozen=True)
class Download:
    file_name: str
    content_type: str
    data: bytes


def document_download(*, actor: Actor, document: CaseDocument,
                       ip_address: str | None = None) -> Download:
    """The document's plaintext, for someone the selectors let reach it; audited."""
    if document.clinical and not actor.can(Capability.CLINICAL):
        raise _forbidden()
    if document.destroyed_at is not None:
        raise ApplicationError(_("Ce document a été retiré."), code=ErrorCode.NOT_FOUND)
    unreadable = ApplicationError(
        _("Ce document est illisible : ses données stockées ont été altérées ou ne "
          "s'ouvrent plus avec les clés connues."), code=ErrorCode.CONFLICT)
    try:
        with documents_storage().open(document.blob_name) as stored:
            data = decrypt(stored.read())
    except (UnreadableBlobError, FileNotFoundError):
        raise unreadable from None
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise unreadable
    audit_record(actor=actor, action="document.download", obj=document.case,
                 ip_address=ip_address, document=document.pk)
    return Download(document.file_name, document.content_type, data)


def _destroy_blobs(names: list[str]) -> None:
    """Destroy blobs: in the transaction for the database storage; after the commit for
    a store outside it (a rolled-back erasure must not have destroyed anything)."""
    storage = documents_storage()
    if is_transactional(storage):
        for name in names:
            storage.delete(name)
        return

    def destroy() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(destroy)


def document_withdraw(*, actor: Actor, document: CaseDocument, reason: str,
                      ip_address: str | None = None) -> CaseDocument:
    """Withdraw a document (a wrong file, a wrong case, no longer needed): who, when and
    why are kept on its row; its bytes are destroyed at once — a file kept by mistake
    is not kept any longer (data minimisation), and nothing reads a withdrawn one."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Indiquez pourquoi le document est retiré."),
                               code=ErrorCode.VALUE_RANGE, field="reason")
    if len(reason) > MAX_REASON:
        raise ApplicationError(_("Le motif ne doit pas dépasser %(max)d caractères.")
                               % {"max": MAX_REASON}, code=ErrorCode.TEXT_TOO_LONG,
                               field="reason")
    if not can_upload(actor, document.case) or (
            document.clinical and not actor.can(Capability.CLINICAL)):
        raise _forbidden()
    with transaction.atomic():
        locked = CaseDocument.objects.select_for_update().get(pk=document.pk)
        if locked.withdrawn_at is not None:
            raise ApplicationError(_("Ce document a déjà été retiré."),
                                   code=ErrorCode.CONFLICT)
        now = timezone.now()
        locked.withdrawn_at, locked.withdrawn_by_id = now, actor.id
        locked.withdrawal_reason, locked.destroyed_at = reason, now
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason",
                                   "destroyed_at"])
        _destroy_blobs([locked.blob_name])
        audit_record(actor=actor, action="document.withdraw", obj=locked.case,
                     ip_address=ip_address, document=locked.pk)
    return locked


# --- For tracking.privacy: the GDPR export and the erasure -------------------------------


def export_part(case: Case) -> list[dict[str, Any]]:
    """The case's documents for its GDPR export (art. 15), made by an admin or a
    coordinator: each kept document's bytes (base64), clinical ones only as existing
    (neither name nor content: as for clinical notes, the person asks the psychologist),
    and the withdrawn ones as a record."""
    found = []
    storage = documents_storage()
    for document in CaseDocument.objects.filter(case=case).order_by("uploaded_at", "id"):
        entry: dict[str, Any] = {
            # A clinical document's name is the psychologists' too, as its content.
            "nom": None if document.clinical else document.file_name,
            "type": document.content_type,
            "taille": document.size, "depose_le": document.uploaded_at.isoformat(),
            "clinique": document.clinical,
            "retire_le": document.withdrawn_at.isoformat() if document.withdrawn_at else None,
        }
        if document.destroyed_at is None and not document.clinical:
            with storage.open(document.blob_name) as stored:
                entry["contenu_base64"] = base64.b64encode(decrypt(stored.read())).decode()
        found.append(entry)
    return found


def case_documents_erase(case: Case) -> int:
    """Erasure (art. 17), inside the caller's transaction: every blob of the case is
    destroyed and every name and digest blanked; the rows stay as anonymous records
    (type, size, dates). Returns how many documents still had their bytes."""
    documents = list(CaseDocument.objects.select_for_update().filter(case=case))
    names = [d.blob_name for d in documents if d.destroyed_at is None]
    now = timezone.now()
    for document in documents:
        document.file_name = ""  # type: ignore[assignment]
        document.sha256 = ""
        document.withdrawal_reason = ""
        document.destroyed_at = document.destroyed_at or now
        document.save(update_fields=["file_name", "sha256", "withdrawal_reason",
                                     "destroyed_at"])
    _destroy_blobs(names)
    return len(names)


# --- For tenants.offboarding: the closing association's exports ---------------------------


@dataclass(frozen=True)
class ClosureFile:
    document: CaseDocument
    path: str  # inside the ZIP: documents/<id>-<name>
    data: bytes


def closure_documents(*, clinical: bool, actor: Actor | None = None,
                      ) -> Iterator[ClosureFile]:
    """The kept documents of the current schema, decrypted, for a closure export: the
    non-clinical ones (the admins' export) or the clinical ones a psychologist may take
    away — on the cases they follow, or uploaded by them (tenants.offboarding.clinical)."""
    kept = CaseDocument.objects.filter(destroyed_at__isnull=True, clinical=clinical)
    if actor is not None:
        if not actor.can(Capability.CLINICAL):
            return
        visible = Case.objects.filter(case_visible_q(actor)).values("pk")
        kept = kept.filter(Q(case_id__in=visible) | Q(uploaded_by_id=actor.id))
    storage = documents_storage()
    for document in kept.order_by("pk").iterator(chunk_size=50):
        with storage.open(document.blob_name) as stored:
            data = decrypt(stored.read())
        yield ClosureFile(document, f"documents/{document.pk}-{document.file_name}", data)


def closure_clinical_count() -> int:
    return CaseDocument.objects.filter(destroyed_at__isnull=True, clinical=True).count()


# --- For tenants.keys.rotation: the blobs re-encrypted with the current key --------------


@dataclass
class BlobRotation:
    rewritten: int = 0
    current: int = 0
    unreadable: list[int] | None = None  # documents whose bytes no known key opens


def document_blobs_rotate(*, write: bool = True) -> BlobRotation:
    """In the current schema: every kept document's blob under an older key is
    re-encrypted with the association's primary documents key (one at a time: a blob is
    up to the size limit), through the storage — in the caller's transaction for the
    database storage; in an S3-compatible store each object is replaced as it goes (the
    old key still opens what was not rewritten yet, and a re-run resumes)."""
    result = BlobRotation(unreadable=[])
    storage = documents_storage()
    current, ring = documents_primary(), documents_keyring()
    kept = CaseDocument.objects.filter(destroyed_at__isnull=True).order_by("pk")
    for pk, name in kept.values_list("pk", "blob_name"):
        with storage.open(name) as stored:
            token = stored.read()
        try:
            current.decrypt(token)
        except InvalidToken:
            pass
        else:
            result.current += 1
            continue
        try:
            rotated = ring.rotate(token)
        except InvalidToken:
            result.unreadable.append(pk)  # type: ignore[union-attr]
            continue
        if write and not result.unreadable:
            storage.save(name, ContentFile(rotated))
        result.rewritten += 1
    return result
