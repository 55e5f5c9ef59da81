"""`migrate_schemas` skips the schemas that have every migration applied, migrates the
others, and always includes the template (tenants/tenancy/migration.py). Real PostgreSQL: each
test adds one migration to a copy of tracking's migrations (MIGRATION_MODULES) and runs
the real command inside the test's transaction (rolled back afterwards, DDL included)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings
from django_tenants.signals import schema_pre_migration

from relier_platform.tenancy import db
from tenants.tenancy.migration import (
    EVERY_SCHEMA_ENV,
    graph_migrations,
    schemas_to_migrate,
    schemas_up_to_date,
)
from tenants.tenancy.provisioning import template_schema_name
from tests.conftest import World

pytestmark = pytest.mark.django_db
COLUMN = "skip_test_marker"


@pytest.fixture
def new_migration(tmp_path: Path) -> Iterator[str]:
    """tracking's migrations plus one adding a nullable column to tracking_case."""
    import tracking

    (leaf,) = MigrationLoader(None).graph.leaf_nodes("tracking")
    package = f"skip_test_migrations_{tmp_path.name.replace('-', '_')}"
    shutil.copytree(Path(tracking.__file__).parent / "migrations", tmp_path / package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / package / "9999_skip_test.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('tracking', {leaf[1]!r})]\n"
        f"    operations = [migrations.AddField('case', {COLUMN!r}, "
        "models.IntegerField(null=True))]\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        with override_settings(MIGRATION_MODULES={"tracking": package}):
            yield "9999_skip_test"
    finally:
        sys.path.remove(str(tmp_path))


def migrate_schemas() -> list[str]:
    """Run `migrate_schemas` (all schemas, as deployed); the schemas it migrated."""
    migrated: list[str] = []

    def seen(sender: Any, schema_name: str, **kwargs: Any) -> None:
        migrated.append(schema_name)

    schema_pre_migration.connect(seen, weak=False)
    try:
        call_command("migrate_schemas", interactive=False, verbosity=0)
    finally:
        schema_pre_migration.disconnect(seen)
        db().set_schema_to_public()
    return migrated


def has_column(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
                       "AND table_name = 'tracking_case' AND column_name = %s",
                       [schema, COLUMN])
        return cursor.fetchone() is not None


def test_every_schema_up_to_date_is_skipped(world: World) -> None:
    schemas = [template_schema_name(), world.acme.schema_name, world.beta.schema_name]
    assert schemas_up_to_date(schemas, graph_migrations()) == set(schemas)
    assert migrate_schemas() == []


def test_a_new_migration_reaches_the_template_and_every_association(
    world: World, new_migration: str,
) -> None:
    template, acme, beta = (template_schema_name(), world.acme.schema_name,
                            world.beta.schema_name)
    assert not any(has_column(s) for s in (template, acme, beta))

    migrated = migrate_schemas()

    # The template first, before any association; the public schema records it too.
    tenant_passes = [s for s in migrated if s != "public"]
    assert tenant_passes[0] == template
    assert {template, acme, beta} <= set(tenant_passes)
    assert all(has_column(s) for s in (template, acme, beta))
    assert migrate_schemas() == []  # now nothing is pending anywhere


def test_only_the_schema_missing_a_migration_is_migrated(
    world: World, new_migration: str,
) -> None:
    migrate_schemas()
    # beta loses the new migration (its column and its record): only beta is behind.
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {world.beta.schema_name}.tracking_case DROP COLUMN {COLUMN}")
        cursor.execute(f"DELETE FROM {world.beta.schema_name}.django_migrations "
                       "WHERE app = 'tracking' AND name = %s", [new_migration])

    assert migrate_schemas() == [world.beta.schema_name]
    assert has_column(world.beta.schema_name)


def test_a_schema_without_migration_table_is_migrated(world: World) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA skip_test_empty")
    pending, skipped = schemas_to_migrate(
        [world.acme.schema_name, "skip_test_empty"], {"verbosity": 0})
    assert (pending, skipped) == (["skip_test_empty"], 1)


@pytest.mark.parametrize("option", ["app_label", "fake", "plan", "prune", "check_unapplied"])
def test_options_beyond_applying_what_is_missing_visit_every_schema(
    world: World, option: str,
) -> None:
    schemas = [world.acme.schema_name, world.beta.schema_name]
    assert schemas_to_migrate(schemas, {}) == ([], 2)
    assert schemas_to_migrate(schemas, {option: "tracking"}) == (schemas, 0)


def test_the_environment_can_ask_for_every_schema(
    world: World, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(EVERY_SCHEMA_ENV, "1")
    schemas = [world.acme.schema_name]
    assert schemas_to_migrate(schemas, {}) == (schemas, 0)
