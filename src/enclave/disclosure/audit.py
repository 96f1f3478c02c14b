"""Secondary suppression by auditing the table's additive structure.

A count table with its margins is a circulation on a small directed graph: each
cell is an edge and each additive constraint (a row, a column, a margin) is a
node where inflow equals outflow. For a two-way table with rows ``r_i``, columns
``c_j`` and the two margin nodes ``TR`` / ``TC``::

    interior (i, j): c_j -> r_i      row total (i, T): r_i -> TC
    column total (T, j): TR -> c_j   grand total (T, T): TC -> TR

A one-way table is two nodes: every cell goes ``Z -> A``, the total ``A -> Z``.

Published cells are fixed flows; suppressed cells are unknowns the attacker
knows to be at least 1 (zeros are always published). A suppressed cell's value
can change by one, with every constraint still holding, exactly when a cycle
through it exists in the residual graph: a suppressed edge may always grow
(forward arc) and may shrink (backward arc) only if it is above 1. The
constraint matrix is a network matrix (totally unimodular), so this integer
argument is exact: a suppressed cell with no such cycle in either direction is
*determined* and must be protected by suppressing a complement.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Structure:
    """The edges of a table's constraint graph, one per cell (margins included)."""

    tail: np.ndarray  # node index the cell's edge leaves
    head: np.ndarray  # node index the cell's edge enters
    n_nodes: int


def one_way(k: int) -> Structure:
    """Cells ``0..k-1`` and the total as cell ``k``."""
    tail = np.array([0] * k + [1], dtype=np.int64)
    head = np.array([1] * k + [0], dtype=np.int64)
    return Structure(tail, head, 2)


def two_way(n_rows: int, n_cols: int) -> Structure:
    """Cells of the (n_rows + 1) x (n_cols + 1) table with margins, in row-major order.

    Row ``n_rows`` holds the column totals and column ``n_cols`` the row totals.
    """
    r = np.arange(n_rows)  # nodes 0..R-1 are rows
    c = n_rows + np.arange(n_cols)  # then columns
    tr, tc = n_rows + n_cols, n_rows + n_cols + 1
    tail = np.empty((n_rows + 1, n_cols + 1), dtype=np.int64)
    head = np.empty_like(tail)
    tail[:n_rows, :n_cols], head[:n_rows, :n_cols] = c[None, :], r[:, None]
    tail[:n_rows, n_cols], head[:n_rows, n_cols] = r, tc
    tail[n_rows, :n_cols], head[n_rows, :n_cols] = tr, c
    tail[n_rows, n_cols], head[n_rows, n_cols] = tc, tr
    return Structure(tail.ravel(), head.ravel(), n_rows + n_cols + 2)


def _adjacency(s: Structure, values: np.ndarray, hidden: np.ndarray) -> list[list[tuple[int, int]]]:
    """Residual arcs of the suppressed cells: ``adj[node] = [(next_node, cell), ...]``."""
    adj: list[list[tuple[int, int]]] = [[] for _ in range(s.n_nodes)]
    for e in np.flatnonzero(hidden):
        u, v = int(s.tail[e]), int(s.head[e])
        adj[u].append((v, int(e)))
        if values[e] > 1:
            adj[v].append((u, int(e)))
    return adj


def _reaches(adj: list[list[tuple[int, int]]], start: int, goal: int, skip: int) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt, cell in adj[node]:
            if cell == skip or nxt in seen:
                continue
            if nxt == goal:
                return True
            seen.add(nxt)
            queue.append(nxt)
    return False


def _determined(s: Structure, values: np.ndarray, adj, e: int) -> bool:
    u, v = int(s.tail[e]), int(s.head[e])
    can_grow = _reaches(adj, v, u, e)
    can_shrink = values[e] > 1 and _reaches(adj, u, v, e)
    return not (can_grow or can_shrink)


def determined_cells(s: Structure, values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Indices of suppressed cells whose value follows exactly from the published ones."""
    adj = _adjacency(s, values, hidden)
    return np.array(
        [e for e in np.flatnonzero(hidden) if _determined(s, values, adj, int(e))], dtype=np.int64
    )


#: extra cost of suppressing a cell a linked table has published: a last resort
_AVOID = 10**12


def _cheapest_cycle(
    s: Structure, values: np.ndarray, hidden: np.ndarray, e: int, fixed: np.ndarray
) -> list[int]:
    """Published cells whose suppression lets ``e`` grow, at the least suppressed total.

    A shortest path from ``e``'s head back to its tail: arcs of suppressed cells
    are free, a published positive cell costs its value (its backward arc only if
    it is above 1). Zeros stay published, so they are never on the path; ``fixed``
    cells (published elsewhere already) are used only when nothing else will do.
    """
    arcs: list[list[tuple[int, int, int]]] = [[] for _ in range(s.n_nodes)]
    usable = hidden | (values > 0)
    for f in np.flatnonzero(usable & (np.arange(values.size) != e)):
        cost = 0 if hidden[f] else int(values[f]) + (_AVOID if fixed[f] else 0)
        u, v = int(s.tail[f]), int(s.head[f])
        arcs[u].append((v, int(f), cost))
        if values[f] > 1:
            arcs[v].append((u, int(f), cost))
    start, goal = int(s.head[e]), int(s.tail[e])
    best = {start: 0}
    via: dict[int, tuple[int, int]] = {}
    heap = [(0, start)]
    while heap:
        dist, node = heapq.heappop(heap)
        if node == goal:
            break
        if dist > best.get(node, dist):
            continue
        for nxt, cell, cost in arcs[node]:
            if dist + cost < best.get(nxt, dist + cost + 1):
                best[nxt] = dist + cost
                via[nxt] = (node, cell)
                heapq.heappush(heap, (dist + cost, nxt))
    if goal not in via:
        return []
    path, node = [], goal
    while node != start:
        node, cell = via[node]
        path.append(cell)
    return sorted(c for c in path if not hidden[c])


def secondary(
    s: Structure, values: np.ndarray, hidden: np.ndarray, fixed: np.ndarray | None = None
) -> np.ndarray:
    """Add complementary suppressions until no suppressed cell is determined.

    Each determined cell gets the cheapest set of complements that puts it on a
    cycle (so it can change without breaking any total); cells are handled in
    index order, so the result is deterministic. ``fixed`` cells are chosen only
    when no other complement exists.
    """
    hidden = hidden.copy()
    fixed = np.zeros_like(hidden) if fixed is None else fixed
    while True:
        stuck = determined_cells(s, values, hidden)
        if stuck.size == 0:
            return hidden
        for e in stuck.tolist():
            # an earlier complement in this pass may already protect it
            if not _determined(s, values, _adjacency(s, values, hidden), e):
                continue
            extra = _cheapest_cycle(s, values, hidden, e, fixed)
            if not extra:  # pragma: no cover - the margins always close a cycle
                raise ValueError("no complementary suppression protects the table")
            hidden[extra] = True


def protect(
    s: Structure,
    values: np.ndarray,
    min_cell: int,
    hidden: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
) -> np.ndarray:
    """The suppression mask: primary (0 < n < min_cell) plus secondary.

    ``hidden`` cells start suppressed and ``fixed`` cells stay published if at all
    possible: both come from a linked table publishing the same cells.
    """
    values = np.asarray(values, dtype=np.int64)
    primary = (values > 0) & (values < min_cell)
    if hidden is not None:
        primary |= hidden
    return secondary(s, values, primary, fixed)
