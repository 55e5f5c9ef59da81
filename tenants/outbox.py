"""Tasks a page starts, sent even when the broker is down (public schema: OutboxTask).

A page that starts a Celery task (a large import, a sign-up's provisioning, a referral's
notice, a Stripe event, a closure's export...) calls `enqueue` inside its transaction. The
task is written to the outbox table in that same transaction, so it exists exactly when the
page's data does; after commit it is sent to the broker at once. If Redis does not answer,
the page still succeeds: the row waits, and `outbox_flush` — every minute from Celery beat,
and when a worker starts — sends it once the broker is back.

Each row is sent under a row lock (`select_for_update(skip_locked=True)`), by the page or by
the sweeper, never both. A process killed between the send and the mark could send a row
twice: the tasks are idempotent (house style), so that costs a no-op run, not a double
effect. Rows sent more than OUTBOX_KEEP_DAYS ago are purged by the sweeper; unsent rows are
never purged."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from relier_platform.celery import REQUEST_ID_HEADER, app
from relier_platform.requestid import request_id_var
from relier_platform.tenancy import current_schema
from tenants.models import OutboxTask

log = logging.getLogger(__name__)

# A page waits at most this long for the broker before leaving its task to the sweeper.
SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                     "interval_max": 0.2}
FLUSH_BATCH = 500


def enqueue(task: Task, *, args: tuple[Any, ...] | list[Any] = (),
            kwargs: dict[str, Any] | None = None, schema: str | None = None) -> OutboxTask:
    """Start `task(*args, **kwargs)` in `schema` (default: the current one) once the
    current transaction commits — or at once outside a transaction. Arguments must be
    JSON values (ids, schema names), as Celery's messages are."""
    row = OutboxTask.objects.create(task_name=task.name, args=list(args),
                                    kwargs=dict(kwargs or {}),
                                    schema_name=schema or current_schema(),
                                    request_id=request_id_var.get() or "")
    pk = row.pk
    transaction.on_commit(lambda: _send_by_pk(pk), robust=True)
    return row


def _send_by_pk(pk: int) -> None:
    with transaction.atomic():
        row = (OutboxTask.objects.select_for_update(skip_locked=True)
               .filter(pk=pk, sent_at__isnull=True).first())
        if row is not None:
            _send(row)


def _send(row: OutboxTask) -> bool:
    """Send one locked row; on any failure, note it on the row and leave it for later."""
    try:
        task = app.tasks[row.task_name]
        headers = {"_schema_name": row.schema_name, REQUEST_ID_HEADER: row.request_id or None}
        task.apply_async(row.args, row.kwargs, headers=headers, ignore_result=True,
                         retry=True, retry_policy=SEND_RETRY_POLICY)
    except Exception as error:  # the broker's errors vary with the transport; all wait
        log.warning("task %s (outbox %s) not sent, left for the sweeper: %s",
                    row.task_name, row.pk, error)
        OutboxTask.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:300])
        return False
    OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(),
                                                attempts=F("attempts") + 1)
    return True


def outbox_flush(*, limit: int = FLUSH_BATCH) -> tuple[int, int]:
    """Send the rows still waiting, oldest first; purge rows sent long ago. Returns
    (sent, still waiting). Stops at the first failure: the broker is still away."""
    sent = 0
    with transaction.atomic():
        rows = list(OutboxTask.objects.select_for_update(skip_locked=True)
                    .filter(sent_at__isnull=True).order_by("pk")[:limit])
        for row in rows:
            if not _send(row):
                break
            sent += 1
    if sent:
        log.info("outbox: %s waiting task(s) sent", sent)
    keep = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    OutboxTask.objects.filter(sent_at__lt=keep).delete()
    return sent, OutboxTask.objects.filter(sent_at__isnull=True).count()


def outbox_waiting() -> int:
    """How many tasks wait for the broker (shown by /readyz)."""
    return OutboxTask.objects.filter(sent_at__isnull=True).count()
