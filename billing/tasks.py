"""Tasks of billing. Enqueued from the public site (the webhook), after a seat change, or
by the periodic sweep of unprocessed Stripe events: they run in the public schema, take
ids, and are safe to run twice."""

from __future__ import annotations

from typing import Any

from django.db import InterfaceError, OperationalError
from django_tenants.utils import get_public_schema_name, schema_context

from billing import gateway
from billing.services import (
    stripe_event_process,
    stripe_events_sweep,
    subscription_seats_sync,
)
from relier_platform.celery import app


@app.task(name="billing.stripe_event_process_task", bind=True, max_retries=5)
def stripe_event_process_task(self: Any, event_pk: int) -> str:
    """Apply one stored Stripe event; returns its id and whether it is processed."""
    try:
        event = stripe_event_process(event_pk=event_pk)
    except gateway.TEMPORARY_ERRORS as error:
        raise self.retry(exc=error, countdown=2 ** self.request.retries) from error
    return f"{event.event_id}:{'processed' if event.processed_at else 'pending'}"


@app.task(name="billing.subscription_seats_sync_task", bind=True, max_retries=5)
def subscription_seats_sync_task(self: Any, subscription_pk: int) -> int:
    """Set the Stripe quantity to the number of active members; returns it."""
    try:
        return subscription_seats_sync(subscription_pk=subscription_pk).quantity
    except gateway.TEMPORARY_ERRORS as error:
        raise self.retry(exc=error, countdown=2 ** self.request.retries) from error


@app.task(name="billing.stripe_events_sweep_task", bind=True, max_retries=3)
def stripe_events_sweep_task(self: Any) -> int:
    """Periodic (Celery beat), in public: send again the Stripe events whose processing has
    not succeeded, abandon (audited) the hopeless ones; returns how many were sent. Safe
    to run twice. A database that does not answer is tried again; beat runs it anyway."""
    with schema_context(get_public_schema_name()):
        try:
            return stripe_events_sweep().sent
        except (OperationalError, InterfaceError) as error:
            raise self.retry(exc=error, countdown=10) from error
