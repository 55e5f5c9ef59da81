"""Stripe events left unprocessed after their task's retries are sent again by the periodic
sweep (billing.services.stripe_events_sweep), through the outbox, in public; the hopeless
ones are abandoned after SWEEP_MAX re-sends, audited and logged."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import stripe
from django.db.models import F
from django.utils import timezone
from freezegun import freeze_time

from billing import gateway
from billing.models import StripeEvent
from billing.services import SWEEP_AFTER, SWEEP_MAX
from billing.tasks import stripe_event_process_task, stripe_events_sweep_task
from relier_platform.celery import app
from tenants.models import AuditEntry, OutboxTask
from tests.billing.conftest import Prices, deliver, event_body, local
from tests.billing.test_webhooks import subscribe
from tests.conftest import SentTask, World

pytestmark = pytest.mark.django_db


def _sweep(capture: Any) -> int:
    """One run of the periodic task, its after-commit sends done."""
    with capture(execute=True):
        return int(stripe_events_sweep_task.run())


def _run(sent: list[SentTask]) -> list[Any]:
    """What the worker would do with the tasks sent: run each, in process."""
    return [app.tasks[task.name].run(*task.args) for task in sent]


def test_an_event_failed_past_its_retries_is_processed_by_the_sweep_once(
    world: World, stripe_on: Prices, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask],
) -> None:
    made = subscribe(world, stripe_on)
    stripe.SubscriptionItem.modify(made["items"]["data"][0]["id"], quantity=9,
                                   api_key="sk_test_relier")
    body = event_body("customer.subscription.updated", {"id": made["id"]},
                      event_id="evt_lost")
    with django_capture_on_commit_callbacks():  # its task is not sent here: run below
        assert deliver(body).status_code == 200
    event = StripeEvent.objects.get(event_id="evt_lost")

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise stripe.APIConnectionError("Stripe ne répond pas")

    with monkeypatch.context() as patched:
        patched.setattr(gateway, "subscription_retrieve", unreachable)
        result = stripe_event_process_task.apply(args=(event.pk,))  # retries run at once
    assert result.failed()
    event.refresh_from_db()
    assert (event.processed_at, event.attempts, event.error) == (
        None, 6, "APIConnectionError: Stripe ne répond pas")
    assert local(world.acme.pk).quantity == 6

    assert _sweep(django_capture_on_commit_callbacks) == 0  # too recent: its task may run
    assert tasks_sent == []
    StripeEvent.objects.filter(pk=event.pk).update(
        received_at=F("received_at") - SWEEP_AFTER - timedelta(seconds=1))

    first = _sweep(django_capture_on_commit_callbacks)
    second = _sweep(django_capture_on_commit_callbacks)
    assert (first, second) == (1, 0)
    assert tasks_sent == [SentTask("billing.stripe_event_process_task", (event.pk,), "public")]
    assert OutboxTask.objects.filter(task_name="billing.stripe_event_process_task",
                                     args=[event.pk], sent_at__isnull=False).count() == 1
    assert _run(tasks_sent) == ["evt_lost:processed"]
    event.refresh_from_db()
    assert (event.processed_at is not None, event.attempts, event.sweeps, event.error) == (
        True, 7, 1, "")
    assert local(world.acme.pk).quantity == 9

    # Processed: later sweeps leave it alone, and a second delivery of its task does nothing.
    event.refresh_from_db()
    with freeze_time(timezone.now() + timedelta(days=3)):
        assert _sweep(django_capture_on_commit_callbacks) == 0
    assert _run(tasks_sent) == ["evt_lost:processed"]
    assert len(tasks_sent) == 1
    assert StripeEvent.objects.get(pk=event.pk).attempts == 7
    assert AuditEntry.objects.filter(action="billing.subscription_synced",
                                     detail__quantity=9).count() == 1
    assert not AuditEntry.objects.filter(action="billing.stripe_event_abandoned").exists()


def test_an_event_that_keeps_failing_is_sent_again_then_abandoned_audited_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any, tasks_sent: list[SentTask],
) -> None:
    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise stripe.InvalidRequestError("No such subscription: 'sub_gone'", param="id")

    monkeypatch.setattr(gateway, "subscription_retrieve", refused)
    received = timezone.now() - SWEEP_AFTER
    event = StripeEvent.objects.create(
        event_id="evt_hopeless", type="customer.subscription.deleted", received_at=received,
        payload={"id": "evt_hopeless", "type": "customer.subscription.deleted",
                 "data": {"object": {"id": "sub_gone"}}})

    waits = []
    at = received + SWEEP_AFTER
    for sweep in range(1, SWEEP_MAX + 1):
        with freeze_time(at - timedelta(seconds=1)):
            assert _sweep(django_capture_on_commit_callbacks) == 0  # not due yet
        with freeze_time(at):
            assert _sweep(django_capture_on_commit_callbacks) == 1
        assert len(tasks_sent) == sweep
        # Not a temporary failure: the task fails at once (no retry), the sweep comes back.
        with pytest.raises(stripe.InvalidRequestError):
            _run(tasks_sent[-1:])
        event.refresh_from_db()
        assert (event.sweeps, event.attempts, event.processed_at) == (sweep, sweep, None)
        assert event.next_sweep_at is not None
        waits.append(event.next_sweep_at - at)
        at = event.next_sweep_at
    assert waits == [SWEEP_AFTER * 2 ** n for n in range(SWEEP_MAX)]

    with freeze_time(at):
        assert _sweep(django_capture_on_commit_callbacks) == 0
    event.refresh_from_db()
    assert event.abandoned_at is not None
    assert len(tasks_sent) == SWEEP_MAX
    assert event.error == "InvalidRequestError: No such subscription: 'sub_gone'"
    entry = AuditEntry.objects.get(action="billing.stripe_event_abandoned")
    assert entry.detail == {"event_id": "evt_hopeless", "type": "customer.subscription.deleted",
                            "attempts": SWEEP_MAX, "error": event.error}
    assert [r.getMessage() for r in caplog.records
            if r.name == "billing.services" and r.levelno == logging.ERROR] == [
        f"stripe event evt_hopeless (customer.subscription.deleted) abandoned after "
        f"{SWEEP_MAX} re-sends: {event.error}"]

    # Abandoned: never sent again, however long it waits.
    with freeze_time(at + timedelta(days=30)):
        assert _sweep(django_capture_on_commit_callbacks) == 0
    assert len(tasks_sent) == SWEEP_MAX
    assert AuditEntry.objects.filter(action="billing.stripe_event_abandoned").count() == 1
