"""The outbox (tenants/outbox/services.py): a page that starts a task succeeds while the broker is
down, the task waits in the database, and the sweeper sends it — once — when the broker is
back. The real outage (Redis stopped, a worker started meanwhile) is in
tests/platform/test_reliability.py; here the broker's refusal is the exception kombu
raises, everything else is real."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.app.task import Task
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from kombu.exceptions import OperationalError

from tenants.models import OutboxTask
from tenants.outbox.services import enqueue, outbox_flush, outbox_waiting
from tests.conftest import SentTask, World, host_client, record_sends
from tests.tracking.cases.test_referral import FORM
from tracking.cases.tasks import referral_notify_task
from tracking.models import Referral

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
NOTIFY = "tracking.referral_notify_task"


@pytest.fixture
def broker_down(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every send refused as kombu refuses it when Redis does not answer; returns the
    names of the tasks that were tried."""
    tried: list[str] = []

    def refuse(self: Task, *_args: Any, **_options: Any) -> None:
        tried.append(self.name)
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return tried


def test_a_referral_sent_while_the_broker_is_down_is_saved_and_its_notice_waits(
    world: World, broker_down: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = host_client(world.acme).post("/signaler", FORM)
    assert response.status_code == 200
    assert "Merci" in response.content.decode()
    assert broker_down == [NOTIFY]  # tried at once, after commit
    with schema_context("a_acme"):
        referral = Referral.objects.get()
    row = OutboxTask.objects.get()
    assert (row.task_name, row.args, row.kwargs, row.schema_name) == (
        NOTIFY, [referral.pk, "a_acme"], {}, "a_acme")
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.last_error.startswith("OperationalError: Error 111")
    assert outbox_waiting() == 1


def test_the_sweeper_sends_what_waited_once_the_broker_is_back_in_its_schema(
    world: World, monkeypatch: pytest.MonkeyPatch, broker_down: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        host_client(world.acme).post("/signaler", FORM)
        host_client(world.beta).post("/signaler", {**FORM, "first_name": "Inès"})
    assert broker_down == [NOTIFY, NOTIFY]
    # Still down: the sweeper stops at the first refusal and loses nothing.
    assert outbox_flush() == (0, 2)
    assert broker_down == [NOTIFY, NOTIFY, NOTIFY]

    sent = record_sends(monkeypatch)  # the broker is back
    assert outbox_flush() == (2, 0)  # from the public schema, as beat runs it
    with schema_context("a_acme"):
        acme = Referral.objects.get().pk
    with schema_context("a_beta"):
        beta = Referral.objects.get().pk
    # Each notice runs in the schema of the association it came from, never another.
    assert sent == [SentTask(NOTIFY, (acme, "a_acme"), "a_acme"),
                    SentTask(NOTIFY, (beta, "a_beta"), "a_beta")]
    assert OutboxTask.objects.filter(sent_at__isnull=True).count() == 0
    assert sorted(OutboxTask.objects.values_list("attempts", flat=True)) == [2, 3]
    assert outbox_flush() == (0, 0)  # sent once: a second sweep sends nothing
    assert len(sent) == 2


def test_a_task_carries_the_id_of_the_request_that_asked_for_it(
    world: World, monkeypatch: pytest.MonkeyPatch, broker_down: list[str],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Even when it is sent later by the sweeper: its log lines and the request's share
    one id (platform/requestid.py)."""
    with django_capture_on_commit_callbacks(execute=True):
        host_client(world.acme).post("/signaler", FORM, HTTP_X_REQUEST_ID="signalement-42abc")
    assert OutboxTask.objects.get().request_id == "signalement-42abc"
    headers: list[dict[str, Any]] = []
    monkeypatch.setattr(Task, "apply_async",
                        lambda self, *a, **options: headers.append(options["headers"]))
    assert outbox_flush() == (1, 0)
    assert headers == [{"_schema_name": "a_acme", "relier_request_id": "signalement-42abc"}]


def test_a_task_asked_for_in_a_rolled_back_transaction_is_never_sent(
    world: World, tasks_sent: list[SentTask], django_capture_on_commit_callbacks: Any
) -> None:
    def ask_then_fail() -> None:
        with transaction.atomic():
            enqueue(referral_notify_task.name, args=(1, "a_acme"))
            raise RuntimeError("the page failed after asking for the task")

    with django_capture_on_commit_callbacks(execute=True), schema_context("a_acme"), \
            pytest.raises(RuntimeError, match="the page failed"):
        ask_then_fail()
    assert not OutboxTask.objects.exists()
    assert outbox_flush() == (0, 0)
    assert tasks_sent == []


def test_a_task_sent_at_once_is_marked_and_not_sent_again(
    world: World, tasks_sent: list[SentTask], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        referral = Referral.objects.get()
    assert tasks_sent == [SentTask(NOTIFY, (referral.pk, "a_acme"), "a_acme")]
    row = OutboxTask.objects.get()
    assert row.sent_at is not None
    assert row.attempts == 1
    assert outbox_flush() == (0, 0)
    assert len(tasks_sent) == 1


def test_sent_rows_are_purged_after_the_keep_period_and_waiting_rows_never(
    world: World, broker_down: list[str], settings: Any
) -> None:
    settings.OUTBOX_KEEP_DAYS = 7
    old = timezone.now() - timedelta(days=30)
    sent_long_ago = OutboxTask.objects.create(task_name=NOTIFY, schema_name="a_acme",
                                              created_at=old, sent_at=old)
    sent_lately = OutboxTask.objects.create(task_name=NOTIFY, schema_name="a_acme",
                                            created_at=old,
                                            sent_at=timezone.now() - timedelta(days=2))
    waiting_long = OutboxTask.objects.create(task_name=NOTIFY, schema_name="a_acme",
                                             created_at=old)
    assert outbox_flush() == (0, 1)
    assert set(OutboxTask.objects.values_list("pk", flat=True)) == {
        sent_lately.pk, waiting_long.pk}
    assert not OutboxTask.objects.filter(pk=sent_long_ago.pk).exists()


def test_an_unknown_task_is_noted_and_does_not_hold_up_the_others(
    world: World, tasks_sent: list[SentTask],
) -> None:
    """A row the sender cannot send for itself (a task renamed by a later release, say)
    is noted and skipped; the rows behind it are sent, and it is tried again later."""
    unknown = OutboxTask.objects.create(task_name="tracking.renamed_task", args=[1],
                                        schema_name="a_acme")
    OutboxTask.objects.create(task_name=NOTIFY, args=[5, "a_acme"], schema_name="a_acme")
    assert outbox_flush() == (1, 1)
    assert tasks_sent == [SentTask(NOTIFY, (5, "a_acme"), "a_acme")]
    unknown.refresh_from_db()
    assert (unknown.sent_at, unknown.attempts) == (None, 1)
    assert unknown.last_error.startswith("NotRegistered")
    assert outbox_flush() == (0, 1)


def test_a_long_outage_is_drained_batch_after_batch(
    world: World, tasks_sent: list[SentTask],
) -> None:
    OutboxTask.objects.bulk_create(
        OutboxTask(task_name=NOTIFY, args=[n, "a_acme"], schema_name="a_acme")
        for n in range(7))
    assert outbox_flush(limit=3) == (7, 0)
    assert [t.args[0] for t in tasks_sent] == list(range(7))


# --- every page goes through the outbox ---------------------------------------------------

APPS = ("billing", "onboarding", "tenants", "tracking", "platform")


def _sends(path: Path) -> list[int]:
    """Lines that talk to the broker directly: .delay / .apply_async / .send_task, a
    chord, or publication_request (which builds one)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else \
            node.func.id if isinstance(node.func, ast.Name) else ""
        if name in {"delay", "apply_async", "send_task", "chord", "publication_request"}:
            lines.append(node.lineno)
    return lines


def test_only_tasks_send_to_the_broker_directly() -> None:
    """Pages and services start tasks with tenants.outbox.services.enqueue; only tasks (running in
    a worker, where a refused send is retried by the next beat) and the outbox itself
    talk to the broker."""
    allowed = {ROOT / "tenants" / "outbox" / "services.py", ROOT / "platform" / "celery.py"}
    offenders = {
        f"{path.relative_to(ROOT)}:{line}"
        for app in APPS for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and not path.name.startswith("tasks")
        and path not in allowed
        for line in _sends(path)
    }
    assert offenders == set()
    # And the check sees what it looks for.
    assert len(_sends(ROOT / "tenants" / "networks" / "tasks.py")) >= 3
