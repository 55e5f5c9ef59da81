"""Imports of an association's existing data (CSV, XLSX, Monday.com board exports).

Schema: tenant. An import run, the file it reads (kept in this table, so in the
association's own schema and nowhere else, and emptied once the import is committed) and
its report live with the records they create. The code that reads and writes lives in
`onboarding/importing/`.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracking.cases.models import staff_key


class ImportRun(models.Model):
    """One file brought in by an admin: its column mapping, its dry run, its commit."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("À faire correspondre")
        VALIDATING = "validating", _("Vérification en cours")
        VALIDATED = "validated", _("Vérifié")
        COMMITTING = "committing", _("Import en cours")
        COMMITTED = "committed", _("Importé")
        FAILED = "failed", _("Refusé")

    class Format(models.TextChoices):
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")
        MONDAY = "monday", _("Export Monday.com (XLSX)")

    created_at = models.DateTimeField(default=timezone.now)
    created_by = staff_key(
                                   related_name="+")
    file_name = models.CharField(_("fichier"), max_length=255)
    file_size = models.PositiveIntegerField(default=0)
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    # The file itself, until it is committed (then emptied: the report stays).
    content = models.BinaryField(default=bytes)
    status = models.CharField(_("état"), max_length=12, choices=Status.choices,
                              default=Status.UPLOADED)
    # [{"index": 0, "header": "Nom", "samples": [...], "values": [...], "more": false}]
    columns = models.JSONField(default=list)
    # {"<column index>": "<target>"}; {"<column index>": {"<folded value>": "<code>"}}
    mapping = models.JSONField(default=dict)
    value_mapping = models.JSONField(default=dict)
    total_rows = models.PositiveIntegerField(default=0)
    # Row-level problems of the last dry run or commit: [{"row", "column", "value",
    # "message"}], the first MAX_STORED_ERRORS of them; `error_count` counts them all.
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    to_create = models.PositiveIntegerField(default=0)
    to_update = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    partners_to_create = models.JSONField(default=list)
    validated_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    committed_by = staff_key(
                                     null=True, blank=True, related_name="+")
    task_id = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("import")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.COMMITTING)
