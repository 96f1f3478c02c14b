"""An attacker's linear program over several published tables of the same persons.

:mod:`enclave.disclosure.audit` checks one table at a time. Tables of the same
persons are linked, though (a two-way table's column totals *are* the one-way
table of its columns), and an attacker holding all of them can combine what each
one leaves open. This module is that attacker, for the output checker.

The model has one non-negative unknown per cell of every table, margins
included: the true count. What is published bounds it:

    published 0          exactly 0 (zeros are never rounded)
    published v > 0      [max(1, v - slack[0]), v + slack[1]]   (v when not rounded)
    suppressed           [1, inf)   (zeros are always published, so a hidden cell is >= 1)

and the tables' additive structure ties the unknowns together, as equalities:

- within a table, along each dimension, the interior cells add up to the
  margin: a one-way table's cells to its total; a two-way table's rows to their
  row totals, its columns to their column totals, and both kinds of totals to
  the grand total;
- across tables with the same (non-empty) ``population``, the margins over the
  dimensions two tables share are equal: a one-way table over ``c`` is the
  column-total row of a two-way table over ``(r, c)``; two tables over
  ``(r, c)`` and ``(s, c)`` have the same totals over ``c``; all grand totals
  are equal.

For each suppressed cell, linear programs (HiGHS, through
:func:`scipy.optimize.linprog`) find its smallest and largest value over the
feasible set. Counts are whole numbers, so the bounds are rounded inwards
(``ceil`` of the minimum, ``floor`` of the maximum); a cell whose bounds meet is
*disclosed*. For one table the constraint matrix is a network matrix and these
bounds are exactly the integer ones (the audit's residual-graph argument); for
linked tables the LP may be looser than an integer program, so the attacker
here is sound (what it reports is disclosed) but not necessarily the strongest.
It also does not posit the unpublished higher-way table behind two linked
tables; for tables sharing one dimension (a star around it, as the agency-count
tables are) such a table always exists, so that adds nothing.

Published cells with an exact value are substituted out, and the remaining
system is split into independent parts (connected through constraints), so the
programs stay small. :func:`disclosed`, the checker's question, first pushes all
open cells up and down by one in a few programs and asks about each cell alone
only if it has not moved: a cell seen at two whole values cannot be pinned.
:func:`bounds` gives every suppressed cell's exact range (up to two programs per
cell: for tests and small tables).

Errors name tables, never a cell's value: malformed tables, or an inconsistent
set of them (no table of counts agrees with all of them), raise ValueError.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import connected_components

from enclave.disclosure.suppression import TOTAL

Cell = tuple[str, ...]
#: how far an LP optimum may sit from a whole number and still count as it
_TOL = 1e-6


@dataclass(frozen=True)
class PublishedTable:
    """One table as the public sees it.

    ``cells`` holds every cell, margins included (labelled :data:`TOTAL`), with
    ``None`` where suppressed. ``slack`` is the rounding: a published non-zero ``v``
    means the true count lies in ``[v - slack[0], v + slack[1]]`` (base 5: ``(2, 2)``,
    base 10: ``(5, 4)``, random base 3: ``(2, 2)``); zeros are exact. Tables with the
    same non-empty ``population`` count the same persons.
    """

    name: str
    dims: tuple[str, ...]
    cells: dict[Cell, int | None]
    slack: tuple[int, int] = (0, 0)
    population: str = ""


@dataclass(frozen=True)
class Disclosure:
    """A suppressed cell the published tables pin to one value.

    ``low`` and ``high`` are the attacker's bounds (equal here): confidential, like
    the cell itself; never log them.
    """

    table: str
    cell: Cell
    low: float
    high: float


def from_frame(
    name: str,
    frame: pl.DataFrame,
    dims: Sequence[str],
    *,
    slack: tuple[int, int] = (0, 0),
    population: str = "",
) -> PublishedTable:
    """A :class:`PublishedTable` from a long frame like ``SafeTable.frame``: the ``dims``
    columns (labels, margins :data:`TOTAL`) and ``n`` (null where suppressed)."""
    dims = tuple(dims)
    missing = [c for c in (*dims, "n") if c not in frame.columns]
    if missing:
        raise ValueError(f"table {name}: lacks columns {missing}")
    labels = frame.select(pl.col(d).cast(pl.String) for d in dims).rows()
    counts = frame.get_column("n").to_list()
    cells = dict(zip(labels, counts, strict=True))
    if len(cells) != frame.height:
        raise ValueError(f"table {name}: repeated cells over {list(dims)}")
    return PublishedTable(name, dims, cells, tuple(slack), population)


def disclosed(tables: Sequence[PublishedTable]) -> list[Disclosure]:
    """Every suppressed cell that the tables, attacked together, pin to one value,
    sorted by table and cell. Each :class:`Disclosure` carries the value: report the
    table and cell, never the bounds.

    >>> t = PublishedTable("t", ("k",), {("a",): None, ("b",): 40, ("Total",): 43})
    >>> [(d.table, d.cell) for d in disclosed([t])]
    [('t', ('a',))]
    """
    ranges = _System(tables).ranges(exhaustive=False)
    return [
        Disclosure(table, cell, low, high)
        for (table, cell), (low, high) in sorted(ranges.items())
        if low == high
    ]


def bounds(tables: Sequence[PublishedTable]) -> dict[tuple[str, Cell], tuple[float, float]]:
    """``(table, cell) -> (low, high)`` for every suppressed cell: the whole numbers the
    attacker cannot rule out lie in ``[low, high]`` (``high`` may be ``inf``)."""
    return _System(tables).ranges(exhaustive=True)


# --------------------------------------------------------------------------- the model


def _levels(table: PublishedTable) -> list[list[str]]:
    """The labels of each dimension, :data:`TOTAL` last; checks the table is complete."""
    if not 1 <= len(table.dims) <= 2 or len(set(table.dims)) != len(table.dims):
        raise ValueError(f"table {table.name}: needs one or two distinct dimensions")
    if any(len(cell) != len(table.dims) for cell in table.cells):
        raise ValueError(f"table {table.name}: a cell's labels do not match its dimensions")
    levels = []
    for i in range(len(table.dims)):
        seen = dict.fromkeys(cell[i] for cell in table.cells)
        if TOTAL not in seen:
            raise ValueError(f"table {table.name}: no {TOTAL} along {table.dims[i]}")
        levels.append([v for v in seen if v != TOTAL] + [TOTAL])
    if len(table.cells) != math.prod(len(v) for v in levels):
        raise ValueError(f"table {table.name}: some cells (margins included) are missing")
    return levels


def _box(table: PublishedTable) -> dict[Cell, tuple[float, float]]:
    """Each cell's bounds from its published value alone."""
    below, above = table.slack
    if min(below, above) < 0:
        raise ValueError(f"table {table.name}: rounding slack must be non-negative")
    box = {}
    for cell, v in table.cells.items():
        if v is None:
            box[cell] = (1.0, math.inf)
        elif isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise ValueError(f"table {table.name}: counts must be whole numbers, at least 0")
        else:
            box[cell] = (0.0, 0.0) if v == 0 else (max(1.0, v - below), float(v + above))
    return box


class _System:
    """The unknowns, their bounds and the equalities of a set of tables."""

    def __init__(self, tables: Sequence[PublishedTable]) -> None:
        names = [t.name for t in tables]
        if len(set(names)) != len(names):
            raise ValueError("published tables need distinct names")
        self.keys: list[tuple[str, Cell]] = []
        self.index: dict[tuple[str, Cell], int] = {}
        lower, upper = [], []
        self.levels = {t.name: dict(zip(t.dims, _levels(t), strict=True)) for t in tables}
        for t in tables:
            for cell, (lo, hi) in _box(t).items():
                self.index[(t.name, cell)] = len(self.keys)
                self.keys.append((t.name, cell))
                lower.append(lo)
                upper.append(hi)
        self.lower, self.upper = np.array(lower), np.array(upper)
        self.hidden = [
            self.index[(t.name, c)] for t in tables for c, v in t.cells.items() if v is None
        ]
        self.rows: list[list[tuple[int, float]]] = []
        self.sources: list[tuple[str, ...]] = []
        for t in tables:
            self._additive(t)
        for a, b in itertools.combinations(tables, 2):
            if a.population and a.population == b.population:
                self._linked(a, b)

    def _equation(self, terms: Iterable[tuple[str, Cell, float]], sources: tuple[str, ...]):
        self.rows.append([(self.index[(name, cell)], coef) for name, cell, coef in terms])
        self.sources.append(sources)

    def _additive(self, t: PublishedTable) -> None:
        """Along each dimension, for each choice of the others' labels, interior = margin."""
        levels = [self.levels[t.name][d] for d in t.dims]
        for axis, along in enumerate(levels):
            others = [lv for i, lv in enumerate(levels) if i != axis]
            for rest in itertools.product(*others):

                def at(label: str, rest=rest, axis=axis) -> Cell:
                    return (*rest[:axis], label, *rest[axis:])

                terms = [(t.name, at(v), 1.0) for v in along[:-1]]
                self._equation([*terms, (t.name, at(TOTAL), -1.0)], (t.name,))

    def _linked(self, a: PublishedTable, b: PublishedTable) -> None:
        """Equal margins over the dimensions ``a`` and ``b`` share (grand totals if none)."""
        shared = [d for d in a.dims if d in b.dims]
        for d in shared:
            if set(self.levels[a.name][d]) != set(self.levels[b.name][d]):
                raise ValueError(
                    f"tables {a.name} and {b.name} count the same persons but list different "
                    f"levels of {d}"
                )
        for labels in itertools.product(*(self.levels[a.name][d] for d in shared)):
            fixed = dict(zip(shared, labels, strict=True))
            cell_a = tuple(fixed.get(d, TOTAL) for d in a.dims)
            cell_b = tuple(fixed.get(d, TOTAL) for d in b.dims)
            self._equation([(a.name, cell_a, 1.0), (b.name, cell_b, -1.0)], (a.name, b.name))

    # ----------------------------------------------------------------------- solving

    def ranges(self, exhaustive: bool) -> dict[tuple[str, Cell], tuple[float, float]]:
        """Whole-number bounds of each suppressed cell. Unless ``exhaustive``, a cell seen
        to take two whole values is left with those (it cannot be pinned) instead of its
        exact bounds."""
        matrix = self._matrix()
        known = self.lower == self.upper
        free = np.flatnonzero(~known)
        rhs = -(matrix[:, known] @ self.lower[known])
        part = matrix[:, free].tocsr()
        used = np.diff(part.indptr) > 0
        for r in np.flatnonzero(~used & (np.abs(rhs) > _TOL)):
            raise _inconsistent(self.sources[r])
        out: dict[tuple[str, Cell], tuple[float, float]] = {}
        targets = set(self.hidden)
        for cols, rows in _components(part, used):
            names = sorted({name for r in rows for name in self.sources[r]})
            problem = _Problem(
                part[rows][:, cols],
                rhs[rows],
                self.lower[free[cols]],
                self.upper[free[cols]],
                names,
            )
            wanted = [k for k, j in enumerate(free[cols]) if j in targets]
            for k, rng in problem.ranges(wanted, exhaustive).items():
                out[self.keys[free[cols][k]]] = rng
        return out

    def _matrix(self) -> sp.csr_matrix:
        r = [i for i, row in enumerate(self.rows) for _ in row]
        c = [j for row in self.rows for j, _ in row]
        v = [coef for row in self.rows for _, coef in row]
        return sp.csr_matrix((v, (r, c)), shape=(len(self.rows), len(self.keys)))


def _components(part: sp.csr_matrix, used: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(columns, rows) of the independent parts of ``part`` (rows without columns left out)."""
    n_rows = part.shape[0]
    link = abs(part).astype(bool)
    graph = sp.bmat([[None, link], [link.T, None]], format="csr")
    _, label = connected_components(graph, directed=False)
    row_label, col_label = label[:n_rows], label[n_rows:]
    parts = []
    for lab in np.unique(col_label):
        rows = np.flatnonzero((row_label == lab) & used)
        parts.append((np.flatnonzero(col_label == lab), rows))
    return parts


def _inconsistent(names: Iterable[str]) -> ValueError:
    listed = ", ".join(sorted(set(names)))
    return ValueError(f"no table of counts agrees with the published table(s) {listed}")


class _Problem:
    """One independent part: ``A x = b``, ``lower <= x <= upper``.

    Every solution found is remembered (``seen_low``, ``seen_high``): a bound already
    reached needs no program of its own, and a cell seen at two whole values cannot
    be pinned.
    """

    #: rounds of pushing all open cells at once before asking about each alone
    ROUNDS = 8

    def __init__(self, a, b, lower, upper, names: list[str]) -> None:
        self.a, self.b, self.names = a, b, names
        self.lower, self.upper = lower, upper
        self.seen_low = np.full(len(lower), math.inf)
        self.seen_high = np.full(len(lower), -math.inf)
        self._run(np.zeros(len(lower)))  # every part must be feasible, hidden cells or not

    def ranges(self, wanted: list[int], exhaustive: bool) -> dict[int, tuple[float, float]]:
        """Whole-number bounds of the ``wanted`` cells. Unless ``exhaustive``, a cell seen
        at two whole values keeps the seen range instead of its exact bounds."""
        if not exhaustive:
            self._push(wanted)
        endless = self._unbounded([k for k in wanted if exhaustive or not self._loose(k)])
        out = {}
        for k in wanted:
            if not exhaustive and self._loose(k):
                out[k] = (float(math.ceil(self.seen_low[k])), float(math.floor(self.seen_high[k])))
                continue
            low = self._extreme(k, 1.0)
            high = math.inf if k in endless else self._extreme(k, -1.0)
            low_i = math.ceil(low - _TOL)
            high_i = high if math.isinf(high) else math.floor(high + _TOL)
            # the LP has room, but for no whole number
            if low_i > high_i:  # pragma: no cover - needs a fractional vertex (linked tables)
                raise _inconsistent(self.names)
            out[k] = (float(low_i), float(high_i))
        return out

    def _loose(self, k: int) -> bool:
        """Have two whole values of cell ``k`` been seen feasible already?"""
        return math.floor(self.seen_high[k] + _TOL) > math.ceil(self.seen_low[k] - _TOL)

    def _push(self, wanted: list[int]) -> None:
        """Move every open cell up by one, then down by one, in one program each, until a
        round settles nothing more (a pinned cell never moves, so its own programs stay)."""
        for _ in range(self.ROUNDS):
            before = [k for k in wanted if not self._loose(k)]
            for sign in (-1.0, 1.0):
                open_ = np.array([k for k in wanted if not self._loose(k)], dtype=np.int64)
                if open_.size == 0:
                    return
                lower, upper = self.lower.copy(), self.upper.copy()
                if sign < 0:  # up, but no further than one above the lowest value seen
                    upper[open_] = np.ceil(self.seen_low[open_] - _TOL) + 1
                else:
                    lower[open_] = np.floor(self.seen_high[open_] + _TOL) - 1
                c = np.zeros(len(lower))
                c[open_] = sign
                self._run(c, np.maximum(lower, self.lower), np.minimum(upper, self.upper))
            if [k for k in wanted if not self._loose(k)] == before:
                return

    def _extreme(self, k: int, sign: float) -> float:
        """min (``sign`` 1) or max (-1) of cell ``k``; inf if unbounded."""
        seen, box = (self.seen_low, self.lower) if sign > 0 else (self.seen_high, self.upper)
        if abs(seen[k] - box[k]) <= _TOL:  # the box's bound, already reached
            return float(seen[k])
        c = np.zeros(len(self.lower))
        c[k] = sign
        x = self._run(c)
        return math.inf if x is None else float(x[k])

    def _unbounded(self, cells: list[int]) -> set[int]:
        """Which of ``cells`` can grow without end: those on a ray ``d >= 0``, ``A d = 0``
        (zero where the box is bounded). One program: maximise the sum of ``t_k <=
        min(d_k, 1)``; rays add up, so every cell on some ray reaches 1."""
        cells = [k for k in cells if math.isinf(self.upper[k])]
        if not cells or self.a.shape[0] == 0:
            return set(cells)
        n, m = len(self.lower), len(cells)
        free = np.isinf(self.upper)
        a_eq = sp.hstack([self.a, sp.csr_matrix((self.a.shape[0], m))], format="csr")
        pick = sp.csr_matrix((-np.ones(m), (np.arange(m), cells)), shape=(m, n))
        a_ub = sp.hstack([pick, sp.identity(m)], format="csr")
        c = np.concatenate([np.zeros(n), -np.ones(m)])
        box = np.vstack(
            [
                np.column_stack([np.zeros(n), np.where(free, math.inf, 0.0)]),
                np.column_stack([np.zeros(m), np.ones(m)]),
            ]
        )
        res = linprog(
            c, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=np.zeros(len(self.b)), bounds=box
        )
        if res.status != 0:  # pragma: no cover - d = 0 is feasible and the sum bounded
            raise RuntimeError(f"the attack's solver failed on tables {', '.join(self.names)}")
        return {k for k, t in zip(cells, res.x[n:], strict=True) if t > 0.5}

    def _run(self, c: np.ndarray, lower=None, upper=None) -> np.ndarray | None:
        """A solution minimising ``c @ x`` (None if unbounded), remembered as seen."""
        lower = self.lower if lower is None else lower
        upper = self.upper if upper is None else upper
        rows = self.a.shape[0] > 0
        res = linprog(
            c,
            A_eq=self.a if rows else None,
            b_eq=self.b if rows else None,
            bounds=np.column_stack([lower, upper]),
            method="highs",
        )
        if res.status == 3:  # pragma: no cover - rays are found first (_unbounded)
            return None
        if res.status == 2:
            raise _inconsistent(self.names)
        if res.status != 0:  # pragma: no cover - HiGHS on small, well-scaled problems
            raise RuntimeError(f"the attack's solver failed on tables {', '.join(self.names)}")
        np.minimum(self.seen_low, res.x, out=self.seen_low)
        np.maximum(self.seen_high, res.x, out=self.seen_high)
        return res.x
