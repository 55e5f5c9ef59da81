"""The digest sent by a real Celery worker (tests/worker.py: a subprocess on the test
database and the real Redis broker, its e-mails written to files), in the schema of the
association it was enqueued from. The worker sees committed data only: this module commits
an association of its own (`tdo1`, used nowhere else)."""

from __future__ import annotations

import email
import email.policy
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World
from tests.tracking.factories import actor, make_case
from tests.worker import MAIL_DIR
from tracking.models import Case, DigestPreference
from tracking.todo.services import TaskData, task_create
from tracking.todo.tasks import todo_digests_send_task

pytestmark = pytest.mark.worker

FIRST_NAME = "Bérénice-Canari"
ADMIN = "admin@tdo1.example"


@pytest.fixture(scope="module")
def committed(world: World, django_db_blocker: Any) -> tuple[str, str, int]:
    """An association whose admin has a late case and a task about it due today."""
    with django_db_blocker.unblock():
        created = association_create(actor=None, slug="tdo1", name="Association tdo1",
                                     admin_email=ADMIN, admin_password=PASSWORD)
        schema = created.association.schema_name
        case = make_case(created.association, created.admin, staff=[created.admin],
                         first_name=FIRST_NAME)
        with schema_context(schema):
            Case.objects.filter(pk=case.pk).update(
                stage_entered_at=timezone.now() - timedelta(days=5))
            task_create(actor=actor(created.admin, "admin"), data=TaskData(
                title=f"Rappeler la mère de {FIRST_NAME}", due_on=timezone.localdate(),
                assignee_id=created.admin.pk, case_code=case.code))
    return schema, case.code, created.admin.pk


def _until(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def _digests(to: str) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(MAIL_DIR.glob("*.log")) if MAIL_DIR.is_dir() else []:
        for raw in path.read_bytes().split(b"-" * 79):
            if not raw.strip():
                continue
            message = email.message_from_bytes(raw.strip() + b"\n",
                                               policy=email.policy.default)
            if to in str(message["To"]) and "à faire aujourd'hui" in str(message["Subject"]):
                found.append(message)
    return found


def test_the_worker_mails_the_digest_in_its_schema_once_and_names_no_one(
    committed: tuple[str, str, int], worker: None, django_db_blocker: Any,
) -> None:
    schema, code, admin_id = committed
    with django_db_blocker.unblock():
        with schema_context(schema):
            todo_digests_send_task.delay(schema)
        (message,) = _until(lambda: _digests(ADMIN), "the digest mailed")
        with schema_context(schema):
            _until(lambda: DigestPreference.objects.filter(
                user_id=admin_id, last_sent_on=timezone.localdate()).exists(),
                "the day of the digest recorded")
            todo_digests_send_task.delay(schema)  # a second run the same day: nothing
        time.sleep(2)
    assert len(_digests(ADMIN)) == 1
    body = message.get_content()
    assert str(message["Subject"]) == "Association tdo1 : 2 à faire aujourd'hui"
    assert "- Tâches à faire : 1, dont 0 en retard" in body
    assert "- Dossiers à faire avancer (délai de l'étape) : 1, dont 1 en retard" in body
    assert "tdo1." in body
    assert "/taches/" in body
    for secret in (FIRST_NAME, "Bérénice", code, "Rappeler la mère", "Montreuil"):
        assert secret not in body, secret
        assert secret not in str(message["Subject"]), secret
