"""The closure request, committed, runs its after-commit work: the export task makes the
ZIP and the pg_dump a restore needs (another connection: the data must be committed, so
this test uses an association of its own, removed afterwards), the admins get their
e-mail; then the operator's confirmation drops the schema."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from relier_platform.celery import app
from tenants.models import Association, User
from tenants.offboarding import services as offboarding
from tenants.offboarding.backup import manifest_path
from tenants.offboarding.export import file_sha256
from tenants.tenancy.services import association_create
from tests.conftest import PASSWORD, World, committed_data
from tests.tenants.offboarding.test_backup import _drop_association
from tracking.cases.services import CaseData, case_create

SLUG = "fermeture-dump"
SCHEMA = "a_fermeture_dump"
ADMIN = "admin@fermeture-dump.example"
OPERATOR = "operateur@fermeture-dump.example"


@pytest.fixture
def committed(world: World, django_db_blocker: Any) -> Iterator[None]:
    with committed_data(django_db_blocker, _clean):
        yield


def _clean() -> None:
    _drop_association(SLUG, SCHEMA)
    with schema_context("a_acme"):
        User.objects.filter(email__in=[ADMIN, OPERATOR]).delete()


@pytest.fixture
def eager() -> Iterator[None]:
    """The after-commit tasks run in this process (no worker is started here)."""
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = previous


def test_a_committed_request_exports_with_the_restore_dump_then_the_drop(
    committed: None, eager: None, settings: Any, tmp_path: Path,
) -> None:
    settings.OFFBOARDING_EXPORT_DIR = tmp_path
    created = association_create(actor=None, slug=SLUG, name="Fermeture Dump",
                                 admin_email=ADMIN, admin_password=PASSWORD)
    with schema_context(SCHEMA):
        for name in ("Lina", "Noé"):
            case_create(actor=None, data=CaseData(first_name=name, birth_year=2011))
    operator = User.objects.create_superuser(OPERATOR, password=PASSWORD)

    offboarding.association_closure_request(actor=created.admin,
                                            association=created.association,
                                            slug_typed=SLUG)

    association = Association.objects.get(slug=SLUG)
    assert association.state == Association.State.CLOSING
    zip_path = tmp_path / association.export_file
    assert file_sha256(zip_path) == association.export_sha256
    dump = zip_path.with_suffix(".dump")
    assert dump.read_bytes()[:5] == b"PGDMP"
    assert json.loads(manifest_path(dump).read_text())["association"]["slug"] == SLUG
    with zipfile.ZipFile(zip_path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["restore_dump"] == {"file": dump.name, "sha256": file_sha256(dump)}
    assert {t["table"]: t["rows"] for t in manifest["tables"]}["tracking_case"] == 2
    assert [m.to for m in mail.outbox] == [[ADMIN]]

    sha = file_sha256(zip_path)
    offboarding.association_closure_confirm(actor=operator, association=association,
                                            slug_typed=SLUG,
                                            now=timezone.now() + timedelta(days=30, seconds=1))
    assert not schema_exists(SCHEMA)
    tombstone = Association.objects.get(slug=SLUG)
    assert tombstone.state == Association.State.CLOSED
    assert tombstone.export_sha256 == sha
    # The export, its restore dump and the dump's manifest went with the schema.
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
