"""Tasks carry their tenant: a real worker, a real Redis broker, the real test database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context
from psycopg.conninfo import make_conninfo

from relier_platform.tasks import current_schema_task
from relier_platform.tenancy import db
from tests.conftest import World

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def worker(world: World, django_db_blocker: pytest.FixtureRequest) -> Iterator[None]:
    db = connection.settings_dict
    url = make_conninfo(
        host=db["HOST"] or "", port=str(db["PORT"] or ""), dbname=db["NAME"],
        user=db["USER"] or "", password=db["PASSWORD"] or "",
    )
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": settings.REDIS_URL,
           "RELIER_REDIS_DB": "0"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "relier_platform.celery", "worker",
         "--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env,
    )
    yield
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


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
