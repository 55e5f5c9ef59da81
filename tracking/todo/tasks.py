"""The daily digest as Celery tasks: one run per association schema (each refuses any
other schema), started every morning by the job that runs in public (Celery beat)."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tracking.todo.services import digests_send


@app.task(name="tracking.todo_digests_send_task")
def todo_digests_send_task(schema_name: str) -> int:
    """E-mail the members of one association their digest of the day (once a day each)."""
    if current_schema() != schema_name:
        raise RuntimeError("todo_digests_send_task ran outside its association's schema")
    return digests_send(schema_name=schema_name)


@app.task(name="tracking.todo_digests_all_task")
def todo_digests_all_task() -> int:
    """Every morning, in public: one task per open association, in its own schema."""
    from tenants.accounts.selectors import association_list
    from tenants.models import Association

    if current_schema() != get_public_schema_name():
        raise RuntimeError("todo_digests_all_task must run in the public schema")
    schemas = list(association_list().filter(is_active=True)
                   .exclude(state=Association.State.CLOSED)
                   .values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            todo_digests_send_task.delay(schema)
    return len(schemas)
