"""Closing an association, as Celery tasks: the export, the leftovers sweep, the end of the
subscription. All are idempotent."""

from __future__ import annotations

from django_tenants.utils import get_public_schema_name

from relier_platform.celery import app

# --- Offboarding (tenants/offboarding/services.py) ------------------------------------------------


@app.task(name="tenants.association_export_task", bind=True, max_retries=3)
def association_export_task(self: object, association_id: int) -> str:
    """Make a closing association's export; safe to run twice. Returns its SHA-256."""
    from django_tenants.utils import schema_context

    from tenants.offboarding.services import association_export_build

    with schema_context(get_public_schema_name()):
        return association_export_build(association_id=association_id).export_sha256


@app.task(name="tenants.export_leftovers_task")
def export_leftovers_task() -> int:
    """Nightly: remove export folders no closing association owns (tenants/offboarding)."""
    from django_tenants.utils import schema_context

    from tenants.offboarding.services import export_leftovers_remove

    with schema_context(get_public_schema_name()):
        return len(export_leftovers_remove())


@app.task(name="tenants.association_closure_billing_task", bind=True, max_retries=5,
          default_retry_delay=60)
def association_closure_billing_task(self: object, association_id: int) -> bool:
    """Stripe follows the association's state now (closing: the subscription ends with
    its period; active again: it goes on), whatever order the requests came in."""
    from django_tenants.utils import schema_context

    from billing import gateway
    from billing.closure import subscription_closure_sync

    with schema_context(get_public_schema_name()):
        try:
            return subscription_closure_sync(association_id=association_id)
        except gateway.TEMPORARY_ERRORS as error:
            raise self.retry(exc=error) from error  # type: ignore[attr-defined]
