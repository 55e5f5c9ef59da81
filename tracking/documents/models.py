"""Documents of a case and the encrypted blobs of the database storage. Schema: tenant."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.cases.models import Case
from tracking.columns import EncryptedCharField, staff_key


class CaseDocument(models.Model):
    """A file kept with a case. Its bytes are in the documents storage under `blob_name`,
    encrypted; the file's name is encrypted too (it often names the young person). Never
    deleted: a withdrawal records who, when and why and destroys the blob; an erasure
    blanks the name and destroys the blob; the row stays as the record."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    file_name = EncryptedCharField(max_length=255)
    # Detected from the bytes at upload (tracking.documents.content), never from the name.
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("taille"))
    # SHA-256 of the plaintext, checked at every download; blanked by erasure.
    sha256 = models.CharField(max_length=64, blank=True, default="")
    blob_name = models.CharField(max_length=100, unique=True)
    # Psychologists only (Capability.CLINICAL): a report, an assessment.
    clinical = models.BooleanField(_("clinique"), default=False)
    uploaded_by = staff_key(related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = staff_key(null=True, blank=True, related_name="+")
    withdrawal_reason = models.CharField(max_length=200, blank=True, default="")
    # When the blob was destroyed (withdrawal or erasure): nothing is left in the storage.
    destroyed_at = models.DateTimeField(null=True, blank=True)

    # A clinical document's name is for psychologists only: exports made for anyone else
    # (the closing association's admins) blank it (tracking.permissions.clinical_row_columns).
    CLINICAL_WHEN = ("clinical", ("file_name",))

    class Meta:
        ordering = ("-uploaded_at", "-id")
        verbose_name = _("document")

    def __str__(self) -> str:
        return f"document {self.pk}"


class DocumentBlob(models.Model):
    """An encrypted document as the database storage keeps it (the default storage), in the
    association's own schema. Holds a Fernet token, never plaintext."""

    name = models.CharField(max_length=100, primary_key=True)
    content = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name
