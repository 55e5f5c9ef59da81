"""Platform tasks (run in whichever schema they were enqueued from)."""

from __future__ import annotations

from relier_platform.celery import app
from relier_platform.tenancy import current_schema


@app.task(name="platform.current_schema_task")
def current_schema_task() -> str:
    """Report the schema the worker switched to: used by health checks and tests."""
    return current_schema()


@app.task(name="platform.log_context_task")
def log_context_task() -> dict[str, str | None]:
    """Report what the task's log lines carry (schema, request id): used by tests."""
    from relier_platform.requestid import request_id_var

    return {"schema": current_schema(), "request_id": request_id_var.get()}
