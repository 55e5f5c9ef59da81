"""Apply pending tenant migrations by replaying one schema's SQL in the others. Schema: runs
in every tenant schema (the template and each association), from the public connection.

Django's `migrate`, run by django-tenants in each schema, spends its time building the
migration graph and rendering every model's state; the SQL of a new migration takes
milliseconds. Here (tenants/tenancy/migration.py calls `migrate_pending` for the schemas
the skip left pending):

1. The pending schemas are grouped by the set of migrations recorded in their
   `django_migrations` (one `UNION ALL` query per BATCH schemas). Schemas without that
   table form no group: django-tenants migrates them.
2. For each group, Django's `MigrationExecutor` loads the graph and makes the plan once,
   in a representative schema (the template when it is in the group: it always goes
   first). The plan is **replayable** when each of its migrations is atomic and made only
   of Django's own schema operations and `RunSQL` (`django.db.migrations.operations`,
   `django.contrib.postgres.operations`): a `RunPython` that is not `RunPython.noop`,
   also inside `SeparateDatabaseAndState`, makes it non-replayable unless the router keeps
   its app out of tenant schemas (Django would not run it there either), and so does any
   operation class of another module. A non-replayable group is handed back to
   django-tenants (`fallback`), schema by schema. When Django refuses to plan
   (inconsistent history), every schema of the group fails with its error, as `migrate`
   would in each.
3. The representative is migrated for real by `MigrationExecutor.migrate` (on the state
   rendered once for the group), in one transaction, and every statement it executes is
   captured (`execute_wrapper`, with its parameters; `executemany` too), except the
   `SET search_path` of django-tenants and what Django's introspection reads from the
   catalogue: Django put what it found (a constraint's name, say) in the DDL that
   follows, which is captured and is the same in schemas of the same history; replaying
   those reads would only cost a scan of every schema's catalogue rows. Should a captured
   statement still name the representative's schema, the rest of the group goes to
   django-tenants instead.
4. The statements are replayed in every other schema of the group by RELIER_MIGRATE_THREADS
   threads (environment or setting, default 4; each thread has its own connection, closed
   at the end: as many more connections are open meanwhile), each schema in its own
   transaction with its search path set to that schema, then public. Django's
   recorder `INSERT`s into `django_migrations` are among the statements, so each schema
   records exactly the rows `migrate` would have (squashed migrations included), the
   time of `applied` being the replay's. A callable default added by `AddField` gets the
   representative's value in every schema (Django computes it once per `migrate`).
5. A schema that fails (its transaction is rolled back) stops nothing: the others go on;
   if the representative fails, the next schema of the group becomes the representative.
   Each failure is returned with its error, and stays pending for the next run.

When the caller holds a transaction (tests), other connections could neither see its
schemas nor be rolled back with it: the replay then runs in the calling connection, one
savepoint per schema. It sends django-tenants' `schema_pre_migration` and `schema_migrated`
for each schema, as its executors do. It sends neither `pre_migrate` nor `post_migrate`,
which Django's `migrate` sends in each schema. Their receivers — contenttypes' content
types and rename injection, auth's permissions, guardian's anonymous user (off:
ANONYMOUS_USER_NAME is None) and its in-process cache — do nothing in a tenant schema:
the router keeps contenttypes and auth in public only, and the public pass sends them.
The project's apps (TENANT_APPS: sessions and tracking) have no receiver.

On a Citus cluster each statement is plain SQL on one schema through a Django connection,
so the coordinator forwards it to the worker holding that schema (each replay connection
gets `citus.sessions_for_ddl`, like the migrating one).
"""

from __future__ import annotations

import functools
import os
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.operations import RunPython, SeparateDatabaseAndState
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState
from django.utils import timezone
from django_tenants.signals import schema_migrated, schema_pre_migration

from relier_platform.tenancy import quote_identifier as _quote
from tenants.tenancy import citus

THREADS_ENV = "RELIER_MIGRATE_THREADS"
DEFAULT_THREADS = 4
# Schemas read per query: a UNION of this many tables takes as many locks, released at
# the end of each statement (PostgreSQL's lock table is sized ~64 locks per connection).
BATCH = 200
SCHEMA_OPERATION_MODULES = (
    "django.db.migrations.operations.", "django.contrib.postgres.operations",
)
SET_SEARCH_PATH = re.compile(r"\s*SET\s+(SESSION\s+|LOCAL\s+)?search_path\b", re.IGNORECASE)
INTROSPECTION_METHODS = ("table_names", "django_table_names", "sequence_list")
RECORDER_INSERT = re.compile(r'\s*INSERT\s+INTO\s+"django_migrations"', re.IGNORECASE)
# Migrates schemas with django-tenants; returns the failed ones with their error.
Fallback = Callable[[list[str]], dict[str, str]]


def threads_setting() -> int:
    """RELIER_MIGRATE_THREADS from the environment, else the setting, else 4 (at least 1)."""
    raw = os.environ.get(THREADS_ENV, "").strip()
    return max(1, int(raw) if raw else int(getattr(settings, THREADS_ENV, DEFAULT_THREADS)))


def applied_migrations(
    schemas: Sequence[str], *, using: str = "default"
) -> dict[str, frozenset[str] | None]:
    """Each schema's recorded migrations ("app.name"), None for a schema without a
    django_migrations table (one query per BATCH schemas)."""
    applied: dict[str, frozenset[str] | None] = dict.fromkeys(schemas)
    if not schemas:
        return applied
    with connections[using].cursor() as cursor:
        cursor.execute(
            """SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p')
                 AND n.nspname = ANY(%s)""",
            [list(schemas)],
        )
        with_table = [row[0] for row in cursor.fetchall()]
        for start in range(0, len(with_table), BATCH):
            batch = with_table[start:start + BATCH]
            parts = [
                f"SELECT %s, array_agg(DISTINCT m.app || '.' || m.name) FROM {_quote(schema)}"  # noqa: S608 (quoted identifier)
                ".django_migrations m"
                for schema in batch
            ]
            cursor.execute(" UNION ALL ".join(parts), batch)
            for schema, names in cursor.fetchall():
                applied[schema] = frozenset(names or ())
    return applied


def groups_of(
    schemas: Sequence[str], applied: dict[str, frozenset[str] | None]
) -> tuple[list[list[str]], list[str]]:
    """The schemas with a django_migrations table grouped by what it records, each group in
    the order of `schemas` and the groups in the order of their first schema; and the
    schemas without the table."""
    groups: dict[frozenset[str], list[str]] = {}
    without: list[str] = []
    for schema in schemas:
        recorded = applied.get(schema)
        if recorded is None:
            without.append(schema)
        else:
            groups.setdefault(recorded, []).append(schema)
    return list(groups.values()), without


def _operation_blocker(operation: Operation, app_label: str, using: str) -> str | None:
    if isinstance(operation, SeparateDatabaseAndState):
        reasons = (_operation_blocker(inner, app_label, using)
                   for inner in operation.database_operations)
        return next((reason for reason in reasons if reason), None)
    if isinstance(operation, RunPython):
        # RunPython.database_forwards asks the router the same question.
        runs = operation.code is not RunPython.noop and router.allow_migrate(
            using, app_label, **operation.hints)
        return "RunPython" if runs else None
    if not type(operation).__module__.startswith(SCHEMA_OPERATION_MODULES):
        return f"operation {type(operation).__module__}.{type(operation).__qualname__}"
    return None


def non_replayable_reason(
    plan: Iterable[tuple[Migration, bool]], *, using: str = "default"
) -> str | None:
    """Why this plan cannot be replayed as SQL (None: it can). The router's answers are
    those of the connection's current schema."""
    for migration, backwards in plan:
        label = f"{migration.app_label}.{migration.name}"
        if backwards:
            return f"{label} is unapplied"
        if not migration.atomic:
            return f"{label} is not atomic"
        for operation in migration.operations:
            reason = _operation_blocker(operation, migration.app_label, using)
            if reason:
                return f"{label}: {reason}"
    return None


@dataclass(frozen=True)
class Statement:
    sql: Any
    params: Any
    many: bool


@dataclass
class Report:
    replayed: list[str] = field(default_factory=list)  # representatives included
    fallback: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    groups: int = 0
    # first schema of each group left to django-tenants -> why
    reasons: dict[str, str] = field(default_factory=dict)


def error_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _mentions(statement: Statement, schema: str) -> bool:
    pattern = re.compile(r"(?<![\w$])" + re.escape(schema) + r"(?![\w$])")
    values = statement.params if statement.many else [statement.params]
    texts = [str(statement.sql)]
    for params in values or ():
        row = params.values() if isinstance(params, dict) else params or ()
        texts.extend(str(value) for value in row if isinstance(value, str))
    return any(pattern.search(text) for text in texts)


class _Capture:
    """An execute wrapper keeping each statement that succeeded, except the search-path
    settings and what Django's introspection reads from the catalogue (`introspecting`)."""

    def __init__(self) -> None:
        self.statements: list[Statement] = []
        self.introspecting = 0

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:
        if many:
            params = [list(p) if not isinstance(p, dict) else p for p in params]
        result = execute(sql, params, many, context)
        if not self.introspecting and not SET_SEARCH_PATH.match(str(sql)):
            self.statements.append(Statement(sql, params, many))
        return result

    @contextmanager
    def without_introspection(self, connection: Any) -> Iterator[None]:
        """Leave out the statements of `connection.introspection`'s methods: reads whose
        results Django puts in the SQL that follows (a constraint's name, say), which is
        captured; replaying them would only cost a scan of the catalogue of every schema."""
        introspection = connection.introspection
        names = [name for name in dir(type(introspection))
                 if (name.startswith("get_") or name in INTROSPECTION_METHODS)
                 and callable(getattr(introspection, name))]

        def flagged(method: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(method)
            def call(*args: Any, **kwargs: Any) -> Any:
                self.introspecting += 1
                try:
                    return method(*args, **kwargs)
                finally:
                    self.introspecting -= 1
            return call

        for name in names:
            setattr(introspection, name, flagged(getattr(introspection, name)))
        try:
            yield
        finally:
            for name in names:
                delattr(introspection, name)


class PlanError(Exception):
    """The plan could not be made: it would fail alike in every schema of the group."""


@dataclass
class GroupPlan:
    executor: MigrationExecutor
    targets: list[tuple[str, str]]
    plan: list[tuple[Migration, bool]]
    state: ProjectState  # before the plan


def plan_group(schema: str, *, using: str = "default") -> GroupPlan | str:
    """Django's plan for the group of `schema` (its applied migrations are the group's),
    made once; or why it is not replayable. Raises PlanError when Django refuses to plan
    (conflicts, inconsistent history): `migrate` would refuse in each schema of the group."""
    connection = connections[using]
    connection.set_schema(schema)  # type: ignore[attr-defined]
    try:
        executor = MigrationExecutor(connection)
        conflicts = executor.loader.detect_conflicts()
        if conflicts:
            return f"conflicting migrations {sorted(conflicts)}"
        executor.loader.check_consistent_history(connection)
        targets = executor.loader.graph.leaf_nodes()
        plan = executor.migration_plan(targets)
        reason = non_replayable_reason(plan, using=using)
        if reason:
            return reason
        # What `migrate` does: the state before the plan, rendered once, cloned per use.
        state = executor._create_project_state(  # type: ignore[attr-defined]
            with_applied_migrations=True)
    except Exception as error:
        raise PlanError(error_line(error)) from error
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]
    return GroupPlan(executor, targets, plan, state)


def migrate_representative(
    schema: str, group: GroupPlan, *, using: str = "default"
) -> list[Statement]:
    """Migrate `schema` for real with Django, in one transaction, capturing its statements.
    Raises what the migration raises (its transaction rolled back)."""
    connection = connections[using]
    connection.set_schema(schema)  # type: ignore[attr-defined]
    try:
        capture = _Capture()
        with transaction.atomic(using=using), connection.execute_wrapper(capture), \
                capture.without_introspection(connection):
            group.executor.migrate(group.targets, plan=group.plan, state=group.state.clone())
        return capture.statements
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]


def _now_for_recorder(statement: Statement) -> Statement:
    if statement.many or not RECORDER_INSERT.match(str(statement.sql)):
        return statement
    now = timezone.now()
    params = [now if isinstance(value, datetime) else value for value in statement.params]
    return Statement(statement.sql, params, statement.many)


def replay_in(schema: str, statements: Sequence[Statement], *, using: str = "default") -> None:
    """Run `statements` in `schema` in one transaction (a savepoint inside the caller's)."""
    connection = connections[using]
    connection.set_schema(schema)  # type: ignore[attr-defined]
    try:
        with transaction.atomic(using=using), connection.cursor() as cursor:
            for statement in map(_now_for_recorder, statements):
                if statement.many:
                    cursor.executemany(statement.sql, statement.params)
                else:
                    cursor.execute(statement.sql, statement.params)
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]


def _replay_one(schema: str, statements: Sequence[Statement], using: str,
                report: Report, lock: threading.Lock) -> None:
    schema_pre_migration.send(replay_in, schema_name=schema)
    try:
        replay_in(schema, statements, using=using)
    except Exception as error:  # each schema's failure is reported, the rest go on
        with lock:
            report.failed[schema] = error_line(error)
        if not connections[using].in_atomic_block:
            connections[using].close_if_unusable_or_obsolete()
        return
    with lock:
        report.replayed.append(schema)
    schema_migrated.send(replay_in, schema_name=schema)


def replay_many(schemas: Sequence[str], statements: Sequence[Statement], *, using: str,
                threads: int, report: Report) -> None:
    """Replay in each schema: on `threads` threads of their own connections, or in the
    calling connection when it holds a transaction."""
    lock = threading.Lock()
    if connections[using].in_atomic_block or threads <= 1 or len(schemas) <= 1:
        for schema in schemas:
            _replay_one(schema, statements, using, report, lock)
        return
    queue = iter(list(schemas))

    def work() -> None:
        try:
            citus.sessions_for_ddl(using)
            while True:
                with lock:
                    schema = next(queue, None)
                if schema is None:
                    return
                _replay_one(schema, statements, using, report, lock)
        finally:
            connections[using].close()

    workers = [threading.Thread(target=work, name=f"relier-replay-{n}", daemon=True)
               for n in range(min(threads, len(schemas)))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    done = set(report.replayed) | set(report.failed)
    for schema in schemas:  # a thread that died before its schema (cannot connect)
        if schema not in done:
            report.failed[schema] = "not replayed: its thread stopped"


def _fall_back(schemas: list[str], fallback: Fallback, report: Report) -> None:
    if schemas:
        report.fallback.extend(schemas)
        report.failed.update(fallback(schemas))


def migrate_group(group: Sequence[str], *, using: str, threads: int, report: Report,
                  fallback: Fallback) -> None:
    """Migrate one group: a representative for real, the rest by replay (or all by
    `fallback` when the plan is not replayable)."""
    try:
        planned = plan_group(group[0], using=using)
    except PlanError as error:
        report.failed.update(dict.fromkeys(group, str(error)))
        return
    if isinstance(planned, str):
        report.reasons[group[0]] = planned
        _fall_back(list(group), fallback, report)
        return
    remaining = list(group)
    while remaining:
        schema = remaining.pop(0)
        schema_pre_migration.send(migrate_representative, schema_name=schema)
        try:
            statements = migrate_representative(schema, planned, using=using)
        except Exception as error:  # the next schema represents the group
            report.failed[schema] = error_line(error)
            if not connections[using].in_atomic_block:
                connections[using].close_if_unusable_or_obsolete()
            continue
        report.replayed.append(schema)
        schema_migrated.send(migrate_representative, schema_name=schema)
        if any(_mentions(statement, schema) for statement in statements):
            report.reasons[schema] = "its SQL names its schema"
            _fall_back(remaining, fallback, report)
        else:
            replay_many(remaining, statements, using=using, threads=threads, report=report)
        return


def migrate_pending(
    schemas: Sequence[str], *, fallback: Fallback,
    using: str = "default", threads: int | None = None,
) -> Report:
    """Migrate `schemas` (pending ones, the template first if present) group by group, in
    the order of their first schema; `fallback` migrates what cannot be replayed (with
    django-tenants) and returns its failures."""
    report = Report()
    threads = threads_setting() if threads is None else threads
    applied = applied_migrations(schemas, using=using)
    connection = connections[using]
    if not connection.in_atomic_block:
        connection.close()  # as after the skip's check: a fresh backend for the migrations
    groups, without_table = groups_of(schemas, applied)
    report.groups = len(groups)
    if without_table and without_table[0] == schemas[0]:  # the template goes first
        _fall_back(without_table, fallback, report)
        without_table = []
    for group in groups:
        migrate_group(group, using=using, threads=threads, report=report, fallback=fallback)
    if without_table:
        _fall_back(without_table, fallback, report)
    return report


