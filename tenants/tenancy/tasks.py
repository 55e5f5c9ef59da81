"""Spare schemas kept ready for provisioning on Citus (tenants/tenancy/provisioning.py)."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name, schema_context

from relier_platform.celery import app


@app.task(name="tenants.spares_fill_task")
def spares_fill_task() -> dict[str, int]:
    """After each provisioning and every ten minutes (beat): drop the stale spares, clone
    the template until enough are ready (none on one server, unless configured)."""
    from tenants.tenancy.provisioning import spares_fill

    with schema_context(get_public_schema_name()):
        return spares_fill()
