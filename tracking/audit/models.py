"""The association's audit log (append-only). Schema: tenant."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from tracking.columns import staff_key


class AuditLog(models.Model):
    """Every read of a case or a clinical note, every change, every export. Append-only:
    a database trigger (migration 0002) refuses UPDATE and DELETE."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = staff_key(null=True, related_name="+")
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ("-at", "-id")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
