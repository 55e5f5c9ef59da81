"""Relier on a Citus cluster (schema-based sharding). Schema: public (Citus' catalogue).

Nothing here runs on a plain PostgreSQL server: every function first asks whether the
database has the `citus` extension (`active()`), and the product behaves as before when
it has not. On a cluster (deploy/SCALE-OUT.md):

- every association schema is a **distributed schema**: its tables are single-shard
  tables, co-located, placed whole on one worker (`schema_distributed` is set on for the
  clone's transaction, whatever the server's default);
- the template schema stays a plain schema of the coordinator (`template_local`), so its
  migrations never touch a worker, and cloning it copies its few rows to the new schema's
  worker;
- the public tables that tenant queries join (`tenants_user`, for staff names) are
  **reference tables**, a copy on every node (`prepare_public`); the tables keyed to them
  become Citus-managed local tables of the coordinator. No foreign key leaves an
  association's schema (tracking/migrations/0001_squashed_...): Citus would refuse one;
- triggers on distributed tables (the append-only audit log and stage history) need
  `citus.enable_unsafe_triggers`: they touch only their own schema, which is the safe
  case. The database is set so (`prepare_public`), and so is the migrating connection;
- `nodes()`, `schema_nodes()` and `schema_move()` serve the operators' command
  `association_move` and its admin page.

Sessions, cache keys and Celery routing do not change: the application connects to the
coordinator only, and Citus routes each association's queries to its worker.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections

# Public tables that tenant queries join, so a copy must be on every worker.
REFERENCE_TABLES = ("tenants_user",)


def active(using: str = "default") -> bool:
    """True when the database is a Citus coordinator (the extension is installed)."""
    connection = connections[using]
    cached = getattr(connection, "_relier_citus", None)
    if cached is not None:
        return bool(cached)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
        found = cursor.fetchone() is not None
    connection._relier_citus = found  # type: ignore[attr-defined]
    return found


def _forget(connection: object) -> None:
    if hasattr(connection, "_relier_citus"):
        del connection._relier_citus


def sessions_for_ddl(using: str = "default") -> None:
    """On Citus, let this connection create the schemas' triggers (see the docstring)."""
    if active(using):
        with connections[using].cursor() as cursor:
            cursor.execute("SET citus.enable_unsafe_triggers TO on")


def prepare_public(using: str = "default") -> list[str]:
    """Make the public tables that tenant queries join reference tables, and let every
    later connection create triggers on distributed tables; idempotent. Returns the tables
    made reference tables now."""
    if not active(using):
        return []
    made = []
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (database,) = cursor.fetchone()
        cursor.execute(
            f'ALTER DATABASE "{database}" SET citus.enable_unsafe_triggers TO on'
        )
        cursor.execute("SET citus.enable_unsafe_triggers TO on")
        for table in REFERENCE_TABLES:
            cursor.execute(
                "SELECT partmethod FROM pg_dist_partition WHERE logicalrelid = %s::regclass",
                [f"public.{table}"],
            )
            row = cursor.fetchone()
            if row is not None and row[0] == "n" and _is_reference(cursor, table):
                continue
            if row is None:
                # Tables keyed to it become Citus-managed local tables first: a
                # reference table may be referenced by those, not by plain tables.
                cursor.execute(
                    "SELECT citus_add_local_table_to_metadata(%s, "
                    "cascade_via_foreign_keys => true)",
                    [f"public.{table}"],
                )
            cursor.execute("SELECT create_reference_table(%s)", [f"public.{table}"])
            made.append(table)
    return made


def _is_reference(cursor: object, table: str) -> bool:
    cursor.execute(  # type: ignore[attr-defined]
        "SELECT 1 FROM citus_tables WHERE table_name = %s::regclass "
        "AND citus_table_type = 'reference'",
        [f"public.{table}"],
    )
    return cursor.fetchone() is not None  # type: ignore[attr-defined]


def template_local_sql() -> str:
    """Prefix for the statement creating the template: a plain coordinator schema."""
    return "SET LOCAL citus.enable_schema_based_sharding TO off;"


def clone_prefix_sql() -> str:
    """Prefix of the clone script: the new schema is distributed, its triggers allowed."""
    return ("SET LOCAL citus.enable_schema_based_sharding TO on;"
            "SET LOCAL citus.enable_unsafe_triggers TO on;")


@dataclass(frozen=True)
class Node:
    name: str
    port: int
    schemas: int

    @property
    def label(self) -> str:
        return f"{self.name}:{self.port}"


def nodes(using: str = "default") -> list[Node]:
    """The workers that can hold association schemas, with how many each holds."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """SELECT nodename, nodeport FROM pg_dist_node
               WHERE isactive AND noderole = 'primary' AND shouldhaveshards AND groupid <> 0
               ORDER BY nodename, nodeport"""
        )
        workers = [(name, int(port)) for name, port in cursor.fetchall()]
    held = list(schema_nodes(using).values())
    return [Node(name, port, held.count(f"{name}:{port}")) for name, port in workers]


def schema_nodes(using: str = "default") -> dict[str, str]:
    """Each distributed schema and the worker holding it ("host:port")."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            """SELECT DISTINCT ON (s.schema_name) s.schema_name::text,
                      sh.nodename || ':' || sh.nodeport
               FROM citus_schemas s
               JOIN citus_shards sh ON sh.colocation_id = s.colocation_id
               ORDER BY s.schema_name"""
        )
        return dict(cursor.fetchall())


def schema_move(schema: str, target: str, using: str = "default") -> None:
    """Move a distributed schema whole to the worker `target` ("host:port") while it
    keeps serving: by logical replication when the nodes allow it (wal_level = logical;
    writes pause only for the switch), otherwise writes wait during the copy (reads go
    on). Callers check the schema and the node first (tenants.tenancy.services)."""
    host, port = target.rsplit(":", 1)
    with connections[using].cursor() as cursor:
        cursor.execute("SHOW wal_level")
        (wal_level,) = cursor.fetchone()
        mode = "auto" if wal_level == "logical" else "block_writes"
        cursor.execute(
            "SELECT citus_schema_move(%s::regnamespace, %s, %s, "
            "shard_transfer_mode => %s::citus.shard_transfer_mode)",
            [schema, host, int(port), mode],
        )
