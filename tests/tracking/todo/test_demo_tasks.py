"""The demo's tasks (platform/demo/todo.py): given by a coordinator to members, some
overdue, some done, linked only to cases their person follows, naming no young person."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.demo.activity import generate_activity
from relier_platform.demo.todo import TITLES, demo_tasks
from tests.conftest import World, signed_in
from tests.platform.test_demo import staff_by_role
from tracking.models import Case, Task

pytestmark = pytest.mark.django_db


def test_the_demo_gives_each_member_tasks_some_overdue_some_done(world: World) -> None:
    staff = staff_by_role("a_acme")
    generate_activity(schema_name="a_acme", cases=40, interactions=100, seed=3,
                      staff_ids_by_role=staff)
    made = demo_tasks(schema_name="a_acme", staff_ids_by_role=staff, seed=3)
    today = timezone.localdate()
    with schema_context("a_acme"):
        tasks = list(Task.objects.all())
        assert len(tasks) == made >= 10
        assignees = {task.assignee_id for task in tasks}
        assert assignees == {pk for role, ids in staff.items() if role != "read_only"
                             for pk in ids}
        assert {task.created_by_id for task in tasks} <= set(staff["coordinator"])
        open_late = [t for t in tasks if t.done_at is None and t.due_on < today]
        assert open_late
        assert any(t.done_at is not None for t in tasks)
        assert {t.title for t in tasks} <= set(TITLES)
        for task in tasks:
            if task.case_id is not None:
                assert Case.objects.filter(pk=task.case_id,
                                           assigned_staff=task.assignee_id).exists()
    listener = world.acme_members["listener"]
    body = signed_in(listener, world.acme).get("/taches/").content.decode()
    assert 'data-testid="todo-count">' in body or 'data-testid="todo-nothing"' in body
