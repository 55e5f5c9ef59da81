"""The purge of expired rate-limit windows, from Celery beat."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name

from relier_platform.celery import app

# --- Rate limits (tenants/accounts/ratelimit.py) --------------------------------------------------


@app.task(name="tenants.ratelimit_purge_task")
def ratelimit_purge_task() -> int:
    """Hourly: remove the rate-limit windows that have ended."""
    from django_tenants.utils import schema_context

    from tenants.accounts.ratelimit import ratelimit_purge

    with schema_context(get_public_schema_name()):
        return ratelimit_purge()
