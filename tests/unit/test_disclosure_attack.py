"""The linear-programming attacker (enclave.disclosure.attack) on small hand-built tables
with known answers."""

from __future__ import annotations

import math

import polars as pl
import pytest

from enclave.disclosure import protect_1d
from enclave.disclosure.attack import (
    Disclosure,
    PublishedTable,
    bounds,
    disclosed,
    from_frame,
)

T = "Total"


def one_way(name: str, *values: int | None, slack=(0, 0), population="") -> PublishedTable:
    """Levels a, b, c, ... then the total (the last value)."""
    labels = [chr(ord("a") + i) for i in range(len(values) - 1)] + [T]
    cells = {(k,): v for k, v in zip(labels, values, strict=True)}
    return PublishedTable(name, ("k",), cells, slack, population)


def two_way(name: str, rows: list[list[int | None]], dims=("r", "c"), **kw) -> PublishedTable:
    """``rows`` includes the margins: the last row holds the column totals, the last
    column the row totals. Rows are r0, r1, ..., columns k0, k1, ... (for ``dims[1]``)."""
    r_labels = [f"r{i}" for i in range(len(rows) - 1)] + [T]
    c_labels = [f"k{j}" for j in range(len(rows[0]) - 1)] + [T]
    cells = {
        (r, c): v
        for r, row in zip(r_labels, rows, strict=True)
        for c, v in zip(c_labels, row, strict=True)
    }
    return PublishedTable(name, dims, cells, **kw)


# --------------------------------------------------------------------------- one table


def test_a_lone_suppressed_cell_is_worked_out_from_the_total():
    t = one_way("t", None, 40, 50, 93)
    assert disclosed([t]) == [Disclosure("t", ("a",), 3.0, 3.0)]


def test_a_complement_protects_the_cell():
    t = one_way("t", None, None, 50, 93)
    assert disclosed([t]) == []
    assert bounds([t]) == {("t", ("a",)): (1.0, 42.0), ("t", ("b",)): (1.0, 42.0)}


def test_suppressed_cells_are_known_to_be_at_least_one():
    # zeros are always published, so two hidden cells adding to 2 are both 1
    t = one_way("t", None, None, 0, 2)
    assert [d.cell for d in disclosed([t])] == [("a",), ("b",)]


def test_a_suppressed_total_leaves_the_cells_unbounded():
    t = one_way("t", None, 40, None)
    assert bounds([t]) == {("t", ("a",)): (1.0, math.inf), ("t", (T,)): (41.0, math.inf)}
    assert disclosed([t]) == []


def test_a_two_way_table_with_one_hidden_cell_in_a_row_gives_it_away():
    t = two_way("t", [[None, 12, 15], [20, 30, 50], [23, 42, 65]])
    assert disclosed([t]) == [Disclosure("t", ("r0", "k0"), 3.0, 3.0)]


def test_a_two_way_table_with_a_hidden_rectangle_is_safe():
    t = two_way("t", [[None, None, 15], [None, None, 50], [23, 42, 65]])
    assert disclosed([t]) == []
    assert bounds([t])[("t", ("r0", "k0"))] == (1.0, 14.0)


def test_disclosures_come_sorted_by_table_then_cell():
    tables = [one_way("z", None, 40, 43), one_way("y", 5, None, None, 0, 7)]
    found = [(d.table, d.cell) for d in disclosed(tables)]
    assert found == [("y", ("b",)), ("y", ("c",)), ("z", ("a",))]


# --------------------------------------------------------------------------- rounding


def test_rounded_margins_leave_the_cell_uncertain():
    # base 5: true counts 3, 20, 30 and 53 are published as [c], 20, 30, 55
    exact = one_way("t", None, 20, 30, 55)
    assert disclosed([exact]) == [Disclosure("t", ("a",), 5.0, 5.0)]
    rounded = one_way("t", None, 20, 30, 55, slack=(2, 2))
    assert disclosed([rounded]) == []
    # a = T - b - c with T in [53, 57], b in [18, 22], c in [28, 32], and a >= 1
    assert bounds([rounded]) == {("t", ("a",)): (1.0, 11.0)}


def test_base_ten_slack_is_asymmetric():
    # published 10 means 5..14; the hidden cell is total - 10
    t = one_way("t", None, 10, 20, slack=(5, 4))
    assert bounds([t]) == {("t", ("a",)): (1.0, 19.0)}


def test_rounded_zeros_stay_exact():
    # only the total is uncertain: the hidden cell equals it
    t = one_way("t", None, 0, 0, 5, slack=(2, 2))
    assert bounds([t]) == {("t", ("a",)): (3.0, 7.0)}
    assert disclosed([t]) == []


# --------------------------------------------------------------------------- linked tables


def _linked_pair(population_one: str, population_two: str, slack=(0, 0)):
    """A one-way table over k and a two-way table over (r, k), each safe alone: the
    one-way table hides k0 and k1 (total 5); the two-way table publishes the k0 total."""
    cells = {("k0",): None, ("k1",): None, (T,): 5}
    one = PublishedTable("one", ("k",), cells, population=population_one)
    two = two_way(
        "two",
        [[0, None, None], [4, 0, 4], [4, None, None]],
        dims=("r", "k"),
        population=population_two,
        slack=slack,
    )
    return one, two


def test_each_table_alone_discloses_nothing():
    one, two = _linked_pair("p", "p")
    assert disclosed([one]) == []
    assert disclosed([two]) == []


def test_tables_of_the_same_persons_are_attacked_together():
    one, two = _linked_pair("p", "p")
    found = {(d.table, d.cell): d.low for d in disclosed([one, two])}
    assert found[("one", ("k1",))] == 1  # 5 persons in all, 4 of them in k0
    assert found[("two", ("r0", "k1"))] == 1
    assert found[("two", (T, T))] == 5
    assert len(found) == 6  # every suppressed cell of both tables


def test_tables_of_different_populations_are_not_linked():
    assert disclosed(list(_linked_pair("p", "q"))) == []
    assert disclosed(list(_linked_pair("", ""))) == []


def test_rounding_in_the_linked_table_restores_the_doubt():
    one, two = _linked_pair("p", "p", slack=(2, 2))
    # the k0 total may be 2..6, so k1 is no longer known; the grand total, which the
    # one-way table publishes exactly, still is
    assert [(d.table, d.cell) for d in disclosed([one, two])] == [("two", (T, T))]


def test_two_way_tables_sharing_a_dimension_pool_their_bounds_on_its_totals():
    # each table alone keeps the k0 total open: a hides a 2x2 block (k0 total 2..10),
    # b publishes 9 under it and hides one more cell (k0 total 10..11); together, 10.
    a = two_way("a", [[None, None, 8], [None, None, 4], [None, None, 12]], population="p")
    b = two_way(
        "b", [[None, 0, None], [9, None, None], [None, None, 12]], ("s", "c"), population="p"
    )
    assert disclosed([a]) == [] and disclosed([b]) == []
    found = {(d.table, d.cell): d.low for d in disclosed([a, b])}
    assert found[("a", ("r0", "k1"))] == 1
    assert found[("a", (T, "k0"))] == found[("b", (T, "k0"))] == 10


def test_a_table_published_twice_with_different_suppressions_gives_itself_away():
    first = two_way("first", [[None, None, 15], [None, None, 50], [23, 42, 65]], population="p")
    second = two_way("second", [[3, None, None], [20, 30, 50], [23, None, None]], population="p")
    assert disclosed([first]) == [] and disclosed([second]) == []
    assert len(disclosed([first, second])) == 8


def test_tables_with_no_shared_dimension_share_their_grand_total():
    a = two_way("a", [[None, 12, None], [20, 30, 50], [None, 42, None]], population="p")
    b = one_way("b", 20, 45, 65, population="p")
    assert disclosed([a]) == []
    assert {d.cell for d in disclosed([a, b])} == {("r0", "k0"), ("r0", T), (T, "k0"), (T, T)}


# --------------------------------------------------------------------------- errors


def test_tables_that_do_not_add_up_are_named_without_their_values():
    with pytest.raises(ValueError, match=r"published table\(s\) t\.csv$") as err:
        disclosed([one_way("t.csv", 37, 41, 99)])
    assert not any(str(v) in str(err.value) for v in (37, 41, 99))


def test_hidden_cells_that_cannot_be_positive_are_inconsistent():
    with pytest.raises(ValueError, match=r"table\(s\) t$"):
        bounds([one_way("t", None, 41, 41)])


def test_linked_tables_that_disagree_are_both_named():
    a = one_way("a", 13, 29, 42, population="p")
    b = two_way("b", [[None, None, 15], [None, None, 30], [13, 32, 45]], population="p")
    with pytest.raises(ValueError, match=r"table\(s\) a, b$"):
        disclosed([a, b])


def test_rounded_tables_may_not_add_up_exactly():
    assert disclosed([one_way("t", 20, 30, 55, slack=(2, 2))]) == []
    with pytest.raises(ValueError, match="table"):
        disclosed([one_way("t", 20, 30, 60, slack=(2, 2))])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (PublishedTable("t", ("k",), {("a",): 3}), "no Total"),
        (PublishedTable("t", ("r", "c"), {("a", "x"): 3, (T, "x"): 3}), "no Total along c"),
        (
            PublishedTable("t", ("r", "c"), {("a", "x"): 3, (T, "x"): 3, (T, T): 3}),
            "missing",
        ),
        (PublishedTable("t", ("a", "b", "c"), {}), "one or two"),
        (PublishedTable("t", ("k",), {("a", "b"): 3, (T,): 3}), "labels"),
        (PublishedTable("t", ("k",), {("a",): -1, (T,): -1}), "whole numbers"),
        (PublishedTable("t", ("k",), {("a",): 1.5, (T,): 1.5}), "whole numbers"),
        (PublishedTable("t", ("k",), {("a",): 3, (T,): 3}, slack=(-1, 0)), "slack"),
    ],
)
def test_malformed_tables_are_refused(table, message):
    with pytest.raises(ValueError, match=message):
        disclosed([table])


def test_table_names_must_be_distinct():
    with pytest.raises(ValueError, match="distinct names"):
        disclosed([one_way("t", 3, 3), one_way("t", 4, 4)])


def test_linked_tables_must_list_the_same_levels():
    a = one_way("a", 13, 29, 42, population="p")
    b = one_way("b", 13, 29, 0, 42, population="p")
    with pytest.raises(ValueError, match="different levels of k"):
        disclosed([a, b])


# --------------------------------------------------------------------------- frames


def test_a_safe_tables_frame_reads_as_published():
    safe = protect_1d(pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 40, 50]}), "k", min_cell=10)
    t = from_frame("t", safe.frame, safe.dims, population="p")
    assert t.cells == {("a",): None, ("b",): None, ("c",): 50, (T,): 93}
    assert (t.dims, t.population, t.slack) == (("k",), "p", (0, 0))
    assert disclosed([t]) == []


def test_frames_with_repeated_or_missing_cells_are_refused():
    frame = pl.DataFrame({"k": ["a", "a", T], "n": [1, 1, 2]})
    with pytest.raises(ValueError, match="repeated"):
        from_frame("t", frame, ["k"])
    with pytest.raises(ValueError, match="lacks columns"):
        from_frame("t", frame.drop("n"), ["k"])
