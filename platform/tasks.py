"""Platform tasks (run in whichever schema they were enqueued from)."""

from __future__ import annotations

from relier_platform.celery import app
from relier_platform.tenancy import current_schema


@app.task(name="platform.current_schema_task")
def current_schema_task() -> str:
    """Report the schema the worker switched to: used by health checks and tests."""
    return current_schema()
