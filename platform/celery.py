"""The Celery app. Every task carries the schema it was enqueued from
(tenant-schemas-celery adds it to the message headers) and runs in it."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relier_platform.settings")

app = CeleryApp("relier")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["relier_platform", "tenants", "tracking", "billing", "onboarding"])
# Modules of tasks not named tasks.py.
app.autodiscover_tasks(["onboarding"], related_name="tasks_import")
app.autodiscover_tasks(["tracking"], related_name="tasks_retention")
