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

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import (
    ModelIterable,
    NamedValuesListIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.utils import create_namedtuple_class

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
        self.populators = (get_related_populators(klass_info, select, using)  # type: ignore[call-arg]
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
        rows = run(connection, compiled.sql, params)
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
    def _convert(row: tuple[Any, ...], compiled: Any, connection: Any) -> tuple[Any, ...]:
        values = list(row)
        for position, converters, expression in compiled.converters:
            value = values[position]
            for converter in converters:
                value = converter(value, expression, connection)
            values[position] = value
        return tuple(values)


def run(connection: Any, sql: str, params: list[Any], *,
        prepare: bool = True) -> list[tuple[Any, ...]]:
    """Execute through Django's cursor (search_path, execute wrappers, query log) and fetch
    every row; prepared on the server if `prepare`, unless queries are being logged."""
    with connection.cursor() as cursor:
        if connection.queries_logged or not prepare:
            # Logged (DEBUG, CaptureQueriesContext): Django's client-side binding, so that
            # the log holds the statement with its values, as for any query.
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        client = cursor.cursor
        cursor.cursor = _PreparingCursor(connection.connection)
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        finally:
            cursor.cursor.close()
            cursor.cursor = client


class _KeyedSQL:
    __slots__ = ("converters", "empty", "names", "params", "sql")

    def __init__(self, queryset: QuerySet[Any], using: str) -> None:
        if queryset._iterable_class is not NamedValuesListIterable:
            raise ValueError("KeyedRows: a values_list(..., named=True) queryset")
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # a WHERE nothing can match (`pk__in=[]`): no SQL, as Django
            sql, params = "", ()
        self.empty = not sql
        self.sql, self.params = sql, list(params)
        self.names = tuple(queryset._fields)  # type: ignore[attr-defined]
        if len(self.names) != len(compiler.select):
            raise ValueError("KeyedRows: name every column in values_list()")
        self.converters = [
            (position, converters, expression) for position, (converters, expression)
            in compiler.get_converters([s[0] for s in compiler.select]).items()]


class KeyedRows:
    """The rows of a `values_list(..., named=True)` queryset, for a paginator: slicing and
    `count()` run SQL compiled once per `key` and slice (kept in `memo`), so a request whose
    key was seen neither builds nor compiles the queryset. The key must hold everything the
    SQL and its parameters depend on (who asks, the filters, the day if it counts); `build`
    gives the queryset on a miss. Rows are the same named tuples as the queryset's. Not
    prepared on the server: PostgreSQL plans each one for its values (a generic plan could
    suit a search term or a person badly).
    Schema: any — the SQL names none, the connection's search_path decides."""

    ordered = True  # for Django's Paginator: the queryset is ordered (checked on a miss)

    def __init__(self, memo: dict[Any, _KeyedSQL], key: Any,
                 build: Callable[[], QuerySet[Any]], *, using: str = "default",
                 start: int = 0, stop: int | None = None, limit: int = 2_000) -> None:
        self.memo, self.key, self.build, self.using = memo, key, build, using
        self.start, self.stop, self.limit = start, stop, limit
        self._rows: list[Any] | None = None

    def __getitem__(self, item: slice) -> KeyedRows:
        if not isinstance(item, slice) or item.step is not None:
            raise TypeError("KeyedRows: slices without step only")
        start = self.start + (item.start or 0)
        stop = None if item.stop is None else self.start + item.stop
        if self.stop is not None:
            stop = self.stop if stop is None else min(stop, self.stop)
        return KeyedRows(self.memo, self.key, self.build, using=self.using, start=start,
                         stop=stop, limit=self.limit)

    def _sql(self) -> _KeyedSQL:
        key = (self.key, self.start, self.stop)
        compiled = self.memo.get(key)
        if compiled is None:
            queryset = self.build()
            if not queryset.ordered:
                raise ValueError("KeyedRows: an ordered queryset")
            compiled = _KeyedSQL(queryset[self.start:self.stop], self.using)
            if len(self.memo) >= self.limit:
                self.memo.clear()
            self.memo[key] = compiled
        return compiled

    def count(self) -> int:
        """As QuerySet.count() of the slice: the rows of its SQL, counted by PostgreSQL."""
        compiled = self._sql()
        if compiled.empty:
            return 0
        # Django's own count of a sliced queryset has this shape; the inner SQL is Django's
        # compiled SQL, every value is a parameter.
        count = f"SELECT COUNT(*) FROM ({compiled.sql}) subquery"  # noqa: S608
        rows = run(connections[self.using], count, compiled.params, prepare=False)
        return int(rows[0][0])

    def _fetch(self) -> list[Any]:
        if self._rows is None:
            compiled = self._sql()
            if compiled.empty:
                self._rows = []
                return self._rows
            connection = connections[self.using]
            rows = run(connection, compiled.sql, compiled.params, prepare=False)
            tuple_class = create_namedtuple_class(*compiled.names)
            self._rows = [tuple_class(*PreparedRead._convert(row, compiled, connection))
                          if compiled.converters else tuple_class(*row) for row in rows]
        return self._rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self._fetch())

    def __len__(self) -> int:
        return len(self._fetch())
