"""The API's nightly chore (Celery beat): stored idempotent answers are forgotten after a
day (tracking/api/services.py), in every association's schema."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from relier_platform.celery import app
from relier_platform.tenancy import current_schema
from tracking.api.services import idempotent_requests_purge


@app.task(name="tracking.api_idempotency_purge_all_task")
def api_idempotency_purge_all_task() -> int:
    """Nightly, in public: one DELETE per association schema; how many answers went."""
    from tenants.accounts.selectors import association_list
    from tenants.models import Association

    if current_schema() != get_public_schema_name():
        raise RuntimeError("api_idempotency_purge_all_task must run in the public schema")
    purged = 0
    open_ones = association_list().exclude(state=Association.State.CLOSED)  # schema dropped
    for schema in open_ones.values_list("schema_name", flat=True):
        with schema_context(schema):
            purged += idempotent_requests_purge()
    return purged
