"""Ready schemas, so that provisioning on Citus stays under a second. Schema: public and
the spare schemas (`relier_spare_*`).

On one server, cloning the template takes about 0.15 s (tenants/tenancy/provisioning.py).
On a Citus cluster the same clone takes about 2 s: each of the schema's tables becomes a
shard on a worker, and its metadata is written on every node. So on Citus a few schemas
are cloned **ahead of time** (`spares_fill`, a Celery task after each provisioning and
every ten minutes), and provisioning **claims** one: `ALTER SCHEMA relier_spare_… RENAME
TO a_<slug>` in the provisioning's own transaction (Citus renames it on every node, about
0.1 s; a failure later in provisioning rolls the rename back, and the spare is a spare
again).

A spare holds only the template's rows (default lists, the ready workflow, its applied
migrations). `migrate_schemas` migrates spares with the template (tenants/tenancy/
migration.py); a spare whose applied migrations differ from the template's anyway is
never claimed (the clone is used instead) and `spares_fill` drops it: it holds nothing of
anyone's. Two provisionings never claim the same spare (a transaction-scoped advisory
lock on its name, then a check that it still exists).

How many: settings.RELIER_SPARE_SCHEMAS (env), by default 3 on a Citus cluster and 0 on
one server, where cloning is fast enough.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import connection, transaction

from tenants.tenancy import citus

PREFIX = "relier_spare_"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def target() -> int:
    """How many spares to keep ready."""
    configured = getattr(settings, "RELIER_SPARE_SCHEMAS", None)
    if configured is not None:
        return int(configured)
    return 3 if citus.active() else 0


def spare_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
            [PREFIX],
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
    from tenants.tenancy.provisioning import template_schema_name

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
    from tenants.tenancy.provisioning import clone_template_schema, template_schema_name

    wanted = target() if count is None else count
    expected = applied(template_schema_name())
    dropped = made = 0
    for spare in spare_names():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [spare])
            if cursor.fetchone()[0] and spare in spare_names() and applied(spare) != expected:
                cursor.execute(f"DROP SCHEMA {_quote(spare)} CASCADE")
                dropped += 1
    while len(spare_names()) < wanted:
        with transaction.atomic():
            clone_template_schema(PREFIX + uuid.uuid4().hex[:12], spare=False)
        made += 1
    return {"made": made, "dropped": dropped, "ready": len(spare_names())}
