"""Tasks carry their tenant: a real worker, a real Redis broker, the real test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_tenants.utils import schema_context

from relier_platform.tasks import current_schema_task
from relier_platform.tenancy import db
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]




@pytest.mark.worker
def test_task_enqueued_from_an_association_runs_in_its_schema(world: World, worker: None) -> None:
    with schema_context(world.acme.schema_name):
        result = current_schema_task.delay()
    assert result.get(timeout=60) == "a_acme"


@pytest.mark.worker
def test_task_enqueued_from_the_public_site_runs_in_public(world: World, worker: None) -> None:
    db().set_schema_to_public()
    assert current_schema_task.delay().get(timeout=60) == "public"


@pytest.mark.worker
def test_tasks_of_two_associations_do_not_mix(world: World, worker: None) -> None:
    with schema_context(world.beta.schema_name):
        beta = current_schema_task.delay()
    with schema_context(world.acme.schema_name):
        acme = current_schema_task.delay()
    assert (acme.get(timeout=60), beta.get(timeout=60)) == ("a_acme", "a_beta")


@pytest.mark.worker
def test_a_task_logs_with_the_request_id_of_the_request_that_sent_it(
    world: World, worker: None
) -> None:
    from relier_platform.requestid import request_id_var
    from relier_platform.tasks import log_context_task

    token = request_id_var.set("requete-0123456789")
    try:
        with schema_context(world.acme.schema_name):
            during = log_context_task.delay()
    finally:
        request_id_var.reset(token)
    assert during.get(timeout=60) == {"schema": "a_acme", "request_id": "requete-0123456789"}
    # The next task on the same worker, sent outside any request, carries none.
    assert log_context_task.delay().get(timeout=60) == {"schema": "public", "request_id": None}
