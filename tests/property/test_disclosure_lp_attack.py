"""Disclosure invariants against the linear-programming attacker (Hypothesis).

The attacker (enclave.disclosure.attack) holds every published table of the same
persons at once. Protected tables must leave each suppressed cell open (the attacker's
bounds never meet) and the truth always lies within the bounds. The attacker's teeth:
on one table it finds exactly the cells the residual-graph audit calls determined, its
fast verdict agrees with its exhaustive bounds, and tables protected one at a time
without their links give cells away.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from enclave.disclosure import (
    audit,
    hidden_cells,
    hidden_margins,
    joint_disclosures,
    margins_agree,
    next_complement,
    protect_1d,
    protect_2d,
)
from enclave.disclosure.attack import PublishedTable, bounds, disclosed, from_frame
from enclave.studies import overlap
from enclave.studies.overlap import Period

T = "Total"
count = st.one_of(st.integers(0, 12), st.integers(0, 200))
min_cells = st.integers(2, 12)
FAST = settings(max_examples=50, deadline=None)
#: for tests that protect or attack several tables per example
SLOW = settings(max_examples=20, deadline=None)


def _published(name: str, safe, **kw) -> PublishedTable:
    return from_frame(name, safe.frame, safe.dims, **kw)


def _assert_open(tables: list[PublishedTable], truth: dict[str, PublishedTable]):
    """Every suppressed cell keeps the truth within its bounds, and the bounds apart."""
    found = bounds(tables)
    for (name, cell), (low, high) in found.items():
        assert low <= truth[name].cells[cell] <= high
    pinned = sorted(key for key, (low, high) in found.items() if low == high)
    assert not pinned, f"the joint attack pins {pinned}"


def _long(grid: np.ndarray, rows: str = "r", cols: str = "c") -> pl.DataFrame:
    n_rows, n_cols = grid.shape
    return pl.DataFrame(
        {
            rows: [f"{rows}_{i}" for i in range(n_rows) for _ in range(n_cols)],
            cols: [f"{cols}_{j}" for _ in range(n_rows) for j in range(n_cols)],
            "n": grid.ravel(),
        }
    )


@st.composite
def grids(draw, max_side: int = 4):
    rows, cols = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    cells = draw(st.lists(count, min_size=rows * cols, max_size=rows * cols))
    return np.array(cells, dtype=np.int64).reshape(rows, cols)


# --------------------------------------------------------------------------- one table


@FAST
@given(st.lists(count, min_size=1, max_size=8), min_cells)
def test_one_way_tables_withstand_the_attack(cells, min_cell):
    frame = pl.DataFrame({"k": [f"k{i}" for i in range(len(cells))], "n": cells})
    table = protect_1d(frame, "k", min_cell=min_cell)
    truth = protect_1d(frame, "k", min_cell=1)
    _assert_open([_published("t", table)], {"t": _published("t", truth)})


@FAST
@given(grids(), min_cells)
def test_two_way_tables_withstand_the_attack(grid, min_cell):
    table = protect_2d(_long(grid), "r", "c", min_cell=min_cell)
    truth = protect_2d(_long(grid), "r", "c", min_cell=1)
    _assert_open([_published("t", table)], {"t": _published("t", truth)})


def _round(table: PublishedTable, base: int) -> PublishedTable:
    """Half up to the base; a count above zero never rounds to zero."""
    cells = {
        cell: v if not v else max(base, (v + base // 2) // base * base)
        for cell, v in table.cells.items()
    }
    return PublishedTable(table.name, table.dims, cells, {5: (2, 2), 10: (5, 4)}[base])


@FAST
@given(grids(), st.integers(5, 12), st.sampled_from([5, 10]))
def test_rounded_tables_keep_the_truth_within_the_bounds(grid, min_cell, base):
    # published counts are at least min_cell >= 5, so the slack covers every rounding
    table = _published("t", protect_2d(_long(grid), "r", "c", min_cell=min_cell))
    truth = _published("t", protect_2d(_long(grid), "r", "c", min_cell=1))
    _assert_open([_round(table, base)], {"t": truth})


def _masked(grid: np.ndarray, mask: list[bool]) -> tuple[PublishedTable, np.ndarray, np.ndarray]:
    """The full table of ``grid`` with ``mask`` hiding some non-zero cells (any pattern,
    safe or not), its values and its hidden mask in the audit's (row-major) order."""
    rows, cols = grid.shape
    full = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    full[:-1, :-1] = grid
    full[:-1, -1], full[-1, :-1], full[-1, -1] = grid.sum(1), grid.sum(0), grid.sum()
    hidden = np.array(mask) & (full.ravel() > 0)
    r_labels = [f"r_{i}" for i in range(rows)] + [T]
    c_labels = [f"c_{j}" for j in range(cols)] + [T]
    cells = {
        (r, c): None if hidden[i * (cols + 1) + j] else int(full[i, j])
        for i, r in enumerate(r_labels)
        for j, c in enumerate(c_labels)
    }
    return PublishedTable("t", ("r", "c"), cells), full.ravel(), hidden


@FAST
@given(grids(), st.data())
def test_the_attack_agrees_with_the_audit_on_one_table(grid, data):
    """Oracle test with teeth: with any suppression pattern, the attacker pins exactly
    the cells the residual-graph audit finds determined."""
    size = (grid.shape[0] + 1) * (grid.shape[1] + 1)
    mask = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
    table, values, hidden = _masked(grid, mask)
    cells = list(table.cells)
    determined = audit.determined_cells(audit.two_way(*grid.shape), values, hidden)
    assert {d.cell for d in disclosed([table])} == {cells[e] for e in determined}


# --------------------------------------------------------------------------- linked tables


@st.composite
def linked_grids(draw, max_tables: int = 3):
    """Two-way tables of the same persons, over their own rows and shared columns."""
    cols = draw(st.integers(1, 3))
    sums = draw(st.lists(count, min_size=cols, max_size=cols))
    tables = []
    for _ in range(draw(st.integers(2, max_tables))):
        rows = draw(st.integers(1, 3))
        grid = np.zeros((rows, cols), dtype=np.int64)
        for j, total in enumerate(sums):
            cuts = draw(st.lists(st.integers(0, total), min_size=rows - 1, max_size=rows - 1))
            grid[:, j] = np.diff([0, *sorted(cuts), total])
        tables.append(grid)
    return tables


def _protect_linked(tables: list[np.ndarray], min_cell: int):
    """The one-way table of the columns and the two-way tables, protected together as
    overlap.agency_count_tables does: re-protected until all suppress the same column
    totals, then attacked jointly, one more cell suppressed while any cell is pinned."""
    levels = [f"c_{j}" for j in range(tables[0].shape[1])]
    margin = pl.DataFrame({"c": levels, "n": tables[0].sum(0)})
    extra: list[list] = [[] for _ in range(len(tables) + 1)]
    for _ in range(sum(g.size for g in tables) + len(levels) + 2):
        one, twos = _agreeing_margins(tables, margin, levels, min_cell, extra)
        pins = joint_disclosures([one, *twos])
        if not pins:
            return one, twos
        index, cell = next_complement([one, *twos], pins)
        extra[index].append(cell[0] if index == 0 else cell)
    pytest.fail("joint protection did not settle")


def _agreeing_margins(tables, margin, levels, min_cell, extra):
    forced: list[str] = list(extra[0])
    for _ in range(len(levels) + 2):
        one = protect_1d(
            margin, "c", min_cell=min_cell, levels=levels, also_hidden=forced, population="p"
        )
        twos = [
            protect_2d(
                _long(g, f"r{k}"),
                f"r{k}",
                "c",
                min_cell=min_cell,
                col_margins=one,
                also_hidden=extra[k + 1],
                population="p",
            )
            for k, g in enumerate(tables)
        ]
        if all(margins_agree(one, t) for t in twos):
            return one, twos
        forced = sorted(
            {*extra[0], *hidden_cells(one), *(m for t in twos for m in hidden_margins(t))}
        )
    pytest.fail("linked protection did not settle")


def _as_published(one, twos, population: str = "persons") -> list[PublishedTable]:
    return [
        _published("margin", one, population=population),
        *(_published(f"table{k}", t, population=population) for k, t in enumerate(twos)),
    ]


@SLOW
@given(linked_grids(), st.data())
def test_the_fast_verdict_agrees_with_the_bounds(tables, data):
    """Linked tables with any suppression pattern: ``disclosed`` (which stops looking at a
    cell once it has seen two values) reports exactly the cells whose bounds meet."""
    published = []
    for k, grid in enumerate(tables):
        size = (grid.shape[0] + 1) * (grid.shape[1] + 1)
        mask = data.draw(st.lists(st.booleans(), min_size=size, max_size=size))
        table, _, _ = _masked(grid, mask)
        cells = {(r if r == T else f"{r}{k}", c): v for (r, c), v in table.cells.items()}
        published.append(PublishedTable(f"t{k}", (f"r{k}", "c"), cells, population="p"))
    found = bounds(published)
    pinned = [key for key, (low, high) in found.items() if low == high]
    assert [(d.table, d.cell) for d in disclosed(published)] == sorted(pinned)


@SLOW
# table0 hides its 2x2 interior and column totals: the c_1 total is at least 2, so the
# c_0 total at most 10. table1 publishes 9 persons in c_0 and hides one more cell
# there: the c_0 total is at least 10. Together: exactly 10, and every cell follows.
@example(tables=[np.array([[7, 1], [3, 1]]), np.array([[1, 0], [9, 2]])], min_cell=2)
@given(linked_grids(), min_cells)
def test_linked_tables_withstand_a_joint_attack(tables, min_cell):
    """The one-way table of the columns and two-way tables sharing them, protected
    together: attacked together, every suppressed cell stays open."""
    one, twos = _protect_linked(tables, min_cell)
    truth = _protect_linked(tables, 1)
    _assert_open(_as_published(one, twos), {t.name: t for t in _as_published(*truth)})


def test_tables_protected_one_at_a_time_fall_to_a_joint_attack():
    """Teeth: the distribution of c hides both levels (4 and 1 persons, 5 in all) and a
    two-way table protected on its own publishes the c_0 total, 4; each is safe alone."""
    grid = np.array([[0, 1], [4, 0]])
    one = protect_1d(pl.DataFrame({"c": ["c_0", "c_1"], "n": grid.sum(0)}), "c", min_cell=2)
    two = protect_2d(_long(grid), "r", "c", min_cell=2)
    assert one.frame.get_column("n").to_list() == [None, None, 5]
    assert two.value(r="Total", c="c_0") == 4
    published = _as_published(one, [two])
    assert disclosed(published[:1]) == [] and disclosed(published[1:]) == []
    found = {(d.table, d.cell): d.low for d in disclosed(published)}
    assert found[("margin", ("c_1",))] == 1
    assert found[("table0", ("r_0", "c_1"))] == 1


# --------------------------------------------------------------------------- the study's tables

YEAR = Period.parse("2019-01-01", "2019-12-31")
AGES = [0, 18, 65]
COMBINATIONS = [
    ("hfs",),
    ("idhs",),
    ("hfs", "idhs"),
    ("hfs", "idoc"),
    ("aging",),
    ("idhs", "ides", "idph"),
    ("hfs", "idhs", "dcfs", "isbe"),
]
person = st.tuples(
    st.integers(0, len(COMBINATIONS) - 1),
    st.sampled_from([2010, 1980, 1940, None]),  # one per age group, and unknown
    st.sampled_from(["17001", "17003", "17005", None]),
)


def _study_inputs(people) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """``touched`` (overlap.combine_agencies of the contacts) and the persons table."""
    pids = [f"p{i}" for i in range(len(people))]
    contacts = [
        (pid, a) for pid, (c, _, _) in zip(pids, people, strict=True) for a in COMBINATIONS[c]
    ]
    touched = overlap.combine_agencies(
        pl.LazyFrame(contacts, schema={"pid": pl.String, "agency": pl.String}, orient="row")
    )
    persons = pl.LazyFrame(
        {
            "pid": pids,
            "birth_year": [year for _, year, _ in people],
            "birth_month": [1] * len(people),
            "county_fips": [county for _, _, county in people],
            "match_probability": [1.0] * len(people),
        },
        schema={
            "pid": pl.String,
            "birth_year": pl.Int32,
            "birth_month": pl.Int8,
            "county_fips": pl.String,
            "match_probability": pl.Float64,
        },
    )
    return touched, persons


@SLOW
# four persons: two children with one agency and with two, an adult with one, and a
# child with two in another county. Each table alone is safe, but the persons with one
# agency are at least 2 by age group (two hidden cells), those with two agencies at
# least 2 by county, and there are 4 in all: every hidden cell follows.
@example(
    people=[(0, 2010, "17001"), (0, 1980, "17001"), (2, 2010, "17001"), (2, 2010, "17003")],
    min_cell=2,
    top=1,
)
@given(st.lists(person, min_size=1, max_size=40), st.integers(2, 6), st.integers(1, 4))
def test_agency_count_tables_withstand_a_joint_attack(people, min_cell, top):
    """The study's tables of persons by number of agencies (the distribution, by age
    group, by county, the top combinations), attacked together."""
    touched, persons = _study_inputs(people)
    tables = overlap.agency_count_tables(touched, persons, YEAR, AGES, top, min_cell=min_cell)
    truth = {
        "distribution": overlap.distribution(touched, min_cell=1),
        "by_age_group": overlap.by_age_group(touched, persons, YEAR, AGES, min_cell=1),
        "by_county": overlap.by_county(touched, persons, min_cell=1),
        "top_combinations": overlap.top_combinations(touched, top, min_cell=1),
    }
    _assert_open(
        [_published(name, t, population="touched") for name, t in tables.items()],
        {name: _published(name, t) for name, t in truth.items()},
    )
