"""Spare schemas (tenants/tenancy/provisioning.py): cloned ahead of time, claimed by a rename in
the provisioning's transaction. On one server they are off by default; these tests turn
them on (RELIER_SPARE_SCHEMAS) and run on real PostgreSQL, in the test's transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from unittest import mock

import pytest
from django.db import connection, connections
from django.test import override_settings
from django_tenants.utils import schema_context

from tenants.models import Association, OutboxTask
from tenants.tenancy import provisioning as spares
from tenants.tenancy.provisioning import template_schema_name
from tenants.tenancy.services import association_create
from tests.conftest import World
from tracking.models import PicklistItem, WorkflowVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_spares(world: World) -> Iterator[list[str]]:
    with override_settings(RELIER_SPARE_SCHEMAS=2):
        assert spares.spares_fill() == {"made": 2, "dropped": 0, "ready": 2}
        yield spares.spare_names()


def test_off_on_one_server_by_default(world: World) -> None:
    assert spares.spares_target() == 0
    assert spares.spares_fill() == {"made": 0, "dropped": 0, "ready": 0}


def test_provisioning_claims_a_spare_and_asks_for_the_next(two_spares: list[str]) -> None:
    with override_settings(RELIER_SPARE_SCHEMAS=2):
        created = association_create(actor=None, slug="delta", name="Delta Jeunesse",
                                     admin_email="admin@delta.example")
    schema = created.association.schema_name
    left = spares.spare_names()
    assert len(left) == 1
    assert left[0] in two_spares  # the other one became the association
    assert spares.applied(schema) == spares.applied(template_schema_name())
    with schema_context(schema):  # the template's rows came with it
        assert PicklistItem.objects.exists()
        assert WorkflowVersion.objects.filter(status="published").exists()
    assert OutboxTask.objects.filter(task_name="tenants.spares_fill_task").exists()


def test_a_stale_spare_is_never_claimed_and_is_dropped(two_spares: list[str]) -> None:
    stale = two_spares[0]
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{stale}".django_migrations WHERE id = '
                       f'(SELECT max(id) FROM "{stale}".django_migrations)')
    with override_settings(RELIER_SPARE_SCHEMAS=2):
        association_create(actor=None, slug="epsilon", name="Epsilon",
                           admin_email="admin@epsilon.example")
        assert spares.spare_names() == [stale]  # the up-to-date one was claimed
        assert spares.spares_fill() == {"made": 2, "dropped": 1, "ready": 2}
    assert stale not in spares.spare_names()


def test_a_failed_provisioning_gives_the_spare_back(two_spares: list[str]) -> None:
    with override_settings(RELIER_SPARE_SCHEMAS=2), mock.patch(
        "tenants.tenancy.services.audit", side_effect=RuntimeError("after the schema"),
    ), pytest.raises(RuntimeError):
        association_create(actor=None, slug="zeta", name="Zeta",
                           admin_email="admin@zeta.example")
    assert spares.spare_names() == two_spares
    assert not Association.objects.filter(slug="zeta").exists()


def _in_threads(*calls: Callable[[], object]) -> list[object]:
    """Run each call on a thread of its own (its own connection, committing for real)."""
    results: list[object] = []

    def run(call: Callable[[], object]) -> None:
        try:
            results.append(call())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _drop_spares() -> None:
    with connection.cursor() as cursor:
        for name in spares.spare_names():
            cursor.execute(f'DROP SCHEMA "{name}" CASCADE')


def test_two_fills_at_once_make_no_more_than_the_target(world: World) -> None:
    """A provisioning's task and beat's can fill at the same time: they take turns, and
    the second stops at the target (seen on Citus: 4 spares for 3). Each fill runs on a
    connection of its own, outside the test's transaction."""
    try:
        results = _in_threads(lambda: spares.spares_fill(2), lambda: spares.spares_fill(2))
        assert len(spares.spare_names()) == 2
        assert sum(r["made"] for r in results) == 2  # type: ignore[index]
    finally:
        _in_threads(_drop_spares)
    assert spares.spare_names() == []
