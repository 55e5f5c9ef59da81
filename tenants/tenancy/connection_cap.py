"""A cap on the number of schemas one database connection serves. Schema: any.

Why: a PostgreSQL backend keeps, for the life of its connection, a cache entry for every
table, index and catalogue row it has touched (relcache, catcache, cached plans). With one
schema per association the same table exists once per association, so a persistent
connection (CONN_MAX_AGE) of a web worker serving many associations grows by the size of one
schema's cache for every association it meets, and never shrinks. bench/many_tenants.py
measures it (bench/RESULTS.md, "4. Many tenants at once").

How: every `SET search_path` the connection issues (django-tenants issues one whenever the
schema changes) records the schema on the connection. At the end of a request or a Celery
task, a connection that has served `DATABASE_CONN_MAX_SCHEMAS` schemas or more is closed;
the next request opens a fresh one, with empty caches. 0 turns the cap off.

The cost is one new connection (a few milliseconds on loopback) every N schemas; see the
measured trade-off in bench/RESULTS.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.signals import request_finished
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.dispatch import receiver

# The attribute of the connection wrapper holding the schemas its current connection served.
SEEN = "relier_schemas_served"
# The statement django-tenants issues on each change of schema (postgresql_backend).
SET_SEARCH_PATH = "SET search_path"


def schemas_served(connection: BaseDatabaseWrapper) -> set[str]:
    """The schemas the connection's current database session has had in its search_path."""
    seen: set[str] | None = getattr(connection, SEEN, None)
    if seen is None:
        seen = set()
        setattr(connection, SEEN, seen)
    return seen


def _record_schema(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                   context: dict[str, Any]) -> Any:
    """Execute wrapper: notes the schema each `SET search_path` switches to."""
    if isinstance(sql, str) and sql.startswith(SET_SEARCH_PATH):
        connection = context["connection"]
        schemas_served(connection).add(str(getattr(connection, "schema_name", "") or ""))
    return execute(sql, params, many, context)


@receiver(connection_created)
def _on_connection_created(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    # A new database session: its caches are empty, so is the count.
    setattr(connection, SEEN, set())
    if _record_schema not in connection.execute_wrappers:
        connection.execute_wrappers.append(_record_schema)


def limit() -> int:
    return int(getattr(settings, "DATABASE_CONN_MAX_SCHEMAS", 0) or 0)


def close_if_served_too_many() -> bool:
    """Close every connection that has served the configured number of schemas or more.
    Never inside a transaction (a request in ATOMIC_REQUESTS or a test's own transaction
    is left alone). Returns whether one was closed."""
    cap = limit()
    if cap <= 0:
        return False
    closed = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        served = schemas_served(connection)
        # The schema in use, in case its search_path went through a cursor the wrapper
        # does not see (a server-side cursor's is set on a raw one).
        current = getattr(connection, "schema_name", None)
        if current:
            served.add(str(current))
        if len(served) >= cap:
            connection.close()
            setattr(connection, SEEN, set())
            closed = True
    return closed


@receiver(request_finished)
def _on_request_finished(sender: Any, **kwargs: Any) -> None:
    close_if_served_too_many()


def _on_task_postrun(*args: Any, **kwargs: Any) -> None:
    # Celery workers run one task per association (the nightly network publication):
    # the same growth as a web worker's, capped the same way.
    close_if_served_too_many()


def connect_celery() -> None:
    from celery.signals import task_postrun

    task_postrun.connect(_on_task_postrun, weak=False, dispatch_uid="relier-conn-cap")
