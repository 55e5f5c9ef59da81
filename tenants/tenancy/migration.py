"""A migration executor that keeps the template schema migrated with every tenant, and
skips the schemas that have nothing to apply.

- django-tenants' `migrate_schemas` migrates the schemas of the tenant rows; the template
  that new associations are cloned from is not a tenant row, so it is added here: it is
  migrated first, before any association, whenever tenant schemas are migrated.
- django-tenants runs Django's whole `migrate` in every schema, even when nothing is
  pending: about 0.7 s a schema (a new connection, the migration graph, the checks, the
  post-migrate signals), 12 minutes for a thousand associations. Here one query per batch
  of schemas reads what each schema has recorded in its `django_migrations`, and only the
  schemas missing one of the graph's migrations are handed to django-tenants. The check
  is conservative: a schema is skipped only when every migration of the graph is recorded
  in it; anything else (no table, a squashed migration recorded under its parts) is
  migrated as before.

The skip applies to a plain `migrate_schemas` (with or without `--schema`, any
executor). Anything that asks for more than "apply what is missing" — an app label or a
target migration, `--fake`, `--fake-initial`, `--plan`, `--prune`, `--check`,
`--run-syncdb` — runs in every schema as django-tenants does, and so does any run with
RELIER_MIGRATE_EVERY_SCHEMA=1 in the environment.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as base_get_executor
from django_tenants.migration_executors.base import MigrationExecutor

EVERY_SCHEMA_ENV = "RELIER_MIGRATE_EVERY_SCHEMA"
# Schemas read per query: a UNION of this many tables takes as many locks, released at
# the end of each statement (PostgreSQL's lock table is sized ~64 locks per connection).
BATCH = 200
# Options under which every schema must be visited.
FULL_PASS_OPTIONS = (
    "app_label", "migration_name", "fake", "fake_initial", "plan", "prune",
    "check_unapplied", "run_syncdb",
)


def graph_migrations() -> set[str]:
    """Every migration of the graph as "app.name" — what `migrate` records in each
    schema it has run in (every app's migrations, even those the router keeps out)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {f"{app}.{name}" for app, name in loader.graph.nodes}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schemas_up_to_date(
    schemas: Sequence[str], expected: set[str], *, using: str = "default"
) -> set[str]:
    """The schemas among `schemas` whose django_migrations records every `expected`
    migration (one query per BATCH schemas)."""
    if not schemas or not expected:
        return set()
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p')
                 AND n.nspname = ANY(%s)""",
            [list(schemas)],
        )
        with_table = [row[0] for row in cursor.fetchall()]
        done: set[str] = set()
        keys = sorted(expected)
        for start in range(0, len(with_table), BATCH):
            batch = with_table[start:start + BATCH]
            parts = [
                f"SELECT %s, count(DISTINCT m.app || '.' || m.name) FROM {_quote(schema)}"  # noqa: S608 (quoted identifier)
                ".django_migrations m JOIN expected e ON e.key = m.app || '.' || m.name"
                for schema in batch
            ]
            cursor.execute(
                "WITH expected(key) AS (SELECT unnest(%s::text[])) "
                + " UNION ALL ".join(parts),
                [keys, *batch],
            )
            done.update(schema for schema, count in cursor.fetchall() if count == len(keys))
    return done


def skip_allowed(options: dict[str, Any]) -> bool:
    if os.environ.get(EVERY_SCHEMA_ENV, "").strip() not in ("", "0"):
        return False
    return not any(options.get(name) for name in FULL_PASS_OPTIONS)


def schemas_to_migrate(
    schemas: Iterable[str], options: dict[str, Any], *, using: str = "default"
) -> tuple[list[str], int]:
    """The schemas with something to apply, in their order, and how many were skipped."""
    schemas = list(schemas)
    if not schemas or not skip_allowed(options):
        return schemas, 0
    up_to_date = schemas_up_to_date(schemas, graph_migrations(), using=using)
    connection = connections[using]
    if not connection.in_atomic_block:
        # The check opened every schema's django_migrations in this backend: start the
        # migrations on a new one rather than on a relation cache of a thousand schemas.
        connection.close()
    pending = [schema for schema in schemas if schema not in up_to_date]
    return pending, len(schemas) - len(pending)


def get_executor(codename: str | None = None) -> type[MigrationExecutor]:
    base = base_get_executor(codename)

    class TemplateAwareExecutor(base):  # type: ignore[valid-type,misc]
        def run_migrations(self, tenants: Any = None) -> Any:
            from tenants.tenancy.provisioning import ensure_template_schema, template_schema_name

            tenants = list(tenants or [])
            # The public schema is migrated in a call of its own ([public]); any other
            # call, even with no association yet, is the tenant pass.
            if tenants != [self.PUBLIC_SCHEMA_NAME] and not self.options.get("schema_name"):
                ensure_template_schema()
                tenants.insert(0, template_schema_name())
            # `migrate_schemas` ran the system checks once already; without this, the
            # command line (not call_command) ran them again in every schema.
            options: dict[str, Any] = self.options
            options["skip_checks"] = True
            count = len(tenants)
            tenants, skipped = schemas_to_migrate(
                tenants, options, using=options.get("database") or "default"
            )
            if skipped and int(options.get("verbosity", 1)) >= 1:
                sys.stdout.write(
                    f"migrate_schemas: {skipped} of {count} schema(s) have every migration "
                    "applied and were skipped.\n"
                )
            return super().run_migrations(tenants=tenants)

    TemplateAwareExecutor.codename = base.codename
    return TemplateAwareExecutor
