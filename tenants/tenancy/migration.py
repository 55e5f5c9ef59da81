"""A migration executor that keeps the template schema migrated with every tenant, skips
the schemas that have nothing to apply, and migrates the others by replaying one schema's
SQL in the rest.

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
- The pending tenant schemas are then grouped by their applied migrations; in each group
  one schema (the template first) is migrated by Django and its SQL replayed in the others
  on RELIER_MIGRATE_THREADS threads (default 4), when the plan allows it
  (tenants/tenancy/replay.py says when, and what the replay does about signals). The
  rest goes to django-tenants, one schema at a time with the standard executor. A schema
  that fails stops none of the others: each failure is written on stderr, one line per
  schema, and the command fails once every schema has been tried; those schemas are
  still pending, so the next run picks them up.

The skip and the replay apply to a plain `migrate_schemas` (with or without `--schema`,
any executor; the public schema is only skipped, never replayed). Anything that asks for
more than "apply what is missing" — an app label or a target migration, `--fake`,
`--fake-initial`, `--plan`, `--prune`, `--check`, `--run-syncdb` — runs in every schema
as django-tenants does, and so does any run with RELIER_MIGRATE_EVERY_SCHEMA=1 in the
environment.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.management import CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors import get_executor as base_get_executor
from django_tenants.migration_executors.base import MigrationExecutor

from tenants.tenancy.replay import applied_migrations

EVERY_SCHEMA_ENV = "RELIER_MIGRATE_EVERY_SCHEMA"
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


def schemas_up_to_date(
    schemas: Sequence[str], expected: set[str], *, using: str = "default"
) -> set[str]:
    """The schemas among `schemas` whose django_migrations records every `expected`
    migration (one query per BATCH schemas: replay.applied_migrations)."""
    if not schemas or not expected:
        return set()
    applied = applied_migrations(schemas, using=using)
    return {schema for schema, names in applied.items()
            if names is not None and expected <= names}


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


def existing_schemas(
    schemas: Sequence[str], *, using: str = "default"
) -> tuple[list[str], list[str]]:
    """`schemas` split into those that exist and those that do not (an association closed
    for good keeps its row, a tombstone, once its schema is dropped)."""
    if not schemas:
        return [], []
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s)",
                       [list(schemas)])
        found = {row[0] for row in cursor.fetchall()}
    return ([schema for schema in schemas if schema in found],
            [schema for schema in schemas if schema not in found])


def get_executor(codename: str | None = None) -> type[MigrationExecutor]:
    base = base_get_executor(codename)

    class TemplateAwareExecutor(base):  # type: ignore[valid-type,misc]
        def run_migrations(self, tenants: Any = None) -> Any:
            from tenants.tenancy import citus
            from tenants.tenancy.provisioning import (
                ensure_template_schema,
                spare_names,
                template_schema_name,
            )

            tenants = list(tenants or [])
            # The public schema is migrated in a call of its own ([public]); any other
            # call, even with no association yet, is the tenant pass.
            public_pass = tenants == [self.PUBLIC_SCHEMA_NAME]
            if not public_pass:
                citus.sessions_for_ddl()
                using = self.options.get("database") or "default"
                tenants, gone = existing_schemas(tenants, using=using)
                if gone and int(self.options.get("verbosity", 1)) >= 1:
                    sys.stdout.write(
                        f"migrate_schemas: {len(gone)} association(s) without a schema "
                        f"(closed, their data erased) left alone: {', '.join(gone)}.\n"
                    )
                if not self.options.get("schema_name"):
                    ensure_template_schema()
                    # The template first (the replay's representative), then the spares
                    # cloned from it, so that they stay claimable.
                    tenants[:0] = [template_schema_name(), *spare_names()]
            # `migrate_schemas` ran the system checks once already; without this, the
            # command line (not call_command) ran them again in every schema.
            options: dict[str, Any] = self.options
            options["skip_checks"] = True
            using = options.get("database") or "default"
            count = len(tenants)
            tenants, skipped = schemas_to_migrate(tenants, options, using=using)
            if skipped and int(options.get("verbosity", 1)) >= 1:
                sys.stdout.write(
                    f"migrate_schemas: {skipped} of {count} schema(s) have every migration "
                    "applied and were skipped.\n"
                )
            if public_pass:
                result = super().run_migrations(tenants=tenants)
                citus.prepare_public()  # on a Citus cluster only
                return result
            if not tenants or not skip_allowed(options):
                return super().run_migrations(tenants=tenants)
            return self.replay(tenants, using=using)

        def replay(self, tenants: list[str], *, using: str) -> None:
            """The pending tenant schemas, by replay where possible (tenants/tenancy/replay.py),
            by django-tenants otherwise; every schema is tried, then the failed ones are
            reported (one line each on stderr) and the command fails."""
            from tenants.tenancy import replay

            run_with_django_tenants = super().run_migrations
            start = time.perf_counter()
            threads = replay.threads_setting()
            report = replay.migrate_pending(
                tenants, using=using, threads=threads,
                fallback=lambda schemas: _fallback(
                    run_with_django_tenants, schemas, each=self.codename == "standard",
                    using=using),
            )
            seconds = time.perf_counter() - start
            verbosity = int(self.options.get("verbosity", 1))
            if verbosity >= 2:
                for schema, reason in report.reasons.items():
                    sys.stdout.write(f"migrate_schemas: not replayed from {schema}: {reason}\n")
            if verbosity >= 1:
                sys.stdout.write(
                    f"migrate_schemas: {len(report.replayed)} schema(s) migrated by replay in "
                    f"{report.groups} group(s) of applied migrations ({threads} thread(s)), "
                    f"{len(report.fallback)} by django-tenants, {len(report.failed)} failed, "
                    f"in {seconds:.1f} s.\n"
                )
            for schema, error in report.failed.items():
                sys.stderr.write(f"migrate_schemas: {schema} failed: {error}\n")
            if report.failed:
                raise CommandError(
                    f"migrate_schemas: {len(report.failed)} schema(s) failed "
                    f"({', '.join(report.failed)}); the others are migrated. Run it again "
                    "once fixed: only what is still pending is migrated."
                )

    TemplateAwareExecutor.codename = base.codename
    return TemplateAwareExecutor


def _fallback(
    run: Callable[..., Any], schemas: list[str], *, each: bool, using: str
) -> dict[str, str]:
    """django-tenants' way: one schema at a time (standard executor), a failure stopping
    none of the others; or all in one call (the other executors: after a failure, the
    schemas still pending carry its error)."""
    from tenants.tenancy.replay import error_line

    failed: dict[str, str] = {}
    for chunk in ([schema] for schema in schemas) if each else [schemas]:
        try:
            run(tenants=list(chunk))
        except Exception as error:  # reported with the others at the end
            connection = connections[using]
            connection.set_schema_to_public()  # type: ignore[attr-defined]
            if not connection.in_atomic_block:
                connection.close()
            pending, _ = schemas_to_migrate(chunk, {}, using=using)
            failed.update(dict.fromkeys(pending or chunk, error_line(error)))
    return failed
