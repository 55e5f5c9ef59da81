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

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import schema_exists

from relier_platform.tenancy import db
from tenants.tenancy import citus, spares

_SCRIPT_CACHE: dict[tuple[str, bool, int, int], list[str]] = {}
PLACEHOLDER = "__relier_new_schema__"


def template_schema_name() -> str:
    return str(settings.TENANT_BASE_SCHEMA)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


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
    (tenants/tenancy/spares.py, on Citus), otherwise by cloning now."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema_name):
        raise ValueError(f"invalid schema name {schema_name!r}")
    db().set_schema_to_public()
    if spare and spares.target() > 0:
        from tenants.outbox.services import enqueue

        claimed = spares.spare_claim(schema_name)
        enqueue("tenants.spares_fill_task", schema="public")  # make the next one
        if claimed:
            return
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
