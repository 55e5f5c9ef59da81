"""ORM reads compiled once per connection, then run with new values. Schema: any.

Every signed-in request reads the same few rows (the session, the account, the memberships):
building and compiling those querysets was most of the Python time of a trivial page
(bench/RESULTS.md, section 7). A `PreparedRead` compiles its queryset once, with sample
values that mark where each argument goes in the parameters, keeps the SQL, and then runs
it through `connection.cursor()` and builds the objects as Django's `ModelIterable` does
(`Model.from_db`, the related objects of `select_related`, the fields' converters).

The SQL names no schema (Django never qualifies table names): which association's tables
it reads is decided by the connection's search_path at run time, exactly as for the ORM.
Unless queries are being logged, the statement is also prepared on the PostgreSQL
connection (server-side binding, `prepare=True`): parsed and planned once per connection;
PostgreSQL plans it again whenever the search_path changes.

Relies on Django internals, checked by tests/platform/test_prepared.py: the compiler's
`as_sql()`, `select` and `klass_info` after it, `get_converters`, and
`django.db.models.query.get_related_populators` (stable since Django 2.0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import psycopg
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

M = TypeVar("M", bound=Model)


class _PreparingCursor(psycopg.Cursor[Any]):
    """A server-side binding cursor whose statements PostgreSQL keeps prepared on the
    connection (parsed and planned once). Django's cursors bind on the client and never
    prepare, to stay usable behind a pooler in transaction mode, which Relier does not
    allow anyway (search_path per connection: deploy/SCALE-OUT.md). PostgreSQL plans a
    prepared statement again when the search_path changes, so it always reads the tables
    of the connection's current schema."""

    def execute(self, query: Any, params: Any = None, *, prepare: bool | None = None,
                binary: bool | None = None) -> Any:
        return super().execute(query, params, prepare=True, binary=binary)


class _Compiled:
    __slots__ = ("converters", "init_list", "model", "params", "populators", "positions",
                 "span", "sql")

    def __init__(self, queryset: QuerySet[Any], samples: dict[str, Any], using: str) -> None:
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        self.sql = sql
        self.params = list(params)
        # Where each argument goes: the parameters equal to its sample (one or more).
        self.positions: dict[str, list[int]] = {}
        for name, sample in samples.items():
            found = [i for i, value in enumerate(self.params)
                     if type(value) is type(sample) and value == sample]
            if not found:
                raise ValueError(f"PreparedRead: the sample of {name!r} is not in the SQL "
                                 f"parameters {self.params!r}")
            self.positions[name] = found
        select, klass_info = compiler.select, compiler.klass_info
        if queryset._iterable_class is ValuesListIterable:
            klass_info = None  # a values_list() queryset: its rows as tuples
        elif (queryset._iterable_class is not ModelIterable or klass_info is None
              or compiler.annotation_col_map):
            raise ValueError("PreparedRead: model rows without annotations, or values_list()")
        self.model = None if klass_info is None else klass_info["model"]
        fields = klass_info["select_fields"] if klass_info is not None else [0]
        self.span = (fields[0], fields[-1] + 1)
        self.init_list = ([f[0].target.attname for f in select[self.span[0]:self.span[1]]]
                          if klass_info is not None else [])
        self.populators = (get_related_populators(klass_info, select, using)
                           if klass_info is not None else [])
        self.converters = [
            (position, converters, expression) for position, (converters, expression)
            in compiler.get_converters([s[0] for s in select]).items()]


class PreparedRead(Generic[M]):
    """`build(**samples)` gives the queryset; calling the read with the same keyword
    arguments runs its SQL with those values and returns the model objects (the rows as
    tuples for a `values_list()` queryset, whose fields must be the columns themselves).

    Each sample must be a value no real argument's place holds otherwise (a number or a
    string nobody would write), of the argument's type: it is found in the compiled
    parameters by type and equality."""

    def __init__(self, build: Callable[..., QuerySet[M]], *, using: str = "default",
                 **samples: Any) -> None:
        self.build = build
        self.samples = samples
        self.using = using
        self.key = f"_relier_prepared_{id(self)}"

    def compiled(self) -> _Compiled:
        # Kept on the connection object (one per thread): the converters may be bound to it.
        connection = connections[self.using]
        compiled: _Compiled | None = getattr(connection, self.key, None)
        if compiled is None:
            compiled = _Compiled(self.build(**self.samples), self.samples, self.using)
            setattr(connection, self.key, compiled)
        return compiled

    def __call__(self, **values: Any) -> list[M]:
        compiled = self.compiled()
        params = list(compiled.params)
        for name, positions in compiled.positions.items():
            value = values[name]
            for position in positions:
                params[position] = value
        connection = connections[self.using]
        with connection.cursor() as cursor:  # Django's: search_path, wrappers, query log
            if connection.queries_logged:
                # Logged (DEBUG, CaptureQueriesContext): Django's client-side binding, so
                # that the log holds the statement with its values, as for any query.
                cursor.execute(compiled.sql, params)
                rows = cursor.fetchall()
            else:
                client = cursor.cursor
                cursor.cursor = _PreparingCursor(connection.connection)
                try:
                    cursor.execute(compiled.sql, params)
                    rows = cursor.fetchall()
                finally:
                    cursor.cursor.close()
                    cursor.cursor = client
        if compiled.converters:
            rows = [self._convert(row, compiled, connection) for row in rows]
        if compiled.model is None:
            return rows  # type: ignore[return-value]
        start, end = compiled.span
        made = []
        for row in rows:
            obj = compiled.model.from_db(self.using, compiled.init_list, row[start:end])
            for populator in compiled.populators:
                populator.populate(row, obj)
            made.append(obj)
        return made

    @staticmethod
    def _convert(row: tuple[Any, ...], compiled: _Compiled, connection: Any) -> tuple[Any, ...]:
        values = list(row)
        for position, converters, expression in compiled.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, expression, connection)
            values[position] = value
        return tuple(values)
