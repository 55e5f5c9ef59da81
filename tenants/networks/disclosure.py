"""Disclosure control of pooled network figures: what may be shown of a table of counts
so that no young person and no association can be singled out.

Pure functions (no database): a table of counts broken down by rows and columns, each
cell knowing how much every association contributed, goes in; the cells and margins to
publish come out, each either a value or a suppression with its reason. Applied before
anything is stored for display or export (network indicators, issue #6).

Rules (the network may lower the small-count threshold, never below 5):

- primary suppression: a count from 1 to threshold − 1 ("< 11" by default; zeros are
  shown); a cell with fewer than 3 contributing associations; a cell where one
  association contributes more than 85 %; in a sensitive breakdown, a cell that makes up
  all of its (non-empty) row — the whole group shares the category;
- margins (row totals, column totals, grand total) follow the same rules;
- complementary suppression: no suppressed cell may be recovered from the published
  cells and margins. With the margins written into the table with their signs flipped,
  every row and every column sums to zero; the unknowns' degrees of freedom are then the
  cycles of the bipartite graph rows × columns whose edges are the suppressed cells, and a
  suppressed cell is recovered exactly when its edge lies on no cycle (a bridge). Each
  such cell gets a rectangle of complements — the cheapest three cells (r, c'), (r', c),
  (r', c') — until no bridge is left;
- optional rounding of the published values to base 5 (stated with the figures).

These rules are the first pass. Every publication is then audited by linear programming
across all the tables of a school year and the previous publication
(tenants/networks/disclosure_audit.py), and more cells are hidden until no hidden cell can be
narrowed below the network's protection width (`Rules.width`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

TOTAL = "__total__"

Key = tuple[str, str]
Node = tuple[str, str]  # ("r", row) or ("c", column)


class Reason(StrEnum):
    SMALL = "small"  # 1 ≤ count < threshold
    FEW_CONTRIBUTORS = "few_contributors"  # fewer than 3 associations
    DOMINANCE = "dominance"  # one association above 85 %
    WHOLE_GROUP = "whole_group"  # a sensitive category covering a whole row
    COMPLEMENT = "complement"  # hidden so that another hidden cell cannot be deduced
    LINKED = "linked"  # a margin shared with a related table, hidden there
    AUDIT = "audit"  # hidden after the solver's audit (tenants/networks/disclosure_audit.py)
    DIFFERENCE = "difference"  # shown before with a value a small count away
    PREVIOUS = "previous"  # hidden in the previous publication, and unchanged since
    NOT_STARTED = "not_started"  # a month after the figures' cut-off day: not published


# What a hidden cell's public note tells of its value: small counts are 1 to threshold − 1;
# the other primary reasons are given only to counts of at least the threshold; every
# other suppression says one and the same thing (a whole-group cell must not be told
# apart from a complement: it would give its value away).
SECONDARY = frozenset({Reason.WHOLE_GROUP, Reason.COMPLEMENT, Reason.LINKED, Reason.AUDIT,
                       Reason.DIFFERENCE, Reason.PREVIOUS})


def protection_width_floor(threshold: int) -> int:
    """The narrowest interval a hidden cell may be narrowed to: half the threshold,
    rounded up (6 with "< 11")."""
    return -(-threshold // 2)


@dataclass(frozen=True)
class Rules:
    threshold: int = 11
    min_contributors: int = 3
    dominance: float = 0.85
    round_to: int | None = None
    sensitive: bool = False
    protection_width: int = 0  # 0: the floor, half the threshold rounded up

    def __post_init__(self) -> None:
        if not 5 <= self.threshold <= 11:
            raise ValueError("threshold must be between 5 and 11")
        if self.round_to not in (None, 5):
            raise ValueError("rounding is to base 5 or none")
        if self.protection_width and not (
                protection_width_floor(self.threshold) <= self.protection_width
                <= self.threshold - 2):
            raise ValueError("protection width between half the threshold and threshold − 2")

    @property
    def width(self) -> int:
        return self.protection_width or protection_width_floor(self.threshold)


@dataclass(frozen=True)
class Cell:
    value: int | None  # None when suppressed
    reason: Reason | None = None


@dataclass
class Table:
    """Counts by (row, column), each split by contributing association."""

    rows: list[str]
    columns: list[str]
    contributions: dict[Key, dict[str, int]] = field(default_factory=dict)

    def count(self, key: Key) -> int:
        return sum(self.contributions.get(key, {}).values())


@dataclass(frozen=True)
class Published:
    rows: list[str]
    columns: list[str]
    cells: dict[Key, Cell]  # every (row, column), plus (row, TOTAL), (TOTAL, col), (TOTAL, TOTAL)
    rules: Rules

    def suppressed(self) -> set[Key]:
        return {key for key, cell in self.cells.items() if cell.value is None}


def _margins(table: Table) -> dict[Key, dict[str, int]]:
    """Contributions of every cell of the table with its margins."""
    parts: dict[Key, dict[str, int]] = defaultdict(dict)

    def add(key: Key, by: Mapping[str, int]) -> None:
        target = parts[key]
        for association, n in by.items():
            target[association] = target.get(association, 0) + n

    for r in table.rows:
        for c in table.columns:
            by = table.contributions.get((r, c), {})
            parts[(r, c)] = dict(by)
            add((r, TOTAL), by)
            add((TOTAL, c), by)
            add((TOTAL, TOTAL), by)
    for r in table.rows:
        parts.setdefault((r, TOTAL), {})
    for c in table.columns:
        parts.setdefault((TOTAL, c), {})
    parts.setdefault((TOTAL, TOTAL), {})
    return dict(parts)


def counts(table: Table) -> dict[Key, int]:
    """The true count of every cell of the table and of its margins."""
    return {key: sum(by.values()) for key, by in _margins(table).items()}


def _primary(by: Mapping[str, int], rules: Rules) -> Reason | None:
    total = sum(by.values())
    if total == 0:
        return None
    if total < rules.threshold:
        return Reason.SMALL
    contributors = [n for n in by.values() if n > 0]
    if len(contributors) < rules.min_contributors:
        return Reason.FEW_CONTRIBUTORS
    if max(contributors) > rules.dominance * total:
        return Reason.DOMINANCE
    return None


def recoverable(suppressed: set[Key]) -> set[Key]:
    """The suppressed cells that the published cells and margins give away: the bridges of
    the bipartite graph rows × columns whose edges are the suppressed cells (an edge on no
    cycle). All bridges in one depth-first pass (Tarjan), iterative."""
    neighbours: dict[Node, list[tuple[Node, Key]]] = defaultdict(list)
    for r, c in suppressed:
        neighbours[("r", r)].append((("c", c), (r, c)))
        neighbours[("c", c)].append((("r", r), (r, c)))
    order: dict[Node, int] = {}
    low: dict[Node, int] = {}
    bridges: set[Key] = set()
    for root in sorted(neighbours):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[Node, Key | None, int]] = [(root, None, 0)]
        while stack:
            node, via, index = stack[-1]
            if index < len(neighbours[node]):
                stack[-1] = (node, via, index + 1)
                other, edge = neighbours[node][index]
                if edge == via:
                    continue
                if other in order:
                    low[node] = min(low[node], order[other])
                else:
                    order[other] = low[other] = len(order)
                    stack.append((other, edge, 0))
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    bridges.add(via)
    return bridges


def _primary_reasons(table: Table, parts: dict[Key, dict[str, int]],
                     values: dict[Key, int], rules: Rules) -> dict[Key, Reason]:
    reasons: dict[Key, Reason] = {}
    for key, by in parts.items():
        reason = _primary(by, rules)
        if reason is not None:
            reasons[key] = reason
    if rules.sensitive:
        for r in table.rows:
            total = values[(r, TOTAL)]
            for c in table.columns:
                if total > 0 and values[(r, c)] == total and (r, c) not in reasons:
                    reasons[(r, c)] = Reason.WHOLE_GROUP
    return reasons


def _cheapest_rectangle(edge: Key, hidden: set[Key], values: dict[Key, int],
                        rows: list[str], columns: list[str]) -> tuple[Key, ...]:
    """The three cells that put `edge` on a cycle at the least cost: fewest people
    hidden, then fewest new cells; a margin only when nothing else will do."""
    r, c = edge
    best: tuple[int, int, tuple[Key, ...]] | None = None
    for r2 in rows:
        if r2 != TOTAL and values[(r2, TOTAL)] == 0:
            continue  # a row published as 0: its cells are known zeros, no protection
        for c2 in columns:
            if r2 == r or c2 == c:
                continue
            if c2 != TOTAL and values[(TOTAL, c2)] == 0:
                continue
            trio = ((r, c2), (r2, c), (r2, c2))
            new = [k for k in trio if k not in hidden]
            margins = sum(1 for k in new if TOTAL in k)
            candidate = (sum(values[k] for k in new) + 10**6 * margins, len(new), trio)
            if best is None or candidate[:2] < best[:2]:
                best = candidate
    return best[2] if best else ()


def protect(table: Table, rules: Rules | None = None,
            forced: frozenset[Key] | Mapping[Key, Reason] = frozenset()) -> Published:
    """`forced`: cells to hide whatever their value, with their reason (margins another
    table shares and hides — see `protect_family` —, the audit's extra suppressions)."""
    rules = rules or Rules()
    parts = _margins(table)
    values = {key: sum(by.values()) for key, by in parts.items()}
    reasons = _primary_reasons(table, parts, values, rules)
    if not isinstance(forced, Mapping):
        forced = dict.fromkeys(forced, Reason.LINKED)
    for key, reason in forced.items():
        if key in values:
            reasons.setdefault(key, reason)
    rows, columns = [*table.rows, TOTAL], [*table.columns, TOTAL]
    while exposed := sorted(recoverable(set(reasons))):
        trio = _cheapest_rectangle(exposed[0], set(reasons), values, rows, columns)
        if not trio:  # no second row or column: nothing can protect it but the margins
            break
        for key in trio:
            reasons.setdefault(key, Reason.COMPLEMENT)
    cells = {}
    for key, value in values.items():
        if key in reasons:
            cells[key] = Cell(None, reasons[key])
        elif rules.round_to:
            cells[key] = Cell((value + rules.round_to // 2) // rules.round_to * rules.round_to)
        else:
            cells[key] = Cell(value)
    return Published(rows=list(table.rows), columns=list(table.columns), cells=cells,
                     rules=rules)


def protect_family(tables: Mapping[str, Table], rules: Mapping[str, Rules],
                   forced: Mapping[str, Mapping[Key, Reason]] | None = None,
                   ) -> dict[str, Published]:
    """Tables of one family share their column margins (the same columns, and the same
    total of each column whatever the breakdown in rows: the young people of a month by
    age bracket and by gender). A column margin hidden in one table is hidden in all of
    them, otherwise the table that shows it gives away what the other hides; hiding it may
    take new complements, so the tables are protected again until the hidden shared
    margins no longer change."""
    shared: set[Key] = set()
    forced = forced or {}
    while True:
        published = {name: protect(table, rules[name],
                                   {**dict.fromkeys(shared, Reason.LINKED),
                                    **forced.get(name, {})})
                     for name, table in tables.items()}
        hidden = {key for result in published.values() for key in result.suppressed()
                  if key[0] == TOTAL}
        if hidden <= shared:
            return published
        shared |= hidden
