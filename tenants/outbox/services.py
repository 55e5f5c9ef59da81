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

import enum
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from relier_platform.celery import REQUEST_ID_HEADER, app
from relier_platform.requestid import request_id_var
from relier_platform.tenancy import current_schema
from tenants.models import OutboxTask

log = logging.getLogger(__name__)

# A page waits at most this long for the broker before leaving its task to the sweeper.
SEND_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                     "interval_max": 0.2}
FLUSH_BATCH = 500
FLUSH_BATCHES = 20  # a sweep sends at most 10,000 rows; the next one goes on
# What a broker that does not answer raises (kombu wraps most in OperationalError).
BROKER_ERRORS: tuple[type[Exception], ...] = (
    KombuOperationalError, RedisConnectionError, RedisTimeoutError, OSError)


def enqueue(task: str, *, args: tuple[Any, ...] | list[Any] = (),
            kwargs: dict[str, Any] | None = None, schema: str | None = None) -> OutboxTask:
    """Start the task registered as `task` (its Celery name, "tenants.association_export_task")
    with `*args, **kwargs` in `schema` (default: the current one) once the current
    transaction commits — or at once outside a transaction. Arguments must be JSON values
    (ids, schema names), as Celery's messages are.

    This is the one seam between a service and the tasks: services name the task they
    start and never import a tasks module (the tasks import the services), so no import
    cycle can form (tests/test_architecture.py). A name no worker knows is refused here,
    inside the caller's transaction, so the mistake cannot wait silently in the outbox."""
    if not registered(task):
        raise LookupError(f"no Celery task is registered as {task!r}")
    row = OutboxTask.objects.create(task_name=task, args=list(args),
                                    kwargs=dict(kwargs or {}),
                                    schema_name=schema or current_schema(),
                                    request_id=request_id_var.get() or "")
    pk = row.pk
    transaction.on_commit(lambda: _send_by_pk(pk), robust=True)
    return row


def registered(name: str) -> bool:
    """Whether a task of that name exists. The tasks modules are found by Celery's
    autodiscovery (relier_platform.celery.TASK_PACKAGES), which a web process runs only on
    its first need: here."""
    if name not in app.tasks:
        app.loader.import_default_modules()
    return name in app.tasks


class Sent(enum.Enum):
    YES = "sent"
    BROKER_DOWN = "broker down"  # try again later, and stop this sweep
    REFUSED = "refused"  # this row only (an unknown task, say): the others go on


def _send_by_pk(pk: int) -> None:
    if app.conf.task_always_eager:  # tests and benches: run it outside our transaction
        _run_eagerly(pk)
        return
    with transaction.atomic():
        row = (OutboxTask.objects.select_for_update(skip_locked=True)
               .filter(pk=pk, sent_at__isnull=True).first())
        if row is not None:
            _send(row)


def _publish(row: OutboxTask) -> None:
    headers = {"_schema_name": row.schema_name, REQUEST_ID_HEADER: row.request_id or None}
    registered(row.task_name)
    app.tasks[row.task_name].apply_async(
        row.args, row.kwargs, headers=headers, ignore_result=True, retry=True,
        retry_policy=SEND_RETRY_POLICY)


def _send(row: OutboxTask) -> Sent:
    """Send one locked row; on failure, note it on the row and leave it for later."""
    try:
        _publish(row)
    except BROKER_ERRORS as error:
        log.warning("task %s (outbox %s) not sent, left for the sweeper: %s",
                    row.task_name, row.pk, error)
        _failed(row, error)
        return Sent.BROKER_DOWN
    except Exception as error:  # a fault of this row (unknown task...): logged as an error
        log.exception("task %s (outbox %s) refused; the other tasks go on",
                      row.task_name, row.pk)
        _failed(row, error)
        return Sent.REFUSED
    OutboxTask.objects.filter(pk=row.pk).update(sent_at=timezone.now(),
                                                attempts=F("attempts") + 1)
    return Sent.YES


def _failed(row: OutboxTask, error: Exception) -> None:
    OutboxTask.objects.filter(pk=row.pk).update(
        attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:300])


def _run_eagerly(pk: int) -> None:
    """With task_always_eager (tests, benches), the task runs where it is sent: mark the
    row and commit first, so that the task runs with no transaction of ours around it,
    as it would in a worker."""
    with transaction.atomic():
        row = (OutboxTask.objects.select_for_update(skip_locked=True)
               .filter(pk=pk, sent_at__isnull=True).first())
        if row is None:
            return
        OutboxTask.objects.filter(pk=pk).update(sent_at=timezone.now(),
                                                attempts=F("attempts") + 1)
    _publish(row)


def outbox_flush(*, limit: int = FLUSH_BATCH, batches: int = FLUSH_BATCHES) -> tuple[int, int]:
    """Send the rows still waiting, oldest first, batch after batch; purge rows sent long
    ago. Returns (sent, still waiting). Stops at the first broker failure (it is still
    away); a row refused for itself is noted and skipped until the next sweep."""
    sent, skipped = 0, 0
    for _batch in range(batches):
        with transaction.atomic():
            rows = list(OutboxTask.objects.select_for_update(skip_locked=True)
                        .filter(sent_at__isnull=True).order_by("pk")[skipped:skipped + limit])
            outcomes = []
            for row in rows:
                outcome = _send(row)
                if outcome is Sent.BROKER_DOWN:
                    break
                outcomes.append(outcome)
        sent += outcomes.count(Sent.YES)
        skipped += outcomes.count(Sent.REFUSED)
        if len(outcomes) < len(rows) or len(rows) < limit:
            break  # the broker is away, or nothing is left
    if sent:
        log.info("outbox: %s waiting task(s) sent", sent)
    keep = timezone.now() - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    OutboxTask.objects.filter(sent_at__lt=keep).delete()
    return sent, OutboxTask.objects.filter(sent_at__isnull=True).count()


def outbox_waiting() -> int:
    """How many tasks wait for the broker (`manage.py outbox_flush` prints it)."""
    return OutboxTask.objects.filter(sent_at__isnull=True).count()
