"""`migrate_schemas` groups the pending schemas by their applied migrations, migrates one
schema of each group for real and replays its SQL in the others on threads of their own
(tenants/tenancy/replay.py). Real PostgreSQL: each test adds migrations to a copy of
tracking's migrations (MIGRATION_MODULES) and runs the real command on committed schemas
(the threads' connections must see them); the columns and migration records it adds are
removed before and after each test."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, migrations
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings
from django_tenants.signals import schema_pre_migration
from django_tenants.utils import schema_context

from relier_platform.tenancy import db
from tenants.models import Association
from tenants.tenancy.provisioning import (
    SPARE_PREFIX,
    applied,
    clone_template_schema,
    spare_names,
    template_schema_name,
)
from tenants.tenancy.replay import THREADS_ENV, non_replayable_reason
from tests.conftest import World, committed_data

PREFIX = "replay_test"
COLUMNS = (f"{PREFIX}_a", f"{PREFIX}_b")


def add_field(name: str, column: str, after: str) -> str:
    return (
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('tracking', {after!r})]\n"
        f"    operations = [migrations.AddField('case', {column!r}, "
        "models.IntegerField(null=True))]\n"
    )


SPARE = f"{SPARE_PREFIX}{PREFIX}"
TOMBSTONE = f"{PREFIX}_gone"


def tenant_schemas() -> list[str]:
    """The template, the spares and every association schema (committed ones: acme and
    beta), in the order `migrate_schemas` takes them."""
    associations = Association.objects.exclude(schema_name="public").order_by("pk")
    return [template_schema_name(), *spare_names(),
            *associations.values_list("schema_name", flat=True)]


def _clean() -> None:
    db().set_schema_to_public()
    Association.objects.filter(schema_name=TOMBSTONE).delete()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{SPARE}" CASCADE')
        cursor.execute("DELETE FROM public.django_migrations WHERE app = %s AND name LIKE %s",
                       ["tracking", f"%{PREFIX}%"])  # the public pass records them too
        for schema in tenant_schemas():
            for column in COLUMNS:
                cursor.execute(
                    f'ALTER TABLE "{schema}".tracking_case DROP COLUMN IF EXISTS {column}')
            cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s '
                           "AND name LIKE %s", ["tracking", f"%{PREFIX}%"])


@pytest.fixture
def committed(world: World, django_db_blocker: Any) -> Iterator[World]:
    with committed_data(django_db_blocker, _clean):
        yield world


@pytest.fixture
def with_migrations(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """`with_migrations({"9999_x": source, ...})`: a context where tracking's migrations
    are a copy of the real ones plus these (sources made with `leaf`, the real leaf)."""
    import tracking

    made: list[str] = []

    @contextmanager
    def use(extra: dict[str, str]) -> Iterator[None]:
        package = f"{PREFIX}_migrations_{len(made)}_{tmp_path.name.replace('-', '_')}"
        shutil.copytree(Path(tracking.__file__).parent / "migrations", tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
        for name, source in extra.items():
            (tmp_path / package / f"{name}.py").write_text(source)
        made.append(package)
        with override_settings(MIGRATION_MODULES={"tracking": package}):
            yield

    sys.path.insert(0, str(tmp_path))
    try:
        yield use
    finally:
        sys.path.remove(str(tmp_path))


@pytest.fixture
def leaf() -> str:
    (node,) = MigrationLoader(None).graph.leaf_nodes("tracking")
    return str(node[1])


def migrate_schemas() -> list[str]:
    """Run `migrate_schemas` (all schemas, as deployed); the tenant schemas it started, in
    order (the public pass records new tenant migrations too)."""
    started: list[str] = []

    def seen(sender: Any, schema_name: str, **kwargs: Any) -> None:
        started.append(schema_name)

    schema_pre_migration.connect(seen, weak=False)
    try:
        call_command("migrate_schemas", interactive=False, verbosity=1)
    finally:
        schema_pre_migration.disconnect(seen)
        db().set_schema_to_public()
    return [schema for schema in started if schema != "public"]


def columns_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = %s "
                       "AND table_name = 'tracking_case' AND column_name = ANY(%s)",
                       [schema, list(COLUMNS)])
        return {row[0] for row in cursor.fetchall()}


def recorded(schema: str) -> list[str]:
    """The test migrations recorded in `schema`, each as often as it is recorded."""
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT name FROM "{schema}".django_migrations WHERE app = %s '
                       "AND name LIKE %s AND applied IS NOT NULL ORDER BY name",
                       ["tracking", f"%{PREFIX}%"])
        return [row[0] for row in cursor.fetchall()]


def test_a_replayable_migration_reaches_the_template_and_every_association(
    committed: World, with_migrations: Callable[..., Any], leaf: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(THREADS_ENV, "2")
    schemas = tenant_schemas()
    assert {committed.acme.schema_name, committed.beta.schema_name} <= set(schemas)
    with with_migrations({f"9999_{PREFIX}": add_field("a", COLUMNS[0], leaf)}):
        started = migrate_schemas()
        out = capsys.readouterr().out
        assert started[0] == template_schema_name()
        assert sorted(started) == sorted(schemas)
        assert (f"migrate_schemas: {len(schemas)} schema(s) migrated by replay in 1 group(s) "
                "of applied migrations (2 thread(s)), 0 by django-tenants, 0 failed") in out
        for schema in schemas:
            assert columns_of(schema) == {COLUMNS[0]}, schema
            assert recorded(schema) == [f"9999_{PREFIX}"], schema
        assert migrate_schemas() == []  # nothing pending anywhere now


@pytest.mark.parametrize("failing", ["beta", "template"])
def test_a_failing_schema_is_reported_the_others_complete_and_a_second_run_finishes(
    committed: World, with_migrations: Callable[..., Any], leaf: str, failing: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = template_schema_name() if failing == "template" else committed.beta.schema_name
    with connection.cursor() as cursor:  # ADD COLUMN fails there: it already exists
        cursor.execute(f'ALTER TABLE "{bad}".tracking_case ADD COLUMN {COLUMNS[0]} integer')
    schemas = tenant_schemas()
    with with_migrations({f"9999_{PREFIX}": add_field("a", COLUMNS[0], leaf)}):
        with pytest.raises(CommandError, match=rf"1 schema\(s\) failed \({bad}\)"):
            migrate_schemas()
        err = capsys.readouterr().err.splitlines()
        assert [line for line in err if line.startswith("migrate_schemas:")] == [
            f'migrate_schemas: {bad} failed: ProgrammingError: column "{COLUMNS[0]}" of '
            'relation "tracking_case" already exists'
        ]
        for schema in schemas:
            assert recorded(schema) == ([] if schema == bad else [f"9999_{PREFIX}"]), schema
            assert columns_of(schema) == {COLUMNS[0]}, schema

        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{bad}".tracking_case DROP COLUMN {COLUMNS[0]}')
        assert migrate_schemas() == [bad]
        for schema in schemas:
            assert recorded(schema) == [f"9999_{PREFIX}"], schema
            assert columns_of(schema) == {COLUMNS[0]}, schema


def test_a_run_python_migration_goes_through_django_tenants_and_lands_everywhere(
    committed: World, with_migrations: Callable[..., Any], leaf: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "ran_in.log"
    source = (
        "from django.db import migrations, models\n\n\n"
        "def ran(apps, schema_editor):\n"
        f"    with open({str(log)!r}, 'a') as f:\n"
        "        f.write(schema_editor.connection.schema_name + '\\n')\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('tracking', {leaf!r})]\n"
        f"    operations = [migrations.AddField('case', {COLUMNS[0]!r}, "
        "models.IntegerField(null=True)), migrations.RunPython(ran, migrations.RunPython.noop)]\n"
    )
    schemas = tenant_schemas()
    with with_migrations({f"9999_{PREFIX}": source}):
        migrate_schemas()
        out = capsys.readouterr().out
        assert (f"0 schema(s) migrated by replay in 1 group(s) of applied migrations "
                f"(4 thread(s)), {len(schemas)} by django-tenants, 0 failed") in out
        ran_in = log.read_text().splitlines()
        assert ran_in[0] == template_schema_name()  # the template first
        assert sorted(ran_in) == sorted(schemas)  # each once (associations by name)
        for schema in schemas:
            assert columns_of(schema) == {COLUMNS[0]}, schema
            assert recorded(schema) == [f"9999_{PREFIX}"], schema


def test_spares_are_migrated_after_the_template_and_closed_associations_left_alone(
    committed: World, with_migrations: Callable[..., Any], leaf: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from django.db import transaction

    with transaction.atomic():
        clone_template_schema(SPARE, spare=False)
    # An association closed for good: its row stays, its schema is dropped.
    Association.objects.bulk_create([Association(
        slug="replay-test-gone", name="Fermée", schema_name=TOMBSTONE,
        state=Association.State.CLOSED, is_active=False)])
    schemas = tenant_schemas()
    assert TOMBSTONE in schemas
    assert SPARE in schemas
    with with_migrations({f"9999_{PREFIX}": add_field("a", COLUMNS[0], leaf)}):
        started = migrate_schemas()
        out = capsys.readouterr().out
        assert started[0] == template_schema_name()
        assert SPARE in started
        assert TOMBSTONE not in started
        assert ("migrate_schemas: 1 association(s) without a schema (closed, their data "
                f"erased) left alone: {TOMBSTONE}.") in out
        assert columns_of(SPARE) == {COLUMNS[0]}
        # Still claimable: the same applied migrations as the template.
        assert applied(SPARE) == applied(template_schema_name())
        assert f"tracking.9999_{PREFIX}" in applied(SPARE)
    assert Association.objects.filter(schema_name=TOMBSTONE).exists()  # nothing deleted


def test_two_groups_with_different_applied_migrations_both_end_complete(
    committed: World, with_migrations: Callable[..., Any], leaf: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = {f"9998_{PREFIX}": add_field("a", COLUMNS[0], leaf)}
    both = {**first, f"9999_{PREFIX}": add_field("b", COLUMNS[1], f"9998_{PREFIX}")}
    acme = committed.acme.schema_name
    with with_migrations(first):
        migrate_schemas()
    # acme loses the first migration: it is two behind, the other schemas one.
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{acme}".tracking_case DROP COLUMN {COLUMNS[0]}')
        cursor.execute(f'DELETE FROM "{acme}".django_migrations WHERE name = %s',
                       [f"9998_{PREFIX}"])
    capsys.readouterr()
    schemas = tenant_schemas()
    with with_migrations(both):
        migrate_schemas()
        assert (f"{len(schemas)} schema(s) migrated by replay in 2 group(s) "
                in capsys.readouterr().out)
        for schema in schemas:
            assert columns_of(schema) == set(COLUMNS), schema
            assert recorded(schema) == sorted(both), schema


def test_ddl_made_from_what_django_introspected_is_replayed(
    committed: World, with_migrations: Callable[..., Any], leaf: str,
) -> None:
    """The second migration drops the unique constraint and the index of the first: Django
    finds their names by introspection (not replayed), the DROPs are."""
    column = COLUMNS[0]
    extra = {
        f"9998_{PREFIX}": add_field("a", column, leaf).replace(
            "IntegerField(null=True)", "IntegerField(null=True, unique=True, db_index=True)"),
        f"9999_{PREFIX}": add_field("a", column, f"9998_{PREFIX}").replace(
            "AddField", "AlterField"),
    }
    schemas = tenant_schemas()
    with with_migrations(extra):
        migrate_schemas()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'tracking_case' "
            "AND schemaname = ANY(%s) AND indexdef LIKE %s", [schemas, f"%{column}%"])
        assert cursor.fetchone() == (0,)
    for schema in schemas:
        assert columns_of(schema) == {column}, schema
        assert recorded(schema) == sorted(extra), schema


def _migration(*operations: Any, atomic: bool = True) -> migrations.Migration:
    probe = type("Migration", (migrations.Migration,),
                 {"operations": list(operations), "atomic": atomic})
    return probe("9999_probe", "tracking")


def _noop(apps: Any, schema_editor: Any) -> None:
    pass


@pytest.mark.parametrize(("operations", "atomic", "reason"), [
    ([migrations.RunSQL("SELECT 1"), migrations.RunPython(migrations.RunPython.noop)],
     True, None),
    ([migrations.RunSQL("SELECT 1")], False, "tracking.9999_probe is not atomic"),
    ([migrations.RunPython(_noop)], True, "tracking.9999_probe: RunPython"),
    ([migrations.SeparateDatabaseAndState(database_operations=[migrations.RunPython(_noop)])],
     True, "tracking.9999_probe: RunPython"),
])
def test_only_schema_operations_and_sql_are_replayable(
    operations: list[Any], atomic: bool, reason: str | None,
) -> None:
    with schema_context(template_schema_name()):  # the router's answers in a tenant schema
        plan = [(_migration(*operations, atomic=atomic), False)]
        assert non_replayable_reason(plan) == reason


def test_run_python_of_an_app_kept_out_of_tenant_schemas_is_replayable() -> None:
    migration = _migration(migrations.RunPython(_noop))
    migration.app_label = "auth"  # public only: Django would not run it in a tenant schema
    with schema_context(template_schema_name()):
        assert non_replayable_reason([(migration, False)]) is None
