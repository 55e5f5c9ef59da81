"""The Celery app. Every task carries the schema it was enqueued from
(tenant-schemas-celery adds it to the message headers) and runs in it."""

from __future__ import annotations

import logging
import os

from celery.signals import worker_ready
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relier_platform.settings")

app = CeleryApp("relier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["relier_platform", "tenants", "tracking", "billing", "onboarding"])
# Modules of tasks not named tasks.py.
app.autodiscover_tasks(["onboarding"], related_name="tasks_import")
app.autodiscover_tasks(["tracking"], related_name="tasks_retention")


@worker_ready.connect
def _outbox_flush_on_start(**_kwargs: object) -> None:
    """A worker that starts (after an outage, a deploy) sends at once the tasks pages asked
    for while the broker was away (tenants/outbox.py), without waiting for beat."""
    try:
        app.send_task("tenants.outbox_flush_task", headers={"_schema_name": "public"},
                      ignore_result=True)
    except Exception:  # beat sends it again within the minute
        logging.getLogger(__name__).warning("outbox flush not sent at worker start",
                                            exc_info=True)
