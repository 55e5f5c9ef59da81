"""The Celery app. Every task carries the schema it was enqueued from
(tenant-schemas-celery adds it to the message headers) and runs in it."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun, worker_ready
from tenant_schemas_celery.app import CeleryApp

from relier_platform.requestid import request_id_var

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relier_platform.settings")

app = CeleryApp("relier")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Every room that has a tasks.py (tests/test_architecture.py checks none is forgotten).
TASK_PACKAGES = [
    "relier_platform", "billing", "onboarding", "onboarding.importing",
    "tenants.accounts", "tenants.networks", "tenants.offboarding", "tenants.outbox",
    "tenants.tenancy",
    "tracking.api", "tracking.cases", "tracking.handovers", "tracking.privacy", "tracking.todo",
    "tracking.webhooks",
    "tracking.workflows",
]
app.autodiscover_tasks(TASK_PACKAGES)


@worker_ready.connect
def _outbox_flush_on_start(**_kwargs: object) -> None:
    """A worker that starts (after an outage, a deploy) sends at once the tasks pages asked
    for while the broker was away (tenants/outbox/services.py), without waiting for beat."""
    try:
        app.send_task("tenants.outbox_flush_task", headers={"_schema_name": "public"},
                      ignore_result=True)
    except Exception:  # beat sends it again within the minute
        logging.getLogger(__name__).warning("outbox flush not sent at worker start",
                                            exc_info=True)


# --- The request id in task logs (platform/requestid.py) ---------------------------------
# A task sent while a request is being served carries that request's id in a message
# header (the outbox stores it for the tasks it sends later); the worker sets it for the
# task's duration, so the task's JSON log lines carry the same `request_id` as the
# request's. A task sent by a task passes its own on.
REQUEST_ID_HEADER = "relier_request_id"


@before_task_publish.connect
def _request_id_to_message(headers: dict[str, Any] | None = None, **_kwargs: object) -> None:
    if headers is not None and not headers.get(REQUEST_ID_HEADER):
        headers[REQUEST_ID_HEADER] = request_id_var.get()


@task_prerun.connect
def _request_id_from_message(task: Any = None, **_kwargs: object) -> None:
    headers = getattr(task.request, "headers", None) or {}
    value = headers.get(REQUEST_ID_HEADER) or task.request.get(REQUEST_ID_HEADER)
    task.request.relier_request_token = request_id_var.set(value or None)


@task_postrun.connect
def _request_id_forget(task: Any = None, **_kwargs: object) -> None:
    token = getattr(task.request, "relier_request_token", None)
    if token is not None:
        request_id_var.reset(token)
