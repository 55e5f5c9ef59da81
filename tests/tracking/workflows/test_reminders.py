"""Overdue cases: their staff are reminded once per breach, not once per run."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World
from tests.tracking.factories import actor, make_case
from tracking.models import Case, OverdueReminder
from tracking.workflows.reminders import overdue_reminders_send
from tracking.workflows.services import case_transition

pytestmark = pytest.mark.django_db


def test_reminded_once_per_breach(world: World, django_capture_on_commit_callbacks) -> None:
    psychologist = world.acme_members["psychologist"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[psychologist])
    fresh = make_case(world.acme, world.acme_members["admin"], staff=[psychologist])
    with schema_context("a_acme"):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=50))
        with django_capture_on_commit_callbacks(execute=True):
            assert overdue_reminders_send(schema_name="a_acme") == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert overdue_reminders_send(schema_name="a_acme") == 0  # same breach
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [psychologist.email]
    assert case.code in mail.outbox[0].subject
    assert fresh.code not in mail.outbox[0].body

    # moved on, then late again on the next stage: a new breach, a new reminder
    with schema_context("a_acme"):
        moving = Case.objects.get(pk=case.pk)
        from tracking.models import Transition

        moved = case_transition(
            actor=actor(world.acme_members["admin"], "admin"), case=moving,
            transition=Transition.objects.get(version__status="published",
                                              from_stage__key="received",
                                              to_stage__key="first_contact"),
            expected_version=moving.version)
        Case.objects.filter(pk=moved.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=8))
        with django_capture_on_commit_callbacks(execute=True):
            assert overdue_reminders_send(schema_name="a_acme") == 1
        assert OverdueReminder.objects.filter(case=case).count() == 2
    assert len(mail.outbox) == 2


def test_periodic_job_enqueues_one_task_per_association(world: World, monkeypatch) -> None:
    from relier_platform.tenancy import current_schema
    from tracking.workflows import tasks

    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.overdue_reminders_task, "delay",
                        lambda schema: seen.append((schema, current_schema())))
    assert tasks.overdue_reminders_all_task.run() >= 2
    assert ("a_acme", "a_acme") in seen
    assert ("a_beta", "a_beta") in seen


def test_reminder_task_refuses_another_schema(world: World) -> None:
    from tracking.workflows.tasks import overdue_reminders_task

    with schema_context("a_beta"), pytest.raises(RuntimeError, match="outside"):
        overdue_reminders_task.run("a_acme")


def test_a_reminder_the_mail_server_refused_is_sent_by_the_next_run(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from tracking.workflows import reminders

    psychologist = world.acme_members["psychologist"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[psychologist])

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    with schema_context("a_acme"):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=50))
        monkeypatch.setattr(reminders, "send_mail", refuse)
        assert overdue_reminders_send(schema_name="a_acme") == 0
        assert not OverdueReminder.objects.filter(case_id=case.pk).exists()
        assert "not sent; retried next run" in caplog.text
        monkeypatch.undo()
        assert overdue_reminders_send(schema_name="a_acme") == 1
        assert OverdueReminder.objects.filter(case_id=case.pk).count() == 1
    assert [m.to for m in mail.outbox] == [[psychologist.email]]
