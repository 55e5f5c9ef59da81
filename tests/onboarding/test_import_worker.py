"""Import tasks on a real Celery worker (real Redis broker, real test database): the dry
run and the commit run in the schema of the association that enqueued them, and refuse to
run anywhere else. They write committed data: they work in an association of their own
("delta"), so that nothing reaches the tests of other associations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django_tenants.utils import schema_context

from onboarding.importing import services
from onboarding.importing.tasks import import_commit_task, import_validate_task
from tenants.models import Association
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World
from tracking.models import Case, ImportRun
from tracking.permissions import Actor

ROOT = Path(__file__).resolve().parents[2]
SLUG = "delta"
CSV = ("Identifiant;Prénom;Ville;Département\r\n"
       "T-1;Léa;Montreuil;93\r\nT-2;Tom;Créteil;94\r\nT-3;Zoé;Saint-Denis;974\r\n").encode()


@pytest.fixture(scope="module")
def delta(world: World, django_db_blocker: Any) -> Association:
    with django_db_blocker.unblock():
        existing = Association.objects.filter(slug=SLUG).first()
        if existing is not None:
            return existing
        return association_create(actor=None, slug=SLUG, name="Delta Import",
                                  admin_email="admin@delta.example",
                                  admin_password=PASSWORD).association




@pytest.mark.worker
def test_a_real_worker_runs_the_dry_run_and_the_commit_in_the_association_schema(
    delta: Association, worker: None, django_db_blocker: Any
) -> None:
    schema = delta.schema_name
    with django_db_blocker.unblock(), schema_context(schema):
        admin = delta.memberships.get(role="admin").user
        run = services.import_upload(actor=Actor(user=admin, role="admin"),
                                     file_name="tache.csv", content=CSV)
        dry_run = import_validate_task.delay(run.pk, schema)
    assert dry_run.get(timeout=60) == {"schema": schema, "status": "validated", "errors": 0,
                                       "create": 3, "update": 0, "unchanged": 0}
    with django_db_blocker.unblock(), schema_context(schema):
        assert Case.objects.count() == 0
        commit = import_commit_task.delay(run.pk, schema, admin.pk)
    assert commit.get(timeout=60) == {"schema": schema, "status": "committed", "errors": 0,
                                      "create": 3, "update": 0, "unchanged": 0}
    with django_db_blocker.unblock(), schema_context(schema):
        assert sorted(Case.objects.values_list("external_id", "town")) == [
            ("T-1", "Montreuil"), ("T-2", "Créteil"), ("T-3", "Saint-Denis")]
        assert ImportRun.objects.get(pk=run.pk).committed_by_id == admin.pk
    with django_db_blocker.unblock(), schema_context("a_acme"):
        assert not ImportRun.objects.filter(file_name="tache.csv").exists()
        # Enqueued from another association, the task runs there and refuses.
        stray = import_validate_task.delay(run.pk, schema)
    with pytest.raises(RuntimeError, match="outside its association's schema"):
        stray.get(timeout=60)


def test_the_worker_finds_the_import_tasks_on_its_own() -> None:
    code = ("import django; django.setup(); from relier_platform.celery import app; "
            "app.loader.import_default_modules(); "
            "print('onboarding.import_commit_task' in app.tasks)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "relier_platform.settings"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == "True"
