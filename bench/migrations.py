"""How long `migrate_schemas` takes over many association schemas (issue #9, item 2).

    .venv/bin/python bench/migrations.py [--associations 1000] [--sample 30] [--threads 4]
    .venv/bin/python bench/migrations.py --database relier_bench_scale --reuse   # keep the data

a. Nothing pending: `migrate_schemas` as the product runs it (schemas with every migration
   recorded are skipped, tenants/tenancy/migration.py), and — on a sample of schemas, extrapolated —
   django-tenants' behaviour of running Django's whole `migrate` in each schema
   (RELIER_MIGRATE_EVERY_SCHEMA=1).
b. One new migration (a nullable column added to tracking_case, in a copy of the tracking
   migrations given to Django through MIGRATION_MODULES): `migrate_schemas` as the product
   runs it — the template migrated for real, its SQL replayed in every association on
   `--threads` threads (RELIER_MIGRATE_THREADS, tenants/tenancy/replay.py); total
   wall-clock time, schemas per second, the command's own summary line, the time of each
   schema, a check that every schema recorded the migration and that the template got it
   (a new association has the column), and the goal: under 120 s. The column and its
   migration record are then removed with plain SQL, so that the database can be reused
   (`--no-cleanup` leaves them).

Runs in a throw-away database on the development server (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from provisioning import (
    add_reuse_arguments,
    in_bench_database,
    load,
    populate,
    quiet,
    warm_up,
)

COLUMN_MODEL = "case"  # tracking.Case: the table every association has rows in
GOAL_NOTHING_PENDING = 60.0
GOAL_ONE_NEW_MIGRATION = 120.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--associations", type=int, default=1000,
                        help="associations that exist before measuring (1000)")
    parser.add_argument("--sample", type=int, default=30,
                        help="schemas migrated one by one without the skip (30)")
    parser.add_argument("--threads", "--processes", dest="threads", type=int, default=4,
                        help="threads replaying the new migration (RELIER_MIGRATE_THREADS, 4)")
    parser.add_argument("--database", default="relier_bench_migrations",
                        help="throw-away database (relier_bench_migrations)")
    parser.add_argument("--no-new-migration", dest="new_migration", action="store_false",
                        help="measure only the pass with nothing pending")
    parser.add_argument("--no-cleanup", dest="cleanup", action="store_false",
                        help="leave the bench column and its migration record in every schema")
    add_reuse_arguments(parser)
    return parser.parse_args()


class SchemaTimes:
    """Start and end of each schema's migration, from django-tenants' signals. The signal
    handlers are connected before the pool forks, so its processes append to the same file
    (one short line per write: O_APPEND keeps lines whole)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkstemp(prefix="relier-migrations-", suffix=".log")[1])

    def _write(self, line: str) -> None:
        with self.path.open("a") as f:
            f.write(line + "\n")

    def on_start(self, sender: Any, schema_name: str, **kwargs: Any) -> None:
        self._write(f"start {schema_name} {time.time()}")

    def on_end(self, sender: Any, schema_name: str, **kwargs: Any) -> None:
        self._write(f"end {schema_name} {time.time()}")

    def __enter__(self) -> SchemaTimes:
        from django_tenants.signals import schema_migrated, schema_pre_migration

        self.path.write_text("")
        schema_pre_migration.connect(self.on_start, weak=False)
        schema_migrated.connect(self.on_end, weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        from django_tenants.signals import schema_migrated, schema_pre_migration

        schema_pre_migration.disconnect(self.on_start)
        schema_migrated.disconnect(self.on_end)

    def durations(self) -> dict[str, float]:
        marks: dict[str, dict[str, float]] = defaultdict(dict)
        for line in self.path.read_text().splitlines():
            kind, schema, stamp = line.split()
            marks[schema][kind] = float(stamp)
        self.path.unlink(missing_ok=True)
        return {s: m["end"] - m["start"] for s, m in marks.items() if "start" in m and "end" in m}


def spread(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"median {statistics.median(values):.3f} s, p95 {p95:.3f} s, "
            f"max {max(values):.3f} s over {len(values)} schema(s)")


def association_schemas() -> list[str]:
    from tenants.models import Association

    return list(Association.objects.exclude(schema_name="public")
                .order_by("pk").values_list("schema_name", flat=True))


def nothing_pending(sample: int) -> dict[str, Any]:
    from django.core.management import call_command

    from tenants.tenancy.migration import EVERY_SCHEMA_ENV, graph_migrations, schemas_up_to_date
    from tenants.tenancy.provisioning import template_schema_name

    schemas = [template_schema_name(), *association_schemas()]
    start = time.perf_counter()
    up_to_date = schemas_up_to_date(schemas, graph_migrations())
    check = time.perf_counter() - start
    print(f"  the check alone (graph + one query per 200 schemas): {check:.2f} s, "
          f"{len(up_to_date)} of {len(schemas)} schemas up to date")

    start = time.perf_counter()
    with quiet(), SchemaTimes() as times:
        call_command("migrate_schemas", interactive=False, verbosity=1)
    skipped_total = time.perf_counter() - start
    migrated = times.durations()
    print(f"  migrate_schemas (with the skip): {skipped_total:.1f} s; schemas migrated: "
          f"{len(migrated)} ({', '.join(sorted(migrated)) or 'none'})")

    # django-tenants' own behaviour, one schema at a time, on a sample.
    os.environ[EVERY_SCHEMA_ENV] = "1"
    try:
        with quiet(), SchemaTimes() as times:
            for schema in schemas[1:sample + 1]:
                call_command("migrate_schemas", schema_name=schema, interactive=False,
                             verbosity=1)
    finally:
        del os.environ[EVERY_SCHEMA_ENV]
    each = list(times.durations().values())
    estimate = statistics.median(each) * len(schemas) if each else float("nan")
    print(f"  without the skip (full migrate per schema): {spread(each)}; "
          f"× {len(schemas)} schemas ≈ {estimate:.0f} s")
    return {"total": skipped_total, "check": check, "migrated": len(migrated),
            "schemas": len(schemas), "unskipped_each": each, "unskipped_estimate": estimate}


def new_migration_module(column: str) -> tuple[Path, str]:
    """A copy of tracking's migrations plus one that adds `column` to tracking_case,
    importable as a package of its own (for MIGRATION_MODULES)."""
    from django.db.migrations.loader import MigrationLoader

    import tracking

    (leaf,) = MigrationLoader(None).graph.leaf_nodes("tracking")
    folder = Path(tempfile.mkdtemp(prefix="relier-bench-migrations-"))
    package = f"bench_tracking_migrations_{column}"
    shutil.copytree(Path(tracking.__file__).parent / "migrations", folder / package,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / package / f"{column}.py").write_text(
        "from django.db import migrations, models\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"    dependencies = [('tracking', {leaf[1]!r})]\n"
        f"    operations = [migrations.AddField({COLUMN_MODEL!r}, {column!r}, "
        "models.IntegerField(null=True, blank=True))]\n"
    )
    sys.path.insert(0, str(folder))
    return folder, package


def has_column(schema: str, column: str) -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = 'tracking_case' AND column_name = %s", [schema, column])
        return cursor.fetchone() is not None


def one_new_migration(threads: int, *, cleanup: bool) -> dict[str, Any]:
    from django.core.management import call_command
    from django.test import override_settings

    from tenants.tenancy.migration import schemas_up_to_date
    from tenants.tenancy.provisioning import template_schema_name
    from tenants.tenancy.replay import THREADS_ENV
    from tenants.tenancy.services import association_create, schema_name_for

    column = f"bench_{int(time.time())}"
    schemas = [template_schema_name(), *association_schemas()]
    folder, package = new_migration_module(column)
    os.environ[THREADS_ENV] = str(threads)
    try:
        with override_settings(MIGRATION_MODULES={"tracking": package}):
            out = io.StringIO()
            start = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()), \
                    SchemaTimes() as times:
                call_command("migrate_schemas", interactive=False, verbosity=1)
            total = time.perf_counter() - start
            each = times.durations()
            recorded = schemas_up_to_date(schemas, {f"tracking.{column}"})
            template_ok = has_column(template_schema_name(), column)
            slug = f"after-{column.replace('_', '-')}"
            with quiet():
                association_create(actor=None, slug=slug, name=f"Association {slug}",
                                   admin_email=f"admin@{slug}.example.org")
            clone_ok = has_column(schema_name_for(slug), column)
            start = time.perf_counter()
            with quiet():
                call_command("migrate_schemas", interactive=False, verbosity=1)
            again = time.perf_counter() - start
    finally:
        del os.environ[THREADS_ENV]
        sys.path.remove(str(folder))
        shutil.rmtree(folder, ignore_errors=True)
    missing = [s for s in schemas if s not in recorded]
    tenant_times = [t for s, t in each.items() if s != "public"]
    summary = [line for line in out.getvalue().splitlines() if "migrated by replay" in line]
    print(f"  migrate_schemas ({threads} threads): {total:.1f} s for {len(schemas)} schemas, "
          f"{len(schemas) / total:.1f} schemas per second (public pass included)")
    print(f"  the command said: {summary[0] if summary else '(no summary line)'}")
    print(f"  each schema, as its thread saw it: {spread(tenant_times)}")
    print(f"  template migrated: {'yes' if template_ok else 'NO'}; a new association "
          f"cloned afterwards has the column: {'yes' if clone_ok else 'NO'}; schemas "
          f"without the migration recorded: {len(missing)}")
    print(f"  migrate_schemas again right after (nothing pending): {again:.1f} s")
    verdict = total < GOAL_ONE_NEW_MIGRATION
    print(f"  goal under {GOAL_ONE_NEW_MIGRATION:.0f} s: {'YES' if verdict else 'NO'} "
          f"({total:.1f} s)")
    if cleanup:
        start = time.perf_counter()
        remove_column(column)
        print(f"  (bench column and migration record removed with SQL in "
              f"{time.perf_counter() - start:.1f} s)")
    return {"total": total, "each": tenant_times, "template": template_ok,
            "clone": clone_ok, "missing": missing, "again": again, "goal": verdict}


def remove_column(column: str) -> None:
    """Undo the bench migration everywhere with plain SQL, one schema per statement."""
    from django.db import connection

    with connection.cursor() as cursor:
        # The public pass records every app's migrations, tenant ones included.
        cursor.execute("DELETE FROM public.django_migrations WHERE app = 'tracking' "
                       "AND name = %s", [column])
        cursor.execute(
            "SELECT table_schema FROM information_schema.columns WHERE table_name = "
            "'tracking_case' AND column_name = %s", [column])
        for (schema,) in cursor.fetchall():
            quoted = connection.ops.quote_name(schema)
            cursor.execute(
                f"ALTER TABLE {quoted}.tracking_case DROP COLUMN {column};"
                f"DELETE FROM {quoted}.django_migrations WHERE app = 'tracking' "
                f"AND name = '{column}'"
            )


def run(args: argparse.Namespace) -> int:
    import django
    from django.core.management import call_command
    from django.db import connection

    from tenants.tenancy.services import public_tenant_ensure

    print(f"Relier migrations bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}, PostgreSQL "
          f"{pg_version}, {os.cpu_count()} CPU(s); database {args.database!r}; {load()}")
    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
    public_tenant_ensure()
    warm_up()
    spent = populate(args.associations, [0])
    if spent:
        print(f"created {len(spent)} associations in {sum(spent):.0f} s ({load()})")
    print(f"{len(association_schemas())} associations\n")

    print(f"a. Nothing pending ({load()})")
    a = nothing_pending(args.sample)
    verdict = a["total"] < GOAL_NOTHING_PENDING
    print(f"  goal under {GOAL_NOTHING_PENDING:.0f} s: {'YES' if verdict else 'NO'} "
          f"({a['total']:.1f} s; without the skip ≈ {a['unskipped_estimate']:.0f} s)\n")
    ok = verdict
    if args.new_migration:
        print(f"b. One new migration ({load()})")
        b = one_new_migration(args.threads, cleanup=args.cleanup)
        ok = ok and b["goal"] and b["template"] and b["clone"] and not b["missing"]
    print(f"\n({load()} at the end)")
    return 0 if ok else 1


def main() -> int:
    args = parse_args()
    return in_bench_database(args.database, lambda: run(args), keep=args.keep,
                             reuse=args.reuse)


if __name__ == "__main__":
    sys.exit(main())
