"""The daily digest: counts and a link, never a young person's name, a case's code or a
task's title; nothing when nothing is due; once a day; switched off by each person."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, host_client, signed_in
from tests.tracking.cases.test_referral import FORM
from tests.tracking.factories import actor, make_case
from tracking.models import Case, DigestPreference, Task
from tracking.todo import services, tasks
from tracking.todo.services import TaskData, digests_send, task_create

pytestmark = pytest.mark.django_db

FIRST_NAME = "Philomène"
TITLE = "Rappeler Philomène et sa mère"


def _day_of_work(world: World) -> Case:
    """The coordinator: a late case of Philomène, a referral (first name Yanis), a task
    whose title names her, overdue. The listener: a task for next week only."""
    coordinator = world.acme_members["coordinator"]
    case = make_case(world.acme, world.acme_members["admin"], staff=[coordinator],
                     first_name=FIRST_NAME)
    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        Case.objects.filter(pk=case.pk).update(
            stage_entered_at=timezone.now() - timedelta(days=5))
        admin = actor(world.acme_members["admin"], "admin")
        task = task_create(actor=admin, data=TaskData(
            title=TITLE, due_on=timezone.localdate(), assignee_id=coordinator.pk,
            case_code=case.code))
        Task.objects.filter(pk=task.pk).update(due_on=timezone.localdate() - timedelta(days=2))
        task_create(actor=admin, data=TaskData(
            title="Plus tard", due_on=timezone.localdate() + timedelta(days=7),
            assignee_id=world.acme_members["listener"].pk))
    return case


def test_the_digest_counts_and_links_and_names_no_young_person(world: World) -> None:
    case = _day_of_work(world)
    with schema_context("a_acme"):
        # the coordinator, and the admin (the referral); the listener has nothing due today
        assert digests_send(schema_name="a_acme") == 2
    by_person = {message.to[0]: message for message in mail.outbox}
    assert set(by_person) == {world.acme_members["coordinator"].email,
                              world.acme_members["admin"].email}
    admin_s = by_person[world.acme_members["admin"].email]
    assert "- Signalements dont accuser réception : 1" in admin_s.body
    assert "Tâches" not in admin_s.body
    message = by_person[world.acme_members["coordinator"].email]
    assert message.subject == "Acme Solidarité : 3 à faire aujourd'hui"
    assert "- Tâches à faire : 1, dont 1 en retard" in message.body
    assert "- Dossiers à faire avancer (délai de l'étape) : 1, dont 1 en retard" in message.body
    assert "- Signalements dont accuser réception : 1" in message.body
    assert f"http://acme.{settings.BASE_DOMAIN}" in message.body
    assert "/taches/" in message.body
    assert not getattr(message, "alternatives", None)  # plain text only
    everything = message.subject + message.body
    for secret in (FIRST_NAME, "Yanis", TITLE, case.code, "Créteil", "Montreuil", "insulté"):
        assert secret not in everything, secret


def test_the_digest_is_sent_once_a_day(world: World) -> None:
    _day_of_work(world)
    with schema_context("a_acme"):
        assert digests_send(schema_name="a_acme") == 2
        assert tasks.todo_digests_send_task.run("a_acme") == 0  # twice the same day
        assert digests_send(schema_name="a_acme",
                            day=timezone.localdate() + timedelta(days=1)) == 2  # next day
    assert len(mail.outbox) == 4


def test_a_person_who_switched_it_off_gets_none(world: World) -> None:
    _day_of_work(world)
    coordinator = world.acme_members["coordinator"]
    client = signed_in(coordinator, world.acme)
    assert 'id="daily_digest" name="daily_digest" value="1" checked' in (
        client.get("/taches/").content.decode())  # on by default
    assert client.post("/taches/recapitulatif/", {}).status_code == 302  # unchecked
    assert 'value="1" checked' not in client.get("/taches/").content.decode()
    with schema_context("a_acme"):
        assert DigestPreference.objects.get(user_id=coordinator.pk).daily_digest is False
        assert digests_send(schema_name="a_acme") == 1  # the admin's only
    assert [message.to for message in mail.outbox] == [[world.acme_members["admin"].email]]
    client.post("/taches/recapitulatif/", {"daily_digest": "1"})
    with schema_context("a_acme"):
        assert digests_send(schema_name="a_acme") == 1  # the coordinator's, now
    assert mail.outbox[-1].to == [coordinator.email]


def test_nothing_due_sends_nothing(world: World) -> None:
    with schema_context("a_acme"):
        task_create(actor=actor(world.acme_members["admin"], "admin"), data=TaskData(
            title="Plus tard", due_on=timezone.localdate() + timedelta(days=1),
            assignee_id=world.acme_members["listener"].pk))
        assert digests_send(schema_name="a_acme") == 0
    assert mail.outbox == []


def test_a_digest_the_mail_server_refused_is_sent_by_the_next_run(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _day_of_work(world)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    with schema_context("a_acme"):
        monkeypatch.setattr(services, "send_mail", refuse)
        assert digests_send(schema_name="a_acme") == 0
        assert not DigestPreference.objects.filter(last_sent_on__isnull=False).exists()
        monkeypatch.undo()
        assert digests_send(schema_name="a_acme") == 2


def test_beta_s_digest_knows_nothing_of_acme(world: World) -> None:
    _day_of_work(world)
    with schema_context("a_beta"):
        assert digests_send(schema_name="a_beta") == 0
    assert mail.outbox == []


def test_the_morning_job_enqueues_one_task_per_association_in_its_schema(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from relier_platform.tenancy import current_schema

    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(tasks.todo_digests_send_task, "delay",
                        lambda schema: seen.append((schema, current_schema())))
    assert tasks.todo_digests_all_task.run() >= 2
    assert ("a_acme", "a_acme") in seen
    assert ("a_beta", "a_beta") in seen
    with schema_context("a_beta"), pytest.raises(RuntimeError, match="outside"):
        tasks.todo_digests_send_task.run("a_acme")
    with schema_context("a_acme"), pytest.raises(RuntimeError, match="public"):
        tasks.todo_digests_all_task.run()


def test_the_job_is_in_the_beat_schedule() -> None:
    assert settings.CELERY_BEAT_SCHEDULE["todo-digests"]["task"] == (
        "tracking.todo_digests_all_task")
