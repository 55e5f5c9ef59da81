"""tracking's migrations were squashed into one that Citus accepts from its first
statement (tracking/migrations/0001_squashed_0014_...). Both roads must lead to the same
schema:

- a new database runs the squashed migration alone (the test database's template did);
- a database that applied 0001-0014 one by one migrates forward with nothing to run: the
  squashed migration is recorded as applied.

Real PostgreSQL; each migration commits, as in production, in two schemas of the test
database dropped afterwards."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import override_settings

from relier_platform.tenancy import db
from tests.conftest import committed_data

SQUASHED = "0001_squashed_0014_content_types_in_public_only"
OLD = "sq_old_history"
# tracking's migrations written after the squash (0015 on), in order.
LATER = sorted(path.stem for path in (Path(__file__).resolve().parents[2] / "tracking"
                                      / "migrations").glob("0*.py")
               if int(path.stem[:4]) > 14)
NEW = "sq_new_history"


@pytest.fixture
def old_history(tmp_path: Path) -> Iterator[str]:
    """tracking's migrations as they were before the squash (0001-0014, one by one)."""
    import tracking

    package = f"old_tracking_migrations_{tmp_path.name.replace('-', '_')}"
    shutil.copytree(Path(tracking.__file__).parent / "migrations", tmp_path / package,
                    ignore=shutil.ignore_patterns("__pycache__", "0001_squashed_*"))
    sys.path.insert(0, str(tmp_path))
    try:
        yield package
    finally:
        sys.path.remove(str(tmp_path))


def migrate(schema: str) -> list[str]:
    """Migrate `schema` to the leaves of the graph as django-tenants does (its search path,
    its tables only); the tracking migrations the plan ran."""
    db().set_schema(schema)  # type: ignore[attr-defined]
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    executor.migrate(targets, plan=plan)
    return [migration.name for migration, _ in plan if migration.app_label == "tracking"]


def structure(schema: str) -> dict[str, set[tuple[str, ...]]]:
    """What a schema is made of, by name: columns, constraints, indexes, triggers and
    functions (their definitions, with the schema's name taken out)."""
    def rows(sql: str) -> set[tuple[str, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [schema])
            return {tuple(str(v).replace(f"{schema}.", "") for v in row)
                    for row in cursor.fetchall()}

    return {
        "columns": rows(
            """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                      a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                      a.attidentity
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE n.nspname = %s AND c.relkind = 'r' AND a.attnum > 0
                 AND NOT a.attisdropped"""),
        "constraints": rows(
            """SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
               FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s"""),
        "indexes": rows(
            """SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s"""),
        "triggers": rows(
            """SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND NOT t.tgisinternal"""),
        "functions": rows(
            """SELECT p.proname, p.prosrc FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s"""),
    }


def drop_schemas() -> None:
    db().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{OLD}", "{NEW}" CASCADE')


@pytest.fixture
def schemas(world: object, django_db_blocker: Any) -> Iterator[None]:
    with committed_data(django_db_blocker, drop_schemas):
        yield


def test_the_old_history_migrates_forward_to_the_same_schema(
    old_history: str, schemas: None,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{OLD}"')
    try:
        with override_settings(MIGRATION_MODULES={"tracking": old_history}):
            ran = migrate(OLD)
        assert ran[0] == "0001_initial"
        assert ran[13] == "0014_content_types_in_public_only"
        # Migrations written after the squash follow on both roads.
        assert ran[14:] == LATER
        # Back on the project's migrations: nothing left to run, the squash is recorded.
        assert migrate(OLD) == []
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT name FROM "{OLD}".django_migrations WHERE app = %s',
                           ["tracking"])
            names = {row[0] for row in cursor.fetchall()}
        assert SQUASHED in names
        assert "0013_object_permissions" in names
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{NEW}"')
        assert migrate(NEW) == [SQUASHED, *LATER]
        db().set_schema_to_public()
        old, new = structure(OLD), structure(NEW)
        for part in old:
            assert old[part] == new[part], (part, old[part] ^ new[part])
    finally:
        db().set_schema_to_public()
