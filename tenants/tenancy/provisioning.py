"""Schema-level provisioning: the template schema and cloning it. Schema: public.

New associations are not built by running every migration: a template schema
(settings.TENANT_BASE_SCHEMA) is kept migrated by `migrate_schemas` (see
tenants/tenancy/migration.py) and each new schema is a copy of it, made in the caller's
transaction so that a failure later in provisioning leaves no schema behind.

The copy is a script generated from PostgreSQL's catalog (tables, identity columns,
constraints and indexes under their original names — later migrations find them —,
functions, triggers, then the rows: applied migrations, default lists). It is generated
once per process and template state, then replayed in one round trip: about ten times
faster than django-tenants' generic plpgsql `clone_schema`, which rebuilds each table's
DDL object by object.
"""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from relier_platform.tenancy import db
from relier_platform.tenancy import quote_identifier as _quote
from tenants.tenancy import citus

_SCRIPT_CACHE: dict[tuple[str, bool, int, int], list[str]] = {}
PLACEHOLDER = "__relier_new_schema__"


def template_schema_name() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


def _template_state(cursor: object, template: str) -> tuple[int, int]:
    cursor.execute(  # type: ignore[attr-defined]
        f"SELECT count(*), coalesce(max(id), 0) FROM {_quote(template)}.django_migrations"  # noqa: S608 (quoted identifier)
    )
    count, last = cursor.fetchone()  # type: ignore[attr-defined]
    return int(count), int(last)


def clone_script(template: str) -> str:
    """SQL that recreates `template` in a schema named PLACEHOLDER."""
    return "\n".join(clone_statements(template))


def clone_statements(template: str, *, one_constraint_each: bool = False) -> list[str]:
    """The statements of `clone_script`, one by one."""
    with connection.cursor() as cursor:
        key = (template, one_constraint_each, *_template_state(cursor, template))
        if key in _SCRIPT_CACHE:
            return _SCRIPT_CACHE[key]
        qualified = re.compile(r"(?<![\w\"])" + re.escape(template) + r"\.")
        quoted = re.compile(re.escape(_quote(template)) + r"\.")

        def retarget(sql: str) -> str:
            sql = quoted.sub(f"{PLACEHOLDER}.", sql)
            return qualified.sub(f"{PLACEHOLDER}.", sql)

        # The definitions below qualify template objects with the schema name because
        # the template is not on the search_path (public is).
        cursor.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname""",
            [template],
        )
        tables = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            """SELECT pg_get_functiondef(p.oid) FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s""",
            [template],
        )
        functions = [retarget(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            """SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
               FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s ORDER BY con.contype = 'f', c.relname, con.conname""",
            [template],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
               JOIN pg_class c ON c.oid = i.indrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
               ORDER BY 1""",
            [template],
        )
        indexes = [retarget(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            """SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
               JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND NOT t.tgisinternal ORDER BY t.tgname""",
            [template],
        )
        triggers = [retarget(row[0]) for row in cursor.fetchall()]
        cursor.execute(
            """SELECT c.relname, a.attname FROM pg_attribute a
               JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND a.attidentity <> '' AND NOT a.attisdropped""",
            [template],
        )
        identities = cursor.fetchall()

    src = _quote(template)
    new = PLACEHOLDER
    lines = [f"CREATE SCHEMA {new};"]
    lines += [f"{fn.rstrip().rstrip(';')};" for fn in functions]
    lines += [
        f"CREATE TABLE {new}.{_quote(t)} (LIKE {src}.{_quote(t)} "
        "INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING GENERATED);"
        for t in tables
    ]
    lines += [f"INSERT INTO {new}.{_quote(t)} SELECT * FROM {src}.{_quote(t)};" for t in tables]  # noqa: S608
    # One ALTER TABLE per table and phase (keys and checks, then foreign keys): fewer
    # statements, fewer catalog round trips.
    for foreign in (False, True):
        by_table: dict[str, list[str]] = {}
        for table, name, kind, definition in constraints:
            if (kind == "f") == foreign:
                by_table.setdefault(table, []).append(
                    f"ADD CONSTRAINT {_quote(name)} {retarget(definition)}"
                )
        if one_constraint_each:  # Citus refuses ADD CONSTRAINT with other subcommands
            lines += [f"ALTER TABLE {new}.{_quote(t)} {add};"
                      for t, adds in by_table.items() for add in adds]
        else:
            lines += [f"ALTER TABLE {new}.{_quote(t)} {', '.join(adds)};"
                      for t, adds in by_table.items()]
    lines += [f"{ix};" for ix in indexes]
    lines += [f"{tr};" for tr in triggers]
    lines += [
        f"SELECT setval(pg_get_serial_sequence('{new}.{_quote(t)}', '{col}'), "  # noqa: S608
        # The template's rows are the new schema's: reading its (local) table keeps the
        # statement on the coordinator under Citus, where the new table is on a worker.
        f"coalesce((SELECT max({_quote(col)}) FROM {src}.{_quote(t)}), 0) + 1, false);"
        for t, col in identities
    ]
    _SCRIPT_CACHE[key] = lines
    return lines


def connection_fresh() -> bool:
    """Start provisioning on a new database connection, when the caller holds no
    transaction open; True when the old one was closed.

    PostgreSQL keeps a relation and catalog cache per backend. On a backend that had
    created and filled ~700 schemas (a bench script), the clone's ~150 DDL statements took
    2-3 s instead of 0.15 s on a new backend, CPU-bound in PostgreSQL. (Having only read
    every schema, as a worker that computed every contribution has, did not slow it:
    bench/RESULTS.md, section 1.) A new backend costs a few milliseconds to open and
    starts with empty caches, so provisioning, which is rare, always takes one. Inside a
    transaction the connection cannot change: the callers (`association_create`,
    `signup_provision`) call this before opening theirs.
    """
    if connection.in_atomic_block:
        return False
    connection.close()
    return True


def clone_template_schema(schema_name: str, *, spare: bool = True) -> None:
    """Create `schema_name` as a copy of the template (structure and rows), in the
    current transaction: by renaming a spare made ahead of time when there is one
    (the spare schemas below, on Citus), otherwise by cloning now."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema_name):
        raise ValueError(f"invalid schema name {schema_name!r}")
    db().set_schema_to_public()
    if spare and spares_target() > 0 and spare_claim(schema_name):
        return  # association_create asks for the next spare (tenants.spares_fill_task)
    statements = [statement.replace(PLACEHOLDER, _quote(schema_name))
                  for statement in clone_statements(template_schema_name(),
                                                     one_constraint_each=citus.active())]
    with connection.cursor() as cursor:
        if not citus.active():
            cursor.execute("\n".join(statements))
            return
        # Citus forwards each DDL statement to the schema's worker as its own command, and
        # refuses a multi-statement string there: one statement at a time.
        cursor.execute(citus.clone_prefix_sql())
        for statement in statements:
            cursor.execute(statement)


def ensure_template_schema() -> bool:
    """Create the empty template schema if missing; True when it was created."""
    name = template_schema_name()
    if schema_exists(name):
        return False
    with transaction.atomic(), connection.cursor() as cursor:
        if citus.active():  # a plain schema of the coordinator (tenants/tenancy/citus.py)
            cursor.execute(citus.template_local_sql())
        cursor.execute(f"CREATE SCHEMA {_quote(name)}")
    return True


# --- Spare schemas ----------------------------------------------------------------------
# Ready schemas, so that provisioning on Citus stays under a second (`relier_spare_*`).
#
# On one server, cloning the template takes about 0.15 s (above).
# On a Citus cluster the same clone takes about 2 s: each of the schema's tables becomes a
# shard on a worker, and its metadata is written on every node. So on Citus a few schemas
# are cloned **ahead of time** (`spares_fill`, a Celery task after each provisioning and
# every ten minutes), and provisioning **claims** one: `ALTER SCHEMA relier_spare_… RENAME
# TO a_<slug>` in the provisioning's own transaction (Citus renames it on every node, about
# 0.1 s; a failure later in provisioning rolls the rename back, and the spare is a spare
# again).
#
# A spare holds only the template's rows (default lists, the ready workflow, its applied
# migrations). `migrate_schemas` migrates spares with the template (tenants/tenancy/
# migration.py); a spare whose applied migrations differ from the template's anyway is
# never claimed (the clone is used instead) and `spares_fill` drops it: it holds nothing of
# anyone's. Two provisionings never claim the same spare (a transaction-scoped advisory
# lock on its name, then a check that it still exists).
#
# How many: settings.RELIER_SPARE_SCHEMAS (env), by default 3 on a Citus cluster and 0 on
# one server, where cloning is fast enough.

SPARE_PREFIX = "relier_spare_"


def spares_target() -> int:
    """How many spares to keep ready."""
    configured = getattr(settings, "RELIER_SPARE_SCHEMAS", None)
    if configured is not None:
        return int(configured)
    return 3 if citus.active() else 0


def spare_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
            [SPARE_PREFIX],
        )
        return [row[0] for row in cursor.fetchall()]


def applied(schema: str) -> frozenset[str]:
    """The migrations recorded in a schema's django_migrations."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT app || '.' || name FROM {_quote(schema)}.django_migrations")  # noqa: S608 (quoted identifier)
        return frozenset(row[0] for row in cursor.fetchall())


def spare_claim(schema_name: str) -> bool:
    """In the caller's transaction, rename a spare that is up to date with the template to
    `schema_name`; False when there is none (the caller clones the template)."""
    names = spare_names()
    if not names:
        return False
    expected = applied(template_schema_name())
    with connection.cursor() as cursor:
        for spare in names:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [spare])
            if not cursor.fetchone()[0]:
                continue  # another provisioning is claiming it
            cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [spare])
            if cursor.fetchone() is None:
                continue  # claimed and committed since we listed it
            if applied(spare) != expected:
                continue  # stale: spares_fill drops it
            cursor.execute(f"ALTER SCHEMA {_quote(spare)} RENAME TO {_quote(schema_name)}")
            return True
    return False


def spares_fill(count: int | None = None) -> dict[str, int]:
    """Drop the stale spares, then clone the template until `count` (default `target()`)
    spares are ready, each in a transaction of its own."""
    wanted = spares_target() if count is None else count
    expected = applied(template_schema_name())
    dropped = made = 0
    for spare in spare_names():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [spare])
            if cursor.fetchone()[0] and spare in spare_names() and applied(spare) != expected:
                cursor.execute(f"DROP SCHEMA {_quote(spare)} CASCADE")
                dropped += 1
    while True:
        with transaction.atomic():
            # Two fills at once (a provisioning's task and beat's) take turns: the second
            # counts the first one's spare once it is committed, and stops at `wanted`.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [SPARE_PREFIX])
            if len(spare_names()) >= wanted:
                break
            clone_template_schema(SPARE_PREFIX + uuid.uuid4().hex[:12], spare=False)
        made += 1
    return {"made": made, "dropped": dropped, "ready": len(spare_names())}
