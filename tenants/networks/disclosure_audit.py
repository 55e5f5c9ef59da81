"""The audit of a publication by linear programming: what an outside statistician with a
solver can learn of every hidden cell. Schema: none (pure functions over numbers).

The attacker knows everything a publication shows for one network and one school year —
every table of the catalogue, with its margins, the tables that share a margin
(a family's column totals are one number), the relations between tables that hold by
construction (new young people ≤ young people followed; delays ≤ new young people), what
each hidden cell's public note says of it ("< 11" is 1 to 10; "fewer than 3 associations"
or "one association above 85 %" is at least the threshold), months not yet published
(zero), and the previous publication of the same school year (still in people's hands).
For every hidden cell we solve min and max of its value over all tables that agree with
all of this (HiGHS through highspy: a linear relaxation, then rounded inwards to whole
numbers, as an attacker would). The cell is protected when max − min is at least the
network's protection width (never below half the small-count threshold, rounded up).

Two publications of one school year: a cell whose true value did not change between them
is one unknown in both (the auditor knows, through a keyed fingerprint of the hidden
values, which did not change; an attacker could assume it), so a cell hidden before and
still the same stays hidden, and a cell shown before with the same value is public
already (neither protected nor protecting). A cell shown in both publications must not
move by a small count (the difference would be a small count); nor may a cell hidden in
either publication whose value moved by a small count have that change narrowed: the
change (new − earlier) is audited like a hidden cell (the auditor recognises the earlier
value by its fingerprint: `moved`).

Inputs are plain dictionaries; tenants/networks/publication.py builds them and acts on the result
(more suppression, then a new audit, until every hidden cell is protected).
"""

from __future__ import annotations

import math
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from tenants.networks import indicators as cat
from tenants.networks.disclosure import TOTAL

CellKey = tuple[str, str, str]  # (indicator, row, column); margins use TOTAL
INF = math.inf
EPSILON = 1e-6

# Relations between tables of one school year that hold by construction (the data cut
# off at the same day): new young people are followed young people; a young person whose
# first contact delay is counted was new that year.
AT_MOST: list[tuple[CellKey, CellKey]] = [
    *[((f"new_by_{dim}", "*", TOTAL), (f"active_by_{dim}", "*", TOTAL))
      for dim in ("age_bracket", "detection_source", "programme", "department")],
    (("new_by_gender", "*", TOTAL), ("active_by_age_bracket", TOTAL, "*")),
    (("new_by_gender", TOTAL, TOTAL), ("active_by_age_bracket", TOTAL, TOTAL)),
    (("referral_delay", TOTAL, TOTAL), ("new_by_gender", TOTAL, TOTAL)),
]


def canonical(key: CellKey) -> CellKey:
    """Tables of one family share their column margins: one number, one unknown."""
    indicator, row, column = key
    definition = cat.BY_KEY.get(indicator)
    if definition is not None and definition.family and row == TOTAL:
        return (f"family:{definition.family}", TOTAL, column)
    return key


@dataclass(frozen=True)
class Shown:
    """One cell of a publication as everybody sees it."""

    value: int | None  # None: hidden
    reason: str = ""


@dataclass
class Release:
    """One publication of one school year: every cell as shown, the rules it applied."""

    cells: dict[CellKey, Shown]
    threshold: int
    round_to: int | None = None
    # Auditor's knowledge: the true value of every cell (None for an earlier release,
    # whose hidden values are known only by their fingerprint).
    truth: dict[CellKey, int] | None = None
    seals: dict[CellKey, str] = field(default_factory=dict)


def public_bounds(shown: Shown, threshold: int, round_to: int | None) -> tuple[float, float]:
    """What a cell's display tells of its value."""
    if shown.value is not None:
        if round_to:
            half = round_to // 2
            return max(0, shown.value - half), shown.value + half
        return shown.value, shown.value
    if shown.reason == "not_started":
        return 0, 0
    if shown.reason == "small":
        return 1, threshold - 1
    if shown.reason in ("few_contributors", "dominance"):
        return threshold, INF  # only cells of at least the threshold get these notes
    return 0, INF


@dataclass
class Finding:
    """The interval an attacker can narrow a hidden cell to."""

    keys: list[CellKey]  # the cells of the new release holding this unknown
    low: float
    high: float
    # The interval of a cell's change between the two publications, not of the cell.
    difference: bool = False

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclass
class AuditResult:
    findings: list[Finding]
    failing: list[Finding]
    public_already: set[CellKey]  # hidden now, but shown with this value before

    def narrowest(self, indicator: str) -> float | None:
        widths = [f.width for f in self.findings if any(k[0] == indicator for k in f.keys)]
        return min(widths) if widths else None


class _System:
    """Unknowns with bounds, linear equalities and inequalities over them."""

    def __init__(self) -> None:
        self.index: dict[tuple[str, CellKey], int] = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        # (coefficients, low, high) with known parts folded into the bounds
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def unknown(self, name: tuple[str, CellKey], low: float, high: float) -> int:
        at = self.index.get(name)
        if at is None:
            at = self.index[name] = len(self.lower)
            self.lower.append(low)
            self.upper.append(high)
        else:  # one unknown seen twice (a shared margin, an unchanged cell): both hold
            self.lower[at] = max(self.lower[at], low)
            self.upper[at] = min(self.upper[at], high)
        return at

    def relation(self, terms: Iterable[tuple[float, int | float]], low: float,
                 high: float) -> None:
        """low ≤ Σ coefficient × term ≤ high, a term an unknown's index (int) or a
        known value (float)."""
        coefficients: dict[int, float] = defaultdict(float)
        constant = 0.0
        for coefficient, term in terms:
            if isinstance(term, int):
                coefficients[term] += coefficient
            else:
                constant += coefficient * term
        coefficients = {k: v for k, v in coefficients.items() if v}
        if coefficients:
            self.rows.append((coefficients, low - constant, high - constant))


Term = int | float  # an unknown's index, or a known value


def _tables(cells: Iterable[CellKey]) -> dict[str, tuple[set[str], set[str]]]:
    shape: dict[str, tuple[set[str], set[str]]] = {}
    for indicator, row, column in cells:
        rows, columns = shape.setdefault(indicator, (set(), set()))
        if row != TOTAL:
            rows.add(row)
        if column != TOTAL:
            columns.add(column)
    return shape


def _add_release(system: _System, release: Release, term_of: Mapping[CellKey, Term], *,
                 relations: bool = True) -> None:
    """Additivity of every table of the release, and the relations between tables."""
    for indicator, (rows, columns) in _tables(release.cells).items():
        def term(row: str, column: str, indicator: str = indicator) -> Term:
            return term_of[(indicator, row, column)]

        lines = [([(r, c) for c in sorted(columns)], (r, TOTAL)) for r in sorted(rows)]
        lines += [([(r, c) for r in sorted(rows)], (TOTAL, c)) for c in sorted(columns)]
        lines.append(([(TOTAL, c) for c in sorted(columns)], (TOTAL, TOTAL)))
        lines.append(([(r, TOTAL) for r in sorted(rows)], (TOTAL, TOTAL)))
        for parts, total in lines:
            terms = [(1.0, term(*p)) for p in parts] + [(-1.0, term(*total))]
            system.relation(terms, 0.0, 0.0)  # rounded values too: it holds on the truth
    truth = release.truth
    if not relations:
        return
    for small, large in AT_MOST:
        for small_key, large_key in _expand(small, large, release.cells):
            if truth is not None and truth.get(small_key, 0) > truth.get(large_key, 0):
                continue  # does not hold in these data (a data-entry error): not used
            system.relation([(1.0, term_of[small_key]), (-1.0, term_of[large_key])],
                            -INF, 0.0)


def _expand(small: CellKey, large: CellKey,
            cells: Mapping[CellKey, Shown]) -> list[tuple[CellKey, CellKey]]:
    """A relation written with '*' (the same code on both sides) → its cell pairs."""
    if "*" not in small and "*" not in large:
        return [(small, large)] if small in cells and large in cells else []
    pairs = []
    codes = {k[1] if small[1] == "*" else k[2] for k in cells if k[0] == small[0]}

    def fill(pattern: CellKey, code: str) -> CellKey:
        indicator, row, column = (code if part == "*" else part for part in pattern)
        return indicator, row, column

    for code in sorted(codes - {TOTAL}):
        s, g = fill(small, code), fill(large, code)
        if s in cells and g in cells:
            pairs.append((s, g))
    return pairs


class InfeasibleError(RuntimeError):
    """What is published cannot all hold: an assumption does not fit these data."""


def audit(new: Release, old: Release | None = None, *,
          width: int, moved: Mapping[CellKey, int] | None = None) -> AuditResult:
    """Every hidden cell of `new`, given `new` and `old` (the previous publication of the
    same school year, as shown), with the interval a solver narrows it to. The relations
    between the earlier publication's tables are assumed to have held in its data (they
    do by construction); should its figures say otherwise (data-entry errors since
    corrected), they are left out.

    `moved`: the cells whose true value moved by a small count since `old`, with their
    earlier value; the change of each one hidden in either publication is audited too."""
    try:
        return _audit(new, old, width=width, old_relations=True, moved=moved or {})
    except InfeasibleError:
        if old is None:
            raise
        return _audit(new, old, width=width, old_relations=False, moved=moved or {})


def _audit(new: Release, old: Release | None, *, width: int,
           old_relations: bool, moved: Mapping[CellKey, int]) -> AuditResult:
    truth = new.truth
    assert truth is not None
    system = _System()
    public_already: set[CellKey] = set()
    if old is not None and not old.round_to:
        public_already = {key for key, shown in old.cells.items()
                          if shown.value is not None and truth.get(key) == shown.value
                          and new.cells.get(key, Shown(None)).value is None}
    new_terms: dict[CellKey, Term] = {}
    checked: dict[int, list[CellKey]] = defaultdict(list)
    changes: list[tuple[list[CellKey], dict[int, float]]] = []
    for key, shown in new.cells.items():
        low, high = public_bounds(shown, new.threshold, new.round_to)
        if key in public_already:
            new_terms[key] = float(truth[key])
        elif low == high:
            new_terms[key] = float(low)
        else:
            at = system.unknown(("new", canonical(key)), low, high)
            new_terms[key] = at
            if shown.value is None:
                checked[at].append(key)
    if old is not None:
        old_terms: dict[CellKey, Term] = {}
        for key, shown in old.cells.items():
            low, high = public_bounds(shown, old.threshold, old.round_to)
            if key in new_terms and _same_seal(key, old, new):
                # unchanged: one unknown (or one known value) in both publications
                term = new_terms[key]
                if isinstance(term, int):
                    system.unknown(("new", canonical(key)), low, high)  # both bounds hold
                old_terms[key] = term
            elif low == high:
                old_terms[key] = float(low)
            else:
                old_terms[key] = system.unknown(("old", canonical(key)), low, high)
        _add_release(system, old, old_terms, relations=old_relations)
        changes = _changes(moved, old_terms, new_terms, public_already)
    _add_release(system, new, new_terms)
    findings = _solve(system, checked, changes)
    failing = [f for f in findings if f.width < width]
    return AuditResult(findings=findings, failing=failing, public_already=public_already)


def _changes(moved: Mapping[CellKey, int], old_terms: Mapping[CellKey, Term],
             new_terms: Mapping[CellKey, Term],
             public_already: set[CellKey]) -> list[tuple[list[CellKey], dict[int, float]]]:
    """new − earlier, for each cell that moved by a small count and is hidden in either
    publication (shown in both, its difference is public: small_differences)."""
    out = []
    for key in sorted(moved):
        before, after = old_terms.get(key), new_terms.get(key)
        if before is None or after is None or key in public_already or before == after:
            continue
        objective = {i: c for c, i in ((1.0, after), (-1.0, before)) if isinstance(i, int)}
        if objective:
            out.append(([key], objective))
    return out


def small_differences(new: Release, old: Release | None) -> set[CellKey]:
    """Cells shown in both publications whose value moved by a small count: shown again,
    the difference would be a small count (an association that joined or left, a few
    late records)."""
    if old is None or old.round_to or new.round_to:
        return set()  # rounded values hide a difference of a few already
    moved = set()
    for key, shown in new.cells.items():
        before = old.cells.get(key)
        if shown.value is None or before is None or before.value is None:
            continue
        if 0 < abs(shown.value - before.value) < new.threshold:
            moved.add(key)
    return moved


def _same_seal(key: CellKey, old: Release, new: Release) -> bool:
    seal = old.seals.get(key)
    return bool(seal) and seal == new.seals.get(key)


def _components(system: _System) -> list[tuple[list[int], list[int]]]:
    """Unknowns linked by a relation, solved apart: (unknowns, relations) per group."""
    parent = list(range(len(system.lower)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for coefficients, _low, _high in system.rows:
        first, *rest = coefficients
        for other in rest:
            a, b = find(first), find(other)
            if a != b:
                parent[a] = b
    unknowns: dict[int, list[int]] = defaultdict(list)
    for i in range(len(parent)):
        unknowns[find(i)].append(i)
    relations: dict[int, list[int]] = defaultdict(list)
    for j, (coefficients, _low, _high) in enumerate(system.rows):
        relations[find(next(iter(coefficients)))].append(j)
    return [(members, relations.get(root, [])) for root, members in unknowns.items()]


@cache
def _highs() -> object:
    """One solver per process (HiGHS prints a banner when made: kept off the logs)."""
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            solver = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("presolve", "off")  # many objectives over one model: warm starts
    return solver


def _solve(system: _System, checked: Mapping[int, list[CellKey]],
           changes: Iterable[tuple[list[CellKey], dict[int, float]]] = ()) -> list[Finding]:
    """The interval of every checked unknown, and of every change (Σ coefficient ×
    unknown) — one LP per group of linked unknowns, many objectives over it."""

    components = _components(system)
    objectives, apart = _objectives(components, checked, changes)
    single: dict[int, tuple[float, float]] = {}
    findings: list[Finding] = []
    for number, (members, relations) in enumerate(components):
        wanted = objectives.get(number)
        if not wanted:
            continue
        local = {i: n for n, i in enumerate(members)}
        solver = _load(system, members, relations, local) if relations else None
        results: dict[tuple[tuple[int, float], ...], tuple[float, float]] = {}
        for keys, objective, difference in wanted:
            signature = tuple(sorted(objective.items()))
            if signature not in results:
                results[signature] = (_bounds_of(system, objective) if solver is None
                                      else _optimize(solver, local, objective))
            low, high = results[signature]
            if keys:
                findings.append(Finding(keys, *_inward(low, high), difference))
            else:
                (i,) = objective
                single[i] = (low, high)
    for keys, objective in apart:
        low = sum(c * single[i][0 if c > 0 else 1] for i, c in objective.items())
        high = sum(c * single[i][1 if c > 0 else 0] for i, c in objective.items())
        findings.append(Finding(keys, *_inward(low, high), True))
    return findings


def _objectives(components: list[tuple[list[int], list[int]]],
                checked: Mapping[int, list[CellKey]],
                changes: Iterable[tuple[list[CellKey], dict[int, float]]],
                ) -> tuple[dict[int, list[tuple[list[CellKey], dict[int, float], bool]]],
                           list[tuple[list[CellKey], dict[int, float]]]]:
    """What to solve in each group of linked unknowns: (cells, objective, is a change).
    A change whose unknowns are in different groups is returned apart; the intervals of
    its unknowns are solved (with no cells) and added up."""
    component_of = {i: n for n, (members, _r) in enumerate(components) for i in members}
    # A change whose unknowns are not linked: the sum of their own intervals.
    objectives: dict[int, list[tuple[list[CellKey], dict[int, float], bool]]] = \
        defaultdict(list)
    apart: list[tuple[list[CellKey], dict[int, float]]] = []
    for i, keys in checked.items():
        objectives[component_of[i]].append((keys, {i: 1.0}, False))
    for keys, objective in changes:
        places = {component_of[i] for i in objective}
        if len(places) == 1:
            objectives[places.pop()].append((keys, objective, True))
        else:
            apart.append((keys, objective))
    for _keys, objective in apart:
        for i in objective:
            objectives[component_of[i]].append(([], {i: 1.0}, False))
    return objectives, apart


def _load(system: _System, members: list[int], relations: list[int],
          local: Mapping[int, int]) -> object:
    """One group of linked unknowns as an LP in the solver (objective zero)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = len(members), len(relations)
    lp.col_cost_ = np.zeros(len(members))
    lp.col_lower_ = np.array([system.lower[i] for i in members], dtype=float)
    lp.col_upper_ = np.array([_highs_bound(system.upper[i]) for i in members],
                             dtype=float)
    lp.row_lower_ = np.array([_highs_bound(system.rows[j][1]) for j in relations],
                             dtype=float)
    lp.row_upper_ = np.array([_highs_bound(system.rows[j][2]) for j in relations],
                             dtype=float)
    columns: list[list[tuple[int, float]]] = [[] for _ in members]
    for row_number, j in enumerate(relations):
        for i, coefficient in system.rows[j][0].items():
            columns[local[i]].append((row_number, coefficient))
    starts, index, values = [0], [], []
    for entries in columns:
        for row_number, coefficient in entries:
            index.append(row_number)
            values.append(coefficient)
        starts.append(len(index))
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
    lp.a_matrix_.value_ = np.array(values, dtype=float)
    solver = _highs()
    solver.clearModel()  # type: ignore[attr-defined]
    solver.passModel(lp)  # type: ignore[attr-defined]
    return solver


def _optimize(solver: object, local: Mapping[int, int],
              objective: Mapping[int, float]) -> tuple[float, float]:
    """Min and max of Σ coefficient × unknown over the loaded LP (warm starts)."""
    import highspy

    for i, coefficient in objective.items():
        solver.changeColCost(local[i], coefficient)  # type: ignore[attr-defined]
    low = _optimum(solver, highspy.ObjSense.kMinimize)
    high = _optimum(solver, highspy.ObjSense.kMaximize)
    for i in objective:
        solver.changeColCost(local[i], 0.0)  # type: ignore[attr-defined]
    return low, high


def _bounds_of(system: _System, objective: Mapping[int, float]) -> tuple[float, float]:
    """Min and max of Σ coefficient × unknown from the unknowns' bounds alone."""
    low = sum(c * (system.lower[i] if c > 0 else system.upper[i])
              for i, c in objective.items())
    high = sum(c * (system.upper[i] if c > 0 else system.lower[i])
               for i, c in objective.items())
    return low, high


def _highs_bound(value: float) -> float:
    import highspy

    if value == INF:
        return float(highspy.kHighsInf)
    if value == -INF:
        return -float(highspy.kHighsInf)
    return value


def _optimum(solver: object, sense: object) -> float:
    import highspy

    solver.changeObjectiveSense(sense)  # type: ignore[attr-defined]
    solver.run()  # type: ignore[attr-defined]
    status = solver.getModelStatus()  # type: ignore[attr-defined]
    if status == highspy.HighsModelStatus.kUnknown:
        # A warm start that went astray (rare): solved again from scratch.
        solver.clearSolver()  # type: ignore[attr-defined]
        solver.run()  # type: ignore[attr-defined]
        status = solver.getModelStatus()  # type: ignore[attr-defined]
    if status == highspy.HighsModelStatus.kOptimal:
        return float(solver.getInfo().objective_function_value)  # type: ignore[attr-defined]
    if status in (highspy.HighsModelStatus.kUnbounded,
                  highspy.HighsModelStatus.kUnboundedOrInfeasible):
        # (a change, new − earlier, may be unbounded below as well as above)
        return INF if sense == highspy.ObjSense.kMaximize else -INF
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("disclosure audit: the published figures cannot all hold")
    raise RuntimeError(f"disclosure audit: the solver answered {status}")


def _inward(low: float, high: float) -> tuple[float, float]:
    """Whole numbers only: the interval an attacker who knows they count people keeps."""
    low = -INF if low == -INF else math.ceil(low - EPSILON)
    high = INF if high == INF else math.floor(high + EPSILON)
    return low, high
