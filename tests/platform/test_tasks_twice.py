"""Every task is safe to run twice (late acks, the outbox's rare double send): its effect
happens once. Each task's own function is called twice in-process, no worker."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django_tenants.utils import schema_context

from tests.conftest import World, host_client
from tests.tracking.test_referral import FORM
from tracking import tasks as tracking_tasks
from tracking.models import Referral

pytestmark = pytest.mark.django_db


# --- tracking/tasks.py ---------------------------------------------------------------------


def test_a_referral_notice_delivered_twice_is_mailed_once(world: World) -> None:
    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral = Referral.objects.get()
        assert referral.notified_at is None
        first = tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        notified_at = Referral.objects.get(pk=referral.pk).notified_at
        second = tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        assert Referral.objects.get(pk=referral.pk).notified_at == notified_at
    assert (first, second) == (2, 0)
    assert notified_at is not None
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["admin@acme.example", "coordinator@acme.example"]


def test_a_referral_notice_that_failed_to_send_is_not_marked_and_sends_on_retry(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    host_client(world.acme).post("/signaler", FORM)

    def unreachable(*_args: Any, **_kwargs: Any) -> None:
        raise ConnectionError("the mail server does not answer")

    with schema_context("a_acme"):
        referral = Referral.objects.get()
        monkeypatch.setattr(tracking_tasks, "send_mail", unreachable)
        with pytest.raises(ConnectionError):
            tracking_tasks.referral_notify_task.run(referral.pk, "a_acme")
        assert Referral.objects.get(pk=referral.pk).notified_at is None
        monkeypatch.undo()
        assert tracking_tasks.referral_notify_task.run(referral.pk, "a_acme") == 2
        assert tracking_tasks.referral_notify_task.run(referral.pk, "a_acme") == 0
    assert len(mail.outbox) == 1
