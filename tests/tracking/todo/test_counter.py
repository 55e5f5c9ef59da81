"""The notice counter of the navigation costs one query when a page's navigation renders
it, none while it is cached, none for the API or pages without the navigation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import World, clear_cache, host_client, signed_in
from tests.tracking.api.conftest import key_client, make_key
from tests.tracking.cases.test_referral import FORM
from tests.tracking.factories import actor, make_case
from tracking.models import Case
from tracking.todo.selectors import todo_due_count
from tracking.todo.services import TaskData, task_create

pytestmark = pytest.mark.django_db


def _counter_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if "tracking_task" in q["sql"] or "due_0" in q["sql"]]


def _busy(world: World) -> None:
    """The coordinator has something of every source: a late case, a referral, tasks."""
    coordinator = world.acme_members["coordinator"]
    for _ in range(3):
        case = make_case(world.acme, world.acme_members["admin"], staff=[coordinator])
        with schema_context("a_acme"):
            Case.objects.filter(pk=case.pk).update(
                stage_entered_at=timezone.now() - timedelta(days=5))
    host_client(world.acme).post("/signaler", FORM)
    with schema_context("a_acme"):
        for days in (0, 0, 4):
            task_create(actor=actor(world.acme_members["admin"], "admin"), data=TaskData(
                title="Une tâche", due_on=timezone.localdate() + timedelta(days=days),
                assignee_id=coordinator.pk))


def test_the_count_of_every_source_is_one_query(world: World) -> None:
    _busy(world)
    with schema_context("a_acme"), CaptureQueriesContext(connection) as captured:
        count = todo_due_count(actor=actor(world.acme_members["coordinator"], "coordinator"))
    assert count == 3 + 1 + 2
    assert [q for q in captured.captured_queries if not q["sql"].startswith("SET ")] == [
        captured.captured_queries[-1]]


def test_a_page_pays_one_query_for_the_counter_then_none_while_cached(world: World) -> None:
    _busy(world)
    client = signed_in(world.acme_members["coordinator"], world.acme)
    clear_cache()
    with CaptureQueriesContext(connection) as first:
        response = client.get("/groupes/")
    assert 'data-testid="todo-count">6' in response.content.decode()
    assert len(_counter_queries(first)) == 1
    with CaptureQueriesContext(connection) as second:
        response = client.get("/groupes/")
    assert 'data-testid="todo-count">6' in response.content.decode()
    assert _counter_queries(second) == []


def test_a_change_of_the_person_s_tasks_drops_their_cached_count(
    world: World, django_capture_on_commit_callbacks: Any,
) -> None:
    listener = world.acme_members["listener"]
    client = signed_in(listener, world.acme)
    assert "todo-count" not in client.get("/groupes/").content.decode()  # 0, now cached
    with schema_context("a_acme"), django_capture_on_commit_callbacks(execute=True):
        task_create(actor=actor(world.acme_members["coordinator"], "coordinator"),
                    data=TaskData(title="Appeler", due_on=timezone.localdate(),
                                  assignee_id=listener.pk))
    assert 'data-testid="todo-count">1' in client.get("/groupes/").content.decode()


def test_pages_without_the_navigation_and_the_api_never_count(world: World) -> None:
    _busy(world)
    _key, raw = make_key(world.acme)
    api = key_client(world.acme, raw)
    member = signed_in(world.acme_members["coordinator"], world.acme)
    clear_cache()
    for client, method, path in ((api, "get", "/api/v1/cases/"),
                                 (api, "get", "/api/v1/whoami/"),
                                 (member, "post", "/taches/recapitulatif/"),
                                 (host_client(world.acme), "get", "/signaler")):
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path)
        assert response.status_code in (200, 302), path
        assert _counter_queries(captured) == [], path


def test_the_list_page_takes_the_same_queries_however_many_items(
    world: World, django_assert_max_num_queries: Any,
) -> None:
    coordinator = world.acme_members["coordinator"]
    client = signed_in(coordinator, world.acme)

    def more(count: int) -> None:
        with schema_context("a_acme"):
            for _ in range(count):
                case = make_case(world.acme, world.acme_members["admin"], staff=[coordinator])
                Case.objects.filter(pk=case.pk).update(
                    stage_entered_at=timezone.now() - timedelta(days=5))
                for giver, to in (("admin", coordinator), ("coordinator",
                                                           world.acme_members["listener"])):
                    task_create(actor=actor(world.acme_members[giver], giver), data=TaskData(
                        title="Une tâche", due_on=timezone.localdate(), assignee_id=to.pk,
                        case_code=case.code))

    more(1)
    client.get("/taches/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/taches/").status_code == 200
    more(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/taches/")
    assert response.content.decode().count('data-testid="todo-item"') == 9 * 3
