"""The outbox's sweeper, every minute from Celery beat (and when a worker starts)."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name

from relier_platform.celery import app

# --- Outbox (tenants/outbox/services.py) ----------------------------------------------------------


@app.task(name="tenants.outbox_flush_task")
def outbox_flush_task() -> int:
    """Every minute (beat) and when a worker starts: send what waited for the broker."""
    from django_tenants.utils import schema_context

    from tenants.outbox.services import outbox_flush

    with schema_context(get_public_schema_name()):
        return outbox_flush()[0]
