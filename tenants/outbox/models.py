"""Tasks waiting to be sent to the broker. Schema: public."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxTask(models.Model):
    """A Celery task a page asked for, written in the page's own transaction (public
    schema; tenants/outbox/services.py). It is sent to the broker after commit; while the broker is
    down it waits here, and the sweeper sends it once the broker is back. Holds ids and a
    schema name only, never personal data."""

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    schema_name = models.CharField(max_length=63)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # The id of the request that asked for it: the task's log lines carry it too.
    request_id = models.CharField(max_length=128, blank=True)

    class Meta:
        verbose_name = _("tâche à envoyer")
        verbose_name_plural = _("tâches à envoyer")
        indexes: ClassVar = [
            models.Index(fields=["created_at"], name="outbox_unsent",
                         condition=models.Q(sent_at__isnull=True)),
            models.Index(fields=["sent_at"], name="outbox_sent",
                         condition=models.Q(sent_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} ({self.schema_name})"
