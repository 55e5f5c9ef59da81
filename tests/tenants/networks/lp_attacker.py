"""An outside statistician with a linear-programming solver, attacking the network CSV.

Written for the tests, independently of tenants/networks/disclosure_audit.py (scipy's `linprog`,
its own reading of the CSV, its own list of what the tables share). It reads only what a
coordinator downloads — and, where a check needs it, the true pooled values the test
itself generated (to know which cells did not change between two publications, as an
attacker who guesses right would).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

TOTAL = "__total__"
Cell = tuple[str, str, str]  # indicator, row code, column code

# What the attacker knows of the catalogue: the tables that publish one same total.
FAMILIES = {
    "new": ["new_by_age_bracket", "new_by_gender", "new_by_detection_source",
            "new_by_programme", "new_by_department"],
    "active": ["active_by_age_bracket", "active_by_detection_source", "active_by_programme",
               "active_by_department"],
    "situation": ["situation_by_age_bracket", "situation_by_department"],
}
# ... and what holds by construction: new young people are young people followed.
AT_MOST = [(f"new_by_{d}", f"active_by_{d}")
           for d in ("age_bracket", "detection_source", "programme", "department")]
LOWER_BOUND_NOTES = ("moins de 3 associations", "plus de 85 %")


@dataclass
class Shown:
    low: float
    high: float
    hidden: bool
    not_started: bool = False


@dataclass
class Csv:
    """One downloaded CSV of one school year."""

    cells: dict[Cell, Shown] = field(default_factory=dict)

    @classmethod
    def read(cls, rows: Iterable[list[str]], threshold: int) -> Csv:
        found = cls()
        for row in list(rows)[1:]:
            indicator, _title, _period, row_code, _rl, column_code, _cl, value, note = row
            if not column_code or row_code == "__audit__":
                continue  # averages and medians; the audit's own lines
            value = value.replace("\u202f", "")
            if value.isdigit():
                shown = Shown(float(value), float(value), hidden=False)
            elif value == f"< {threshold}":
                shown = Shown(1, threshold - 1, hidden=True)
            elif value == "—":
                shown = Shown(0, 0, hidden=False, not_started=True)
            elif any(text in note for text in LOWER_BOUND_NOTES):
                shown = Shown(threshold, math.inf, hidden=True)
            else:
                shown = Shown(0, math.inf, hidden=True)
            found.cells[(indicator, row_code, column_code)] = shown
        return found

    def hidden(self) -> list[Cell]:
        return sorted(k for k, s in self.cells.items() if s.hidden)


def _shared(cell: Cell) -> Cell:
    indicator, row, column = cell
    for family, members in FAMILIES.items():
        if indicator in members and row == TOTAL:
            return (family, row, column)
    return cell


class Attack:
    """Unknowns for the hidden cells of one or two publications; bounds and equations."""

    def __init__(self) -> None:
        self.names: dict[tuple[str, Cell], int] = {}
        self.low: list[float] = []
        self.high: list[float] = []
        self.equalities: list[tuple[dict[int, float], float]] = []
        self.at_most: list[tuple[dict[int, float], float]] = []

    def unknown(self, name: tuple[str, Cell], low: float, high: float) -> int:
        if name not in self.names:
            self.names[name] = len(self.low)
            self.low.append(low)
            self.high.append(high)
        else:
            i = self.names[name]
            self.low[i], self.high[i] = max(self.low[i], low), min(self.high[i], high)
        return self.names[name]

    def add(self, csv: Csv, tag: str, same_as: Mapping[Cell, str] | None = None) -> None:
        """One publication: its hidden cells become unknowns named by `tag` (or by the tag
        of the publication they did not change from), its tables add up."""
        same_as = same_as or {}

        def term(cell: Cell) -> int | float:
            shown = csv.cells[cell]
            if not shown.hidden:
                return float(shown.low)
            return self.unknown((same_as.get(cell, tag), _shared(cell)), shown.low, shown.high)

        tables: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
        for indicator, row, column in csv.cells:
            rows, columns = tables[indicator]
            if row != TOTAL:
                rows.add(row)
            if column != TOTAL:
                columns.add(column)
        for indicator, (rows, columns) in tables.items():
            lines = [([(r, c) for c in columns], (r, TOTAL)) for r in rows]
            lines += [([(r, c) for r in rows], (TOTAL, c)) for c in columns]
            lines += [([(TOTAL, c) for c in columns], (TOTAL, TOTAL)),
                      ([(r, TOTAL) for r in rows], (TOTAL, TOTAL))]
            for parts, total in lines:
                try:
                    self._relation([(1.0, term((indicator, *p))) for p in parts]
                                   + [(-1.0, term((indicator, *total)))], self.equalities)
                except AssertionError as error:
                    shown = {p: csv.cells[(indicator, *p)] for p in [*parts, total]}
                    raise AssertionError(f"{indicator} {total}: {shown}") from error
        for small, large in AT_MOST:
            for (indicator, row, column) in list(csv.cells):
                if indicator == small and column == TOTAL and row != TOTAL \
                        and (large, row, TOTAL) in csv.cells:
                    self._relation([(1.0, term((small, row, TOTAL))),
                                    (-1.0, term((large, row, TOTAL)))], self.at_most)

    def _relation(self, terms: list[tuple[float, int | float]],
                  into: list[tuple[dict[int, float], float]]) -> None:
        coefficients: dict[int, float] = defaultdict(float)
        rhs = 0.0
        for coefficient, value in terms:
            if isinstance(value, int):
                coefficients[value] += coefficient
            else:
                rhs -= coefficient * value
        if any(coefficients.values()):
            into.append((dict(coefficients), rhs))
        elif into is self.equalities:
            assert abs(rhs) < 1e-9, "a table contradicts its own margins"
        else:
            assert rhs >= -1e-9, "new young people outnumber those followed"

    def interval(self, objective: Mapping[int, float]) -> tuple[float, float]:
        """Min and max of Σ coefficient × unknown over everything published."""
        n = len(self.low)
        c = np.zeros(n)
        for i, coefficient in objective.items():
            c[i] = coefficient
        kwargs: dict[str, Any] = {"bounds": list(zip(self.low, [None if h == math.inf else h
                                                for h in self.high], strict=True)),
                  "method": "highs"}
        for name, rows in (("eq", self.equalities), ("ub", self.at_most)):
            if rows:
                data, ri, ci = [], [], []
                for r, (coefficients, _rhs) in enumerate(rows):
                    for i, value in coefficients.items():
                        data.append(value)
                        ri.append(r)
                        ci.append(i)
                kwargs[f"A_{name}"] = coo_matrix((data, (ri, ci)), shape=(len(rows), n)).tocsr()
                kwargs[f"b_{name}"] = np.array([rhs for _c, rhs in rows])
        low = linprog(c, **kwargs)
        assert low.status != 2, "the published tables contradict each other"
        high = linprog(-c, **kwargs)
        # Unbounded (status 3): a change (new − earlier) may be, below as well as above.
        bottom = -math.inf if low.status == 3 else math.ceil(low.fun - 1e-6)
        top = math.inf if high.status == 3 else math.floor(-high.fun + 1e-6)
        return bottom, top


def width(attack: Attack, objective: Mapping[int, float]) -> float:
    low, high = attack.interval(objective)
    return high - low
