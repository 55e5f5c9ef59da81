"""The menu's counts (to-do, hand-overs waiting) kept a few seconds in the process in front of
Redis (relier_platform.cache.LocalMemo.shared, issue #21; off in the other tests): a page
then reads neither Redis nor the database for them, the process that changes them shows the
new count at once, and one association's count never serves another's."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.cache import CHANGED_COOKIE, LocalMemo
from tests.conftest import World, clear_cache, signed_in
from tests.tracking.factories import actor
from tracking.todo.selectors import COUNTS as TODO_COUNTS
from tracking.todo.selectors import todo_count_keys
from tracking.todo.services import TaskData, task_create

pytestmark = pytest.mark.django_db


def _count_reads(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries
            if "tracking_task" in q["sql"] or "due_0" in q["sql"]
            or "tenants_handover" in q["sql"]]


def test_the_to_do_count_is_kept_in_the_process_and_fresh_after_a_change_made_here(
        world: World, memos_on: object, django_capture_on_commit_callbacks: Any) -> None:
    listener = world.acme_members["listener"]
    client = signed_in(listener, world.acme)
    assert "todo-count" not in client.get("/groupes/").content.decode()  # 0, now kept
    # Gone from Redis: the page still reads neither Redis's copy nor the database.
    with schema_context("a_acme"):
        cache.delete_many(todo_count_keys([listener.pk]))
    with CaptureQueriesContext(connection) as captured:
        assert "todo-count" not in client.get("/groupes/").content.decode()
    assert _count_reads(captured) == []
    with schema_context("a_acme"), django_capture_on_commit_callbacks(execute=True):
        task_create(actor=actor(world.acme_members["coordinator"], "coordinator"),
                    data=TaskData(title="Appeler", due_on=timezone.localdate(),
                                  assignee_id=listener.pk))
    assert 'data-testid="todo-count">1' in client.get("/groupes/").content.decode()


def test_a_kept_value_is_per_schema(settings: pytest.FixtureRequest) -> None:
    settings.RELIER_LOCAL_CACHE_SECONDS = 30  # type: ignore[attr-defined]
    memo = LocalMemo("test")
    clear_cache()
    with schema_context("a_acme"):
        assert memo.shared("same-key", lambda: "acme", 60) == "acme"
    with schema_context("a_beta"):
        assert memo.shared("same-key", lambda: "beta", 60) == "beta"
    with schema_context("a_acme"):
        assert memo.shared("same-key", lambda: "other", 60) == "acme"
        memo.forget_shared("same-key")
        cache.delete("same-key")
        assert memo.shared("same-key", lambda: "new", 60) == "new"
        cache.delete("same-key")
    with schema_context("a_beta"):
        assert memo.shared("same-key", lambda: "other", 60) == "beta"
        cache.delete("same-key")


def test_after_their_own_change_a_person_reads_past_every_worker_s_copy(
        world: World, memos_on: object, django_capture_on_commit_callbacks: Any) -> None:
    """Another web worker still holds the count from before the change (simulated here by
    putting the old value back in this process's copy): the browser that made the change
    carries the cookie of its POST and is shown the new count; without it, the old one."""
    listener = world.acme_members["listener"]
    with schema_context("a_acme"), django_capture_on_commit_callbacks(execute=True):
        task = task_create(actor=actor(world.acme_members["coordinator"], "coordinator"),
                           data=TaskData(title="Appeler", due_on=timezone.localdate(),
                                         assignee_id=listener.pk))
    client = signed_in(listener, world.acme)
    assert 'data-testid="todo-count">1' in client.get("/groupes/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/taches/{task.pk}/fait/", {"done": "1"})
    assert response.status_code == 302
    assert response.cookies[CHANGED_COOKIE].value == "1"
    assert response.cookies[CHANGED_COOKIE]["max-age"] == 30
    (key,) = [k for k in todo_count_keys([listener.pk]) if k.endswith(":listener")]
    with schema_context("a_acme"):
        TODO_COUNTS.set(("a_acme", key), 1)  # the other worker's copy, from before
    assert "todo-count" not in client.get("/groupes/").content.decode()
    del client.cookies[CHANGED_COOKIE]
    TODO_COUNTS.set(("a_acme", key), 1)
    assert 'data-testid="todo-count">1' in client.get("/groupes/").content.decode()


def test_a_read_sets_no_cookie(world: World, memos_on: object) -> None:
    client = signed_in(world.acme_members["listener"], world.acme)
    assert CHANGED_COOKIE not in client.get("/groupes/").cookies
