"""The delivery of a webhook, as a Celery task (started by the outbox, then retried by
Celery with exponential back-off). It runs in the schema it was enqueued from
(tenant-schemas-celery), takes the schema name and refuses any other. A sweep every five
minutes (Celery beat, in public: one task per association) starts again the deliveries
whose retry was lost."""

from __future__ import annotations

from typing import Any

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tracking.webhooks.services import webhook_deliver, webhook_deliveries_resend


@app.task(name="tracking.webhook_deliver_task", bind=True, max_retries=None,
          ignore_result=True)
def webhook_deliver_task(self: Any, delivery_id: int, schema_name: str) -> str:
    """One attempt; another later (Celery's countdown, the delay the service chose) while
    the delivery has attempts left. Safe to run twice: a delivery already delivered or
    failed is skipped, a duplicate that comes before the planned retry too."""
    if current_schema() != schema_name:
        raise RuntimeError("webhook_deliver_task ran outside its association's schema")
    outcome = webhook_deliver(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        raise self.retry(countdown=outcome.retry_in)
    return outcome.status


@app.task(name="tracking.webhook_deliveries_sweep_task")
def webhook_deliveries_sweep_task(schema_name: str) -> int:
    """The association's pending deliveries long overdue, started again (idempotent)."""
    if current_schema() != schema_name:
        raise RuntimeError("webhook_deliveries_sweep_task ran outside its association's schema")
    return webhook_deliveries_resend()


@app.task(name="tracking.webhook_deliveries_sweep_all_task")
def webhook_deliveries_sweep_all_task() -> int:
    """Periodic (Celery beat), in public: one sweep per association, in its own schema."""
    from django_tenants.utils import schema_context

    from tenants.accounts.selectors import association_list

    schemas = list(association_list().filter(is_active=True)
                   .values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            webhook_deliveries_sweep_task.delay(schema)
    return len(schemas)
