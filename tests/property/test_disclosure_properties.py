"""Disclosure invariants (Hypothesis): nothing published lies in (0, min_cell), and no
suppressed cell can be worked out exactly from what is published.

The attacker is an independent oracle: for each suppressed cell, networkx's network
simplex finds its smallest and largest value over all tables that agree with the
published cells and totals, knowing suppressed cells are at least 1 (zeros are
always published). A cell is disclosed when the two coincide.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.disclosure import (
    audit,
    hidden_cells,
    hidden_margins,
    margins_agree,
    protect_1d,
    protect_2d,
)

count = st.one_of(st.integers(0, 12), st.integers(0, 200))
min_cells = st.integers(2, 12)


def _bounds(s: audit.Structure, values: np.ndarray, hidden: np.ndarray, e: int):
    """(min, max) of cell ``e`` over all consistent tables; max may be inf."""
    balance = np.zeros(s.n_nodes, dtype=np.int64)  # inflow - outflow of known flow
    known = np.where(hidden, 1, values)  # hidden cells contribute their lower bound 1
    np.add.at(balance, s.head, known)
    np.subtract.at(balance, s.tail, known)
    results = []
    for sign in (1, -1):
        g = nx.MultiDiGraph()
        for n in range(s.n_nodes):
            g.add_node(n, demand=int(-balance[n]))
        for i in np.flatnonzero(hidden):
            g.add_edge(int(s.tail[i]), int(s.head[i]), key=int(i), weight=sign if i == e else 0)
        try:
            _, flow = nx.network_simplex(g)
        except nx.NetworkXUnbounded:
            results.append(math.inf)
            continue
        results.append(1 + flow[int(s.tail[e])][int(s.head[e])][e])
    return results[0], results[1]


def _assert_safe(s: audit.Structure, values: np.ndarray, published: np.ndarray, min_cell: int):
    hidden = np.isnan(published)
    shown = values[~hidden]
    assert not ((shown > 0) & (shown < min_cell)).any(), "a small count was published"
    assert (published[~hidden] == shown).all(), "a published count was altered"
    for e in np.flatnonzero(hidden):
        low, high = _bounds(s, values, hidden, int(e))
        assert low <= values[e] <= high
        assert low < high, "a suppressed cell is determined by the published ones"


def _published(frame: pl.DataFrame) -> np.ndarray:
    return frame.get_column("n").cast(pl.Float64).fill_null(float("nan")).to_numpy()


@settings(max_examples=150, deadline=None)
@given(st.lists(count, min_size=1, max_size=8), min_cells)
def test_one_way_tables_are_safe(cells, min_cell):
    frame = pl.DataFrame({"k": [f"k{i}" for i in range(len(cells))], "n": cells})
    table = protect_1d(frame, "k", min_cell=min_cell)
    values = np.array([*cells, sum(cells)], dtype=np.int64)
    _assert_safe(audit.one_way(len(cells)), values, _published(table.frame), min_cell)


@st.composite
def grids(draw):
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return np.array(draw(st.lists(count, min_size=rows * cols, max_size=rows * cols))).reshape(
        rows, cols
    )


@settings(max_examples=150, deadline=None)
@given(grids(), min_cells)
def test_two_way_tables_are_safe(grid, min_cell):
    rows, cols = grid.shape
    frame = pl.DataFrame(
        {
            "r": [f"r{i}" for i in range(rows) for _ in range(cols)],
            "c": [f"c{j}" for _ in range(rows) for j in range(cols)],
            "n": grid.ravel(),
        }
    )
    table = protect_2d(frame, "r", "c", min_cell=min_cell)
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[:-1, -1], full[-1, :-1], full[-1, -1] = grid.sum(1), grid.sum(0), grid.sum()
    _assert_safe(audit.two_way(rows, cols), full.ravel(), _published(table.frame), min_cell)


@settings(max_examples=150, deadline=None)
@given(grids(), st.data())
def test_audit_agrees_with_network_simplex(grid, data):
    """Oracle test: the residual-graph audit finds exactly the cells the LP pins down."""
    rows, cols = grid.shape
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[:-1, -1], full[-1, :-1], full[-1, -1] = grid.sum(1), grid.sum(0), grid.sum()
    values = full.ravel()
    mask = data.draw(st.lists(st.booleans(), min_size=values.size, max_size=values.size))
    hidden = np.array(mask) & (values > 0)
    s = audit.two_way(rows, cols)
    expected = {
        int(e) for e in np.flatnonzero(hidden) if len(set(_bounds(s, values, hidden, int(e)))) == 1
    }
    assert set(audit.determined_cells(s, values, hidden).tolist()) == expected


@settings(max_examples=150, deadline=None)
@given(grids(), min_cells)
def test_linked_one_and_two_way_tables_are_safe_together(grid, min_cell):
    """A 1-D table of the columns and the 2-D table, re-protected until their suppressions
    agree: the 1-D table then adds nothing to the 2-D one, which the oracle checks."""
    rows, cols = grid.shape
    levels = [f"c{j}" for j in range(cols)]
    frame = pl.DataFrame(
        {
            "r": [f"r{i}" for i in range(rows) for _ in range(cols)],
            "c": levels * rows,
            "n": grid.ravel(),
        }
    )
    margin = pl.DataFrame({"c": levels, "n": grid.sum(0)})
    forced: list[str] = []
    for _ in range(cols + 2):
        one = protect_1d(margin, "c", min_cell=min_cell, levels=levels, also_hidden=forced)
        two = protect_2d(frame, "r", "c", min_cell=min_cell, col_margins=one)
        if margins_agree(one, two):
            break
        forced = sorted({*hidden_cells(one), *hidden_margins(two)})
    else:
        pytest.fail("linked protection did not settle")
    margins = two.frame.filter(pl.col("r") == "Total").get_column("n")
    assert margins.to_list() == one.frame.get_column("n").to_list()
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[:-1, -1], full[-1, :-1], full[-1, -1] = grid.sum(1), grid.sum(0), grid.sum()
    _assert_safe(audit.two_way(rows, cols), full.ravel(), _published(two.frame), min_cell)
