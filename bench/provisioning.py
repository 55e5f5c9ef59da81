"""How long creating an association takes: cloned template schema vs. every migration.

    .venv/bin/python bench/provisioning.py [--runs N] [--existing 0,200]

Runs in a throw-away database (`relier_bench` by default) on the same PostgreSQL server
as the development database, which is never touched: the bench database is created
before Django connects and dropped at the end. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

# Fixed before the settings are imported: no DEBUG query log distorting the figures, and
# a Redis database and key prefix of the bench's own (forget_hosts() deletes cache keys).
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relier_platform.settings")
os.environ.setdefault("RELIER_REDIS_DB", "14")
os.environ.setdefault("CACHE_KEY_PREFIX", "bench")
os.environ.setdefault("CELERY_KEY_PREFIX", "bench:")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

GOAL_SPEEDUP = 10.0
GOAL_CLONE_SECONDS = 0.5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each path (5)")
    parser.add_argument(
        "--existing", default="0,200",
        help="comma-separated numbers of associations that exist before timing (0,200)",
    )
    parser.add_argument(
        "--database", default="relier_bench",
        help="name of the throw-away database, dropped and re-created (relier_bench)",
    )
    add_reuse_arguments(parser)
    parser.add_argument(
        "--one-connection", type=int, default=0, metavar="N",
        help="after the levels, create N more associations on ONE connection (as before "
             "tenants.tenancy.provisioning.connection_fresh) and show how the clone slows down",
    )
    parser.add_argument(
        "--no-reused-connection", dest="reused_connection", action="store_false",
        help="skip the third path (a clone on a connection that has read every schema)",
    )
    args = parser.parse_args()
    try:
        args.existing = sorted({int(n) for n in args.existing.split(",") if n.strip()})
    except ValueError:
        parser.error("--existing takes whole numbers separated by commas, e.g. 0,200")
    if args.runs < 1 or not args.existing or args.existing[0] < 0:
        parser.error("--runs must be at least 1 and --existing numbers at least 0")
    return args


def add_reuse_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--keep", action="store_true",
        help="leave the database at the end (to re-run with --reuse)",
    )
    parser.add_argument(
        "--reuse", action="store_true",
        help="use the database as left by an earlier --keep run instead of re-creating it "
             "(its associations count towards --existing); implies --keep",
    )


# --- The throw-away database -------------------------------------------------------------


def server_params() -> dict[str, Any]:
    """libpq parameters of the development database, read the way settings.py reads them
    (DATABASE_URL, or else the embedded server under .data/, started if need be)."""
    url = os.environ.get("DATABASE_URL", "")
    if url:
        return dict(conninfo_to_dict(url))
    from relier_platform import embedded

    return dict(embedded.postgres_settings())


def admin_connect(params: dict[str, Any]) -> psycopg.Connection[Any]:
    return psycopg.connect(make_conninfo(**{**params, "dbname": "postgres"}), autocommit=True)


DROP = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")


def create_database(params: dict[str, Any], name: str) -> None:
    with admin_connect(params) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def database_exists(params: dict[str, Any], name: str) -> bool:
    with admin_connect(params) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() \
            is not None


def drop_database(params: dict[str, Any], name: str) -> None:
    with admin_connect(params) as conn:
        conn.execute(DROP.format(sql.Identifier(name)))


# --- Measuring -----------------------------------------------------------------------------


def second_factor(user: Any) -> None:
    """Give `user` a TOTP authenticator (allauth's own API), as if they had set one up.

    Admins and psychologists must have a second factor (tenants/accounts/mfa.py): a bench that signs
    them in with force_login would otherwise be answered by the set-up page (302)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Swallow anything a migration or a signal handler prints."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def migration_path() -> Iterator[None]:
    """Association creation as django-tenants does it without a template: CREATE SCHEMA,
    then `migrate_schemas --schema <new>` runs every tenant migration."""
    from unittest import mock

    from django.test import override_settings
    from django_tenants.models import TenantMixin

    from tenants.models import Association

    def create_schema(self: Any, *args: Any, **kwargs: Any) -> Any:
        # Every migration runs inside the provisioning transaction here (as savepoints):
        # foreign keys are checked at once, or tracking/0008's ALTER TABLE would meet the
        # deferred checks of 0004's rows ("pending trigger events").
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        return TenantMixin.create_schema(self, *args, **kwargs)

    with (
        override_settings(TENANT_CREATION_FAKES_MIGRATIONS=False),
        mock.patch.object(Association, "create_schema", create_schema),
    ):
        yield


@contextlib.contextmanager
def reused_connection() -> Iterator[None]:
    """Provisioning as it ran before `tenants.tenancy.provisioning.connection_fresh`: on whatever
    connection the caller has, whatever its backend has cached."""
    from unittest import mock

    with mock.patch("tenants.tenancy.provisioning.connection_fresh", return_value=False):
        yield


def touch_every_schema() -> tuple[int, float]:
    """Read every table of every association schema on this connection, as a worker does
    that computed every association's contribution: its backend then caches them all.
    Returns (schemas, seconds)."""
    from django.db import connection

    from relier_platform.tenancy import db

    start = time.perf_counter()
    db().set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT n.nspname, array_agg(c.relname ORDER BY c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname LIKE 'a\\_%' AND c.relkind = 'r' GROUP BY n.nspname"""
        )
        schemas = cursor.fetchall()
        quote = connection.ops.quote_name
        for schema, tables in schemas:
            # One round trip per schema; planning each SELECT opens the table and its
            # indexes. Autocommit: the locks go at the end of each schema.
            cursor.execute(";".join(
                f"SELECT 1 FROM {quote(schema)}.{quote(t)} LIMIT 1" for t in tables
            ))
    return len(schemas), time.perf_counter() - start


def create(slug: str) -> None:
    from tenants.tenancy.services import association_create

    with quiet():
        association_create(
            actor=None, slug=slug, name=f"Association {slug}",
            admin_email=f"admin@{slug}.example.org",
        )


def timed_create(slug: str) -> float:
    start = time.perf_counter()
    create(slug)
    return time.perf_counter() - start


def association_count() -> int:
    from tenants.models import Association

    return Association.objects.exclude(schema_name="public").count()


# What a schema holds, with its own name replaced by "<schema>" so that two can be compared.
FINGERPRINT_QUERIES = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               a.attidentity, coalesce(pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %(oid)s AND c.relkind IN ('r', 'p') AND a.attnum > 0
          AND NOT a.attisdropped""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
        WHERE c.relnamespace = %(oid)s""",
    "constraints": """
        SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
        WHERE k.connamespace = %(oid)s""",
    "triggers": """
        SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %(oid)s AND NOT t.tgisinternal""",
    "functions": """
        SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p
        WHERE p.pronamespace = %(oid)s""",
    "sequences": """
        SELECT c.relname FROM pg_class c WHERE c.relnamespace = %(oid)s AND c.relkind = 'S'""",
}


def schema_fingerprint(schema: str) -> dict[str, frozenset[tuple[Any, ...]]]:
    """Columns (with defaults), indexes, constraints, triggers, functions, sequences (with
    their next value), the number of rows of every table and the applied migrations."""
    from django.db import connection

    from relier_platform.tenancy import db

    def neutral(value: Any) -> Any:
        return value.replace(schema, "<schema>") if isinstance(value, str) else value

    quoted = connection.ops.quote_name(schema)
    result: dict[str, frozenset[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        # An empty search_path makes pg_get_*def() qualify every name, ours included.
        cursor.execute("SELECT set_config('search_path', '', true)")
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema])
        oid = cursor.fetchone()[0]
        for kind, query in FINGERPRINT_QUERIES.items():
            cursor.execute(query, {"oid": oid})
            result[kind] = frozenset(tuple(map(neutral, row)) for row in cursor.fetchall())
        # The value each sequence hands out next (a clone must not restart at 1).
        next_values = []
        for (sequence,) in sorted(result["sequences"]):
            cursor.execute(
                "SELECT CASE WHEN is_called THEN last_value + s.seqincrement ELSE last_value END"
                f" FROM {quoted}.{connection.ops.quote_name(sequence)},"
                " pg_sequence s WHERE s.seqrelid = %s::regclass",
                [f"{quoted}.{connection.ops.quote_name(sequence)}"],
            )
            next_values.append((sequence, cursor.fetchone()[0]))
        result["sequences"] = frozenset(next_values)
        rows = []
        for (table,) in sorted({(row[0],) for row in result["columns"]}):
            cursor.execute(f"SELECT count(*) FROM {quoted}.{connection.ops.quote_name(table)}")
            rows.append((table, cursor.fetchone()[0]))
        result["rows"] = frozenset(rows)
        cursor.execute(f"SELECT app, name FROM {quoted}.django_migrations")
        result["migrations"] = frozenset(cursor.fetchall())
    db().set_schema_to_public()  # resets the search_path
    return result


def fingerprint_differences(one: str, other: str) -> list[str]:
    """What differs between two schemas (empty when they are alike)."""
    first, second = schema_fingerprint(one), schema_fingerprint(other)
    lines = []
    for kind in first:
        for item in sorted(first[kind] - second[kind], key=repr)[:5]:
            lines.append(f"{kind} only in {one}: {item}")
        for item in sorted(second[kind] - first[kind], key=repr)[:5]:
            lines.append(f"{kind} only in {other}: {item}")
    return lines


def warm_up() -> None:
    """One creation by each path, rolled back: imports every migration module and fills
    Python-side caches, so that the first timed run pays no one-off cost. PostgreSQL DDL
    is transactional, so the schemas vanish with the rollback."""
    from django.db import transaction

    from relier_platform.tenancy import db

    with transaction.atomic():
        create("warm-clone")
        with migration_path():
            create("warm-migrate")
        transaction.set_rollback(True)
    db().set_schema_to_public()


def populate(target: int, counter: list[int]) -> list[float]:
    """Create associations (by cloning) until `target` exist; return the time of each."""
    from tenants.models import Association

    spent: list[float] = []
    while association_count() < target:
        counter[0] += 1
        if Association.objects.filter(slug=f"pre-{counter[0]}").exists():
            continue  # a database reused from an earlier run
        spent.append(timed_create(f"pre-{counter[0]}"))
    return spent


def load() -> str:
    """The machine's load averages: other processes on the 2 cores skew the figures (every
    bench prints them)."""
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def fresh_association(slug: str, name: str, *, password: str) -> Any:
    """The set-up most benches start from, in their throw-away database: migrate_schemas
    (public and the template), the public tenant, then one association and its admin
    (`admin@<slug>.example`). Returns association_create's result."""
    from django.core.management import call_command

    from tenants.tenancy.services import association_create, public_tenant_ensure

    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
        public_tenant_ensure()
        return association_create(actor=None, slug=slug, name=name,
                                  admin_email=f"admin@{slug}.example", admin_password=password)


def one_connection(count: int) -> None:
    """Create `count` associations on the same connection, then one on a new connection:
    the clone's cost grows with the schemas the backend has created."""
    from django.db import connection

    from relier_platform.tenancy import db

    db().set_schema_to_public()
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    stamp = int(time.time())
    spent: list[float] = []
    tenth = max(1, count // 10)
    with reused_connection():
        for i in range(count):
            spent.append(timed_create(f"same-{stamp}-{i}"))
            if (i + 1) % tenth == 0:
                print(f"  on one connection: associations {i + 2 - tenth}-{i + 1}: "
                      f"median {statistics.median(spent[-tenth:]):.3f} s ({load()})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == pid, "the connection changed"
    fresh = [timed_create(f"fresh-{stamp}-{i}") for i in range(3)]
    print(f"  then on a new connection each (the product's path): "
          f"{summary(fresh)}")


def measure(level: int, runs: int, *, reused: bool) -> dict[str, Any]:
    """Alternate the paths, `runs` times each, so that they see the same database. The
    third one (`reused`) clones on a connection that has first read every schema."""
    from tenants.tenancy.services import schema_name_for

    clone: list[float] = []
    migrate: list[float] = []
    on_reused: list[float] = []
    for run in range(runs):
        clone.append(timed_create(f"clone-{level}-{run}"))
        with migration_path():
            migrate.append(timed_create(f"migr-{level}-{run}"))
        if reused:
            touched, seconds = touch_every_schema()
            if run == 0:
                print(f"  (reading every table of {touched} schemas on one connection: "
                      f"{seconds:.1f} s)")
            with reused_connection():
                on_reused.append(timed_create(f"reus-{level}-{run}"))
    differences = fingerprint_differences(
        schema_name_for(f"clone-{level}-0"), schema_name_for(f"migr-{level}-0")
    )
    for line in differences:
        print(f"  DIFFERENCE {line}")
    return {"clone": clone, "migrate": migrate, "reused": on_reused,
            "same_schema": not differences}


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}-{max(values):.3f})"


def in_bench_database(
    database: str, body: Callable[[], int], *, keep: bool = False, reuse: bool = False
) -> int:
    """Create the throw-away database, point Django at it, run `body`, drop it (unless
    `keep`). With `reuse`, an existing database of that name is used as it is (and kept).
    Shared by every bench script."""
    params = server_params()
    dev_name = params.get("dbname", "relier")
    if database in {dev_name, "relier", "postgres", "template0", "template1"}:
        sys.exit(f"Refusing to use {database!r} as the throw-away bench database.")

    keep = keep or reuse
    if reuse and database_exists(params, database):
        print(f"Reusing the database {database!r} left by an earlier run.")
    else:
        create_database(params, database)
    # settings.py reads DATABASE_URL when it is imported (by django.setup() below).
    os.environ["DATABASE_URL"] = make_conninfo(**{**params, "dbname": database})
    try:
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections

        assert settings.DATABASES["default"]["NAME"] == database
        try:
            return body()
        finally:
            connections.close_all()
    finally:
        if keep:
            print(f"\nDatabase {database!r} kept: DATABASE_URL='{os.environ['DATABASE_URL']}'")
        else:
            drop_database(params, database)


def main() -> int:
    args = parse_args()

    def body() -> int:
        from django.core.management import call_command

        return run(args, call_command)

    return in_bench_database(args.database, body, keep=args.keep, reuse=args.reuse)


def run(args: argparse.Namespace, call_command: Callable[..., Any]) -> int:
    import django
    from django.db import connection

    from tenants.tenancy.services import public_tenant_ensure

    print(f"Relier provisioning bench — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(
        f"Python {sys.version.split()[0]}, Django {django.get_version()}, PostgreSQL "
        f"{pg_version}, {os.cpu_count()} CPU(s); database {args.database!r} (throw-away)"
    )
    print(f"Machine {load()} at start")
    print(f"{args.runs} timed run(s) per path and level; times in seconds, median (min-max)\n")

    start = time.perf_counter()
    with quiet():
        call_command("migrate_schemas", interactive=False, verbosity=0)
    public_tenant_ensure()
    print(f"migrate_schemas (public + template): {time.perf_counter() - start:.1f} s")
    warm_up()

    results: list[tuple[int, dict[str, Any]]] = []
    counter = [0]
    for target in args.existing:
        spent = populate(target, counter)
        existing = association_count()
        if spent:
            tenth = max(1, len(spent) // 10)
            print(
                f"created {len(spent)} associations (by cloning), up to {existing}, in "
                f"{sum(spent):.1f} s: first {tenth} {statistics.mean(spent[:tenth]):.3f} s "
                f"each, last {tenth} {statistics.mean(spent[-tenth:]):.3f} s each ({load()})"
            )
        result = measure(existing, args.runs, reused=args.reused_connection)
        results.append((existing, result))
        reused = (f", clone on a connection that read every schema "
                  f"{summary(result['reused'])}" if result["reused"] else "")
        print(
            f"  {existing} existing: clone {summary(result['clone'])}, "
            f"migrations {summary(result['migrate'])}{reused} ({load()})"
        )

    if args.one_connection:
        print(f"\n{args.one_connection} associations created on one connection ({load()})")
        one_connection(args.one_connection)

    header = (
        f"{'existing':>8}  {'clone median':>12}  {'clone min-max':>13}  "
        f"{'migrations median':>17}  {'migr. min-max':>13}  {'ratio':>6}  "
        f"{'reused conn.':>12}  same schema"
    )
    print("\n" + header)
    print("-" * len(header))
    verdicts = []
    for existing, result in results:
        clone_median = statistics.median(result["clone"])
        migrate_median = statistics.median(result["migrate"])
        ratio = migrate_median / clone_median
        verdicts.append((existing, ratio, clone_median, result["same_schema"]))
        print(
            f"{existing:>8}  {clone_median:>12.3f}  "
            f"{min(result['clone']):>6.3f}-{max(result['clone']):<6.3f}  "
            f"{migrate_median:>17.3f}  "
            f"{min(result['migrate']):>6.3f}-{max(result['migrate']):<6.3f}  "
            f"{ratio:>5.1f}x  "
            f"{statistics.median(result['reused']) if result['reused'] else float('nan'):>12.3f}  "
            f"{'yes' if result['same_schema'] else 'NO'}"
        )
    print(
        "\n(existing = associations at the start of the level; each run adds one by each "
        "path. ratio = migrations median / clone median. same schema = the first cloned and "
        "the first migrated schema have the same columns, defaults, indexes, constraints, "
        "triggers, functions, sequences and their next values, row counts and applied "
        "migrations. reused conn. = median of the clone run on a connection that has "
        "just read every table of every association schema, as it ran before "
        "tenants.tenancy.provisioning.connection_fresh.)"
    )

    fast_enough = all(ratio >= GOAL_SPEEDUP for _, ratio, _, _ in verdicts)
    under_limit = all(clone < GOAL_CLONE_SECONDS for _, _, clone, _ in verdicts)
    ratios = ", ".join(f"{ratio:.2f}x at {n}" for n, ratio, _, _ in verdicts)
    clones = ", ".join(f"{clone:.3f} s at {n}" for n, _, clone, _ in verdicts)
    print(
        f"\nClone ≥{GOAL_SPEEDUP:.0f}× faster than migrations: "
        f"{'YES' if fast_enough else 'NO'} ({ratios}). "
        f"Clone median under {GOAL_CLONE_SECONDS} s: "
        f"{'YES' if under_limit else 'NO'} ({clones})."
    )
    if not all(same for *_, same in verdicts):
        print("WARNING: the cloned and the migrated schemas differ; the comparison is unfair.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
