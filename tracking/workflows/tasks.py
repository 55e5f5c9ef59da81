"""Reminders of overdue cases as Celery tasks: one run per association schema (each refuses
any other schema), started every quarter of an hour by the job that runs in public."""

from __future__ import annotations

from relier_platform.celery import app
from relier_platform.tenancy import current_schema


@app.task(name="tracking.overdue_reminders_task")
def overdue_reminders_task(schema_name: str) -> int:
    """Remind the staff of one association about its overdue cases (idempotent)."""
    from tracking.workflows.reminders import overdue_reminders_send

    if current_schema() != schema_name:
        raise RuntimeError("overdue_reminders_task ran outside its association's schema")
    return overdue_reminders_send(schema_name=schema_name)


@app.task(name="tracking.overdue_reminders_all_task")
def overdue_reminders_all_task() -> int:
    """Periodic (Celery beat), in public: one task per association, in its own schema."""
    from django_tenants.utils import schema_context

    from tenants.accounts.selectors import association_list

    schemas = list(association_list().filter(is_active=True)
                   .values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            overdue_reminders_task.delay(schema)
    return len(schemas)
