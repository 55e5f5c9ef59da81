"""Disclosure control of pooled figures: for random tables, no published cell breaks the
thresholds and no suppressed cell can be recovered by solving the published margin
equations (checked here by exact linear algebra, independently of the graph reasoning
the module uses)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.networks.disclosure import (
    TOTAL,
    Key,
    Published,
    Reason,
    Rules,
    Table,
    protect,
    protect_family,
    recoverable,
)

# --- An independent check: solve the margin equations --------------------------------


def _equations(published: Published) -> list[dict[Key, int]]:
    """Each equation as coefficients by cell: rows and columns add up to their margins,
    and the margins add up to the grand total."""
    rows, columns = published.rows, published.columns
    equations = []
    for r in rows:
        equations.append({**{(r, c): 1 for c in columns}, (r, TOTAL): -1})
    for c in columns:
        equations.append({**{(r, c): 1 for r in rows}, (TOTAL, c): -1})
    equations.append({**{(TOTAL, c): 1 for c in columns}, (TOTAL, TOTAL): -1})
    equations.append({**{(r, TOTAL): 1 for r in rows}, (TOTAL, TOTAL): -1})
    return equations


def determined(published: Published) -> set[Key]:
    return solved(_equations(published), published.suppressed())


def solved(equations: list[dict[Any, int]], hidden: set[Any]) -> set[Any]:
    """The suppressed cells whose value the equations fix, whatever the others are: the
    unit vector of the cell lies in the row space of the unknowns' coefficients."""
    unknowns = sorted(hidden)
    index = {key: i for i, key in enumerate(unknowns)}
    matrix = [[Fraction(0)] * len(unknowns) for _ in equations]
    for row, equation in zip(matrix, equations, strict=True):
        for key, coefficient in equation.items():
            if key in index:
                row[index[key]] = Fraction(coefficient)
    # reduced row echelon form
    pivots: list[int] = []
    top = 0
    for column in range(len(unknowns)):
        pivot = next((i for i in range(top, len(matrix)) if matrix[i][column] != 0), None)
        if pivot is None:
            continue
        matrix[top], matrix[pivot] = matrix[pivot], matrix[top]
        lead = matrix[top][column]
        matrix[top] = [x / lead for x in matrix[top]]
        for i in range(len(matrix)):
            if i != top and matrix[i][column] != 0:
                factor = matrix[i][column]
                matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[top], strict=True)]
        pivots.append(column)
        top += 1
    free = [c for c in range(len(unknowns)) if c not in pivots]
    found = set()
    for row_index, column in enumerate(pivots):
        if all(matrix[row_index][f] == 0 for f in free):
            found.add(unknowns[column])
    return found


def _true_counts(table: Table) -> dict[Key, dict[str, int]]:
    parts: dict[Key, dict[str, int]] = {}
    keys = [(r, c) for r in table.rows for c in table.columns]
    for r, c in keys:
        parts[(r, c)] = dict(table.contributions.get((r, c), {}))
    for r in table.rows:
        parts[(r, TOTAL)] = {}
    for c in table.columns:
        parts[(TOTAL, c)] = {}
    parts[(TOTAL, TOTAL)] = {}
    for r, c in keys:
        for margin in ((r, TOTAL), (TOTAL, c), (TOTAL, TOTAL)):
            for association, n in parts[(r, c)].items():
                parts[margin][association] = parts[margin].get(association, 0) + n
    return parts


# --- Random tables --------------------------------------------------------------------

ASSOCIATIONS = ["a", "b", "c", "d", "e", "f"]


@st.composite
def tables(draw: st.DrawFn) -> Table:
    rows = [f"r{i}" for i in range(draw(st.integers(1, 5)))]
    columns = [f"c{i}" for i in range(draw(st.integers(1, 5)))]
    members = ASSOCIATIONS[:draw(st.integers(1, len(ASSOCIATIONS)))]
    counts = st.one_of(st.just(0), st.integers(0, 4), st.integers(0, 40))
    contributions = {
        (r, c): {a: n for a in members if (n := draw(counts))}
        for r in rows for c in columns
    }
    return Table(rows=rows, columns=columns, contributions=contributions)


RULES = st.builds(Rules, threshold=st.integers(5, 11), sensitive=st.booleans(),
                  round_to=st.sampled_from([None, 5]))


@settings(max_examples=400, deadline=None)
@given(table=tables(), rules=RULES)
def test_no_suppressed_cell_can_be_recovered_from_the_margins(table: Table,
                                                             rules: Rules) -> None:
    published = protect(table, rules)
    assert determined(published) == set()


@settings(max_examples=400, deadline=None)
@given(table=tables(), rules=RULES)
def test_no_published_cell_breaks_the_thresholds(table: Table, rules: Rules) -> None:
    published = protect(table, rules)
    truth = _true_counts(table)
    assert set(published.cells) == set(truth)
    for key, cell in published.cells.items():
        if cell.value is None:
            assert cell.reason is not None
            continue
        by = truth[key]
        total = sum(by.values())
        if rules.round_to:
            assert cell.value % 5 == 0
            assert abs(cell.value - total) <= 2
        else:
            assert cell.value == total
        if total == 0:
            continue  # zeros may be shown
        contributors = [n for n in by.values() if n > 0]
        assert total >= rules.threshold, key
        assert len(contributors) >= 3, key
        assert max(contributors) <= 0.85 * total, key
        if rules.sensitive and TOTAL not in key:
            row_total = sum(truth[(key[0], TOTAL)].values())
            assert total != row_total, key  # one category is not the whole group


@st.composite
def families(draw: st.DrawFn) -> dict[str, Table]:
    """The same people (by column and association) broken down by two or three different
    row dimensions: the tables share their column margins, as the monthly tables of new
    young people by age bracket, by gender... do."""
    columns = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    members = ASSOCIATIONS[:draw(st.integers(1, len(ASSOCIATIONS)))]
    counts = st.one_of(st.integers(0, 4), st.integers(0, 30))
    people = {(c, a): draw(counts) for c in columns for a in members}
    family = {}
    for t in range(draw(st.integers(2, 3))):
        rows = [f"r{i}" for i in range(draw(st.integers(1, 4)))]
        contributions: dict[Key, dict[str, int]] = {}
        for (c, a), n in people.items():
            for _person in range(n):
                r = rows[draw(st.integers(0, len(rows) - 1))]
                by = contributions.setdefault((r, c), {})
                by[a] = by.get(a, 0) + 1
        family[f"t{t}"] = Table(rows=rows, columns=columns, contributions=contributions)
    return family


@settings(max_examples=150, deadline=None)
@given(family=families(), rules=RULES)
def test_a_family_of_tables_gives_away_no_hidden_cell_together(
        family: dict[str, Table], rules: Rules) -> None:
    published = protect_family(family, dict.fromkeys(family, rules))

    def name(table: str, key: Key) -> Any:
        return ("shared", key) if key[0] == TOTAL else (table, key)

    equations, hidden = [], set()
    for table, result in published.items():
        for equation in _equations(result):
            equations.append({name(table, key): v for key, v in equation.items()})
        hidden |= {name(table, key) for key in result.suppressed()}
        for key in result.suppressed():
            if key[0] == TOTAL:  # hidden in one table, hidden in all
                assert all(other.cells[key].value is None for other in published.values())
    assert solved(equations, hidden) == set()


def _naive_recoverable(edges: set[Key]) -> set[Key]:
    """An edge is given away when, without it, its row and column are not connected."""
    found = set()
    for edge in edges:
        rest = edges - {edge}
        reached, frontier = {("r", edge[0])}, [("r", edge[0])]
        while frontier:
            side, name = frontier.pop()
            for r, c in rest:
                if side == "r" and r == name and ("c", c) not in reached:
                    reached.add(("c", c))
                    frontier.append(("c", c))
                if side == "c" and c == name and ("r", r) not in reached:
                    reached.add(("r", r))
                    frontier.append(("r", r))
        if ("c", edge[1]) not in reached:
            found.add(edge)
    return found


@settings(max_examples=300, deadline=None)
@given(edges=st.sets(st.tuples(st.sampled_from([f"r{i}" for i in range(6)] + [TOTAL]),
                               st.sampled_from([f"c{i}" for i in range(6)] + [TOTAL])),
                     max_size=25))
def test_bridges_in_one_pass_match_the_definition(edges: set[Key]) -> None:
    assert recoverable(edges) == _naive_recoverable(edges)


# --- Examples -------------------------------------------------------------------------


def _even(rows: int, columns: int, n: int) -> Table:
    """Every cell: n from each of four associations."""
    return Table(
        rows=[f"r{i}" for i in range(rows)], columns=[f"c{i}" for i in range(columns)],
        contributions={(f"r{i}", f"c{j}"): dict.fromkeys("abcd", n)
                       for i in range(rows) for j in range(columns)})


def test_the_check_itself_sees_a_single_hidden_cell_given_away() -> None:
    table = _even(2, 3, 5)
    naive = protect(table)
    one_hidden = Published(
        rows=naive.rows, columns=naive.columns, rules=naive.rules,
        cells={**naive.cells, ("r0", "c0"): naive.cells[("r0", "c0")].__class__(None)})
    assert determined(one_hidden) == {("r0", "c0")}


def test_a_small_cell_takes_a_rectangle_of_complements() -> None:
    table = _even(3, 3, 5)
    table.contributions[("r1", "c1")] = {"a": 2, "b": 3, "c": 1}
    published = protect(table)
    assert published.cells[("r1", "c1")].reason == Reason.SMALL
    complements = {k for k, c in published.cells.items() if c.reason == Reason.COMPLEMENT}
    assert len(complements) == 3
    assert all(TOTAL not in key for key in complements)  # margins stay published
    assert published.cells[(TOTAL, TOTAL)].value == 8 * 20 + 6


def test_few_contributors_dominance_and_zeros() -> None:
    table = Table(rows=["r"], columns=["x", "y", "z"], contributions={
        ("r", "x"): {"a": 30, "b": 30},  # two associations only
        ("r", "y"): {"a": 90, "b": 5, "c": 5},  # one at 90 %
        ("r", "z"): {},
    })
    published = protect(table)
    assert published.cells[("r", "x")].reason == Reason.FEW_CONTRIBUTORS
    assert published.cells[("r", "y")].reason == Reason.DOMINANCE
    assert published.cells[("r", "z")].value is None or published.cells[("r", "z")].value == 0


def test_sensitive_breakdowns_hide_a_category_covering_a_whole_group() -> None:
    table = _even(2, 2, 5)
    table.contributions[("r0", "c1")] = {}
    published = protect(table, Rules(sensitive=True))
    assert published.cells[("r0", "c0")].reason == Reason.WHOLE_GROUP
    assert determined(published) == set()


def test_rounding_and_threshold_rules() -> None:
    published = protect(_even(2, 2, 3), Rules(round_to=5))
    assert published.cells[("r0", "c0")].value == 10  # 12 → 10
    assert published.cells[(TOTAL, TOTAL)].value == 50  # 48 → 50
    for bad in (4, 12):
        with pytest.raises(ValueError, match="threshold"):
            Rules(threshold=bad)
    with pytest.raises(ValueError, match="base 5"):
        Rules(round_to=10)
