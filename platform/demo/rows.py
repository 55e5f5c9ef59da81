"""Writing demonstration rows fast: batches, bulk inserts, reserved ids, COPY; and the
small records the generator plans with (a team, a case's plan, weighted choices)."""

from __future__ import annotations

import random
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from psycopg import sql

from tracking.models import (
    Case,
)

T = TypeVar("T")

# Rows per INSERT (bulk_create) and interactions built in memory at a time.
BATCH = 5000
CHUNK = 20000

# --- Helpers -------------------------------------------------------------------------------


def batches(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for offset in range(0, len(items), size):
        yield items[offset:offset + size]


def bulk(model: type[models.Model], rows: Sequence[Any]) -> int:
    """Insert model instances and set their primary keys; returns the count.

    Like bulk_create (each value goes through its field's get_db_prep_save, so encrypted
    fields are encrypted), but written with COPY, which is several times faster."""
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: no thread-local lookup per value
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    pk = model._meta.pk
    for batch in batches(rows, BATCH):
        for obj, new_id in zip(batch, reserve_ids(model, len(batch)), strict=True):
            obj.pk = new_id
        copy_rows(model, [str(pk.column), *(str(f.column) for f in fields)], (
            (obj.pk, *(f.get_db_prep_save(getattr(obj, f.attname), db)
                       for f in fields))
            for obj in batch
        ))
        for obj in batch:
            obj._state.adding, obj._state.db = False, db.alias
    return len(rows)


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Take `count` values of the table's id sequence (rows written by COPY give their id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
          ) -> int:
    """Write plain rows with COPY: for the large volumes, many times faster than INSERT.
    Values must be ready for the database (encrypted fields already encrypted)."""
    known = {f.column for f in model._meta.concrete_fields}
    if unknown := set(columns) - known:
        raise ValueError(f"{model._meta.db_table} has no column {sorted(unknown)}")
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


class Weighted:
    """Cheap repeated weighted choice."""

    def __init__(self, weights: Mapping[Any, float]) -> None:
        items = [(k, w) for k, w in weights.items() if w > 0]
        self.keys = [k for k, _w in items]
        self.cum = list(accumulate(w for _k, w in items))

    def pick(self, rng: random.Random) -> Any:
        return self.keys[bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Team:
    psychologists: list[int]
    listeners: list[int]
    coordinators: list[int]
    admins: list[int]
    volunteers: list[int]

    @classmethod
    def of(cls, staff_ids_by_role: dict[str, list[int]]) -> Team:
        def ids(role: str) -> list[int]:
            return sorted({int(i) for i in staff_ids_by_role.get(role, [])})

        team = cls(ids("psychologist"), ids("listener"), ids("coordinator"), ids("admin"),
                   ids("volunteer"))
        if not team.followers:
            raise ValueError("generate_activity needs at least one psychologist, listener, "
                             "coordinator or admin in staff_ids_by_role")
        return team

    @property
    def followers(self) -> list[int]:
        """Who may be a case's referent: psychologists, listeners, coordinators (admins
        when there is nobody else)."""
        return (self.psychologists + self.listeners + self.coordinators) or self.admins

    @property
    def see_all(self) -> list[int]:
        return self.coordinators + self.admins


@dataclass(slots=True)
class Plan:
    """What the generator keeps about a case while it builds the rest."""

    case: Case
    age: int
    end: date  # closing day, or today
    staff: list[int]
    weight: float
    parents: list[int] = field(default_factory=list)
    school_contacts: list[int] = field(default_factory=list)
    sibling: int | None = None
    groups_from: date | None = None  # consent to the exchange groups in force from then

def ascii_only(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum() or c == "-")
