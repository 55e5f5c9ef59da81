"""Platform tasks (run in whichever schema they were enqueued from)."""

from __future__ import annotations

from django.db import connection

from relier_platform.celery import app


@app.task(name="platform.current_schema_task")
def current_schema_task() -> str:
    """Report the schema the worker switched to: used by health checks and tests."""
    return str(connection.schema_name)
