"""Retention tasks (issue #8). The nightly job (Celery beat) runs in public: it purges the
platform's audit trail there, then enqueues one `retention_apply_task` per active
association, each run in that association's schema (tenant-schemas-celery stamps the
schema it was sent from; the task also takes the name and refuses to run anywhere else).
Both are idempotent: running them twice the same night changes nothing more."""

from __future__ import annotations

from dataclasses import asdict

from django_tenants.utils import get_public_schema_name, schema_context

from relier_platform.celery import app
from relier_platform.tenancy import current_schema


@app.task(name="tracking.retention_apply_task")
def retention_apply_task(schema_name: str) -> dict[str, int]:
    """Archive, anonymise and purge in one association; returns what was done."""
    from tracking.privacy.retention import retention_apply

    if current_schema() != schema_name:
        raise RuntimeError("retention_apply_task ran outside its association's schema")
    return asdict(retention_apply())


@app.task(name="tracking.retention_all_task")
def retention_all_task() -> int:
    """Nightly, in public: the platform audit purge, then one task per association."""
    from tenants.accounts.selectors import association_list
    from tenants.tenancy.retention import platform_audit_purge

    if current_schema() != get_public_schema_name():
        raise RuntimeError("retention_all_task must run in the public schema")
    platform_audit_purge()
    schemas = list(association_list().filter(is_active=True)
                   .values_list("schema_name", flat=True))
    for schema in schemas:
        with schema_context(schema):
            retention_apply_task.delay(schema)
    return len(schemas)
