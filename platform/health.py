"""Liveness and readiness checks (`/healthz`, `/readyz`). Schema: public.

Readiness answers whether this process can serve: the database answers, the Redis cache
stores and returns a key, and the public schema has no unapplied migration. Nothing of any
association appears in the answer: only the names of the checks and "ok"/"error".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django_tenants.utils import get_public_schema_name, schema_context

# A migration check needs the migration graph: done at most once a minute per process,
# and only a success is remembered.
MIGRATIONS_CHECK_TTL = 60.0
_migrations_ok_until = 0.0


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise RuntimeError("SELECT 1")


def check_cache() -> None:
    key = "readyz"
    value = uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("cache did not return the key it stored")


def check_migrations() -> None:
    global _migrations_ok_until  # noqa: PLW0603 (a per-process memo)
    now = time.monotonic()
    if now < _migrations_ok_until:
        return
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    if executor.migration_plan(targets):
        raise RuntimeError("unapplied migrations")
    _migrations_ok_until = now + MIGRATIONS_CHECK_TTL


def forget_migrations_check() -> None:
    global _migrations_ok_until  # noqa: PLW0603
    _migrations_ok_until = 0.0


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "migrations": check_migrations,
}


def readiness() -> dict[str, str]:
    """Each check's name → "ok" or "error", run in the public schema."""
    results: dict[str, str] = {}
    with schema_context(get_public_schema_name()):
        for name, check in CHECKS.items():
            try:
                check()
            except Exception:  # any failure means "not ready"
                results[name] = "error"
            else:
                results[name] = "ok"
    return results
