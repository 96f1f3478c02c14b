"""The minimum-cell rule on tiny tables with known answers, one behaviour each."""

from __future__ import annotations

import polars as pl
import pytest

from enclave.disclosure import MARKER, TOTAL, protect_1d, protect_2d
from enclave.disclosure.suppression import DisclosureError


def one_way(counts: list[int], min_cell: int = 10):
    frame = pl.DataFrame({"k": [f"k{i}" for i in range(len(counts))], "n": counts})
    return protect_1d(frame, "k", min_cell=min_cell)


def ns(table) -> list[int | None]:
    return table.frame.get_column("n").to_list()


def test_nothing_small_nothing_suppressed():
    assert ns(one_way([10, 25, 40])) == [10, 25, 40, 75]


def test_zero_is_published():
    assert ns(one_way([0, 25, 40])) == [0, 25, 40, 65]


def test_one_small_cell_takes_the_next_smallest_with_it():
    assert ns(one_way([3, 40, 25])) == [None, 40, None, 68]


def test_two_small_cells_protect_each_other():
    assert ns(one_way([3, 4, 40])) == [None, None, 40, 47]


def test_cells_of_one_are_not_protected_by_each_other():
    # 1 + 1 = 2 with both at least 1: each is known to be 1, so a third cell goes
    assert ns(one_way([1, 1, 30, 50])) == [None, None, None, 50, 82]


def test_small_total_is_suppressed():
    assert ns(one_way([2, 3])) == [None, None, None]


def test_only_other_cells_zero_suppresses_the_total():
    assert ns(one_way([4, 0, 0])) == [None, 0, 0, None]


def test_missing_levels_are_zero_cells_in_level_order():
    frame = pl.DataFrame({"k": ["b"], "n": [30]})
    table = protect_1d(frame, "k", min_cell=10, levels=["a", "b"])
    assert table.frame.get_column("k").to_list() == ["a", "b", TOTAL]
    assert ns(table) == [0, 30, 30]


def test_two_way_small_cell_gets_row_and_column_complements():
    frame = pl.DataFrame(
        {"r": ["x", "x", "y", "y"], "c": ["p", "q", "p", "q"], "n": [3, 20, 30, 40]}
    )
    table = protect_2d(frame, "r", "c", min_cell=10)
    wide = table.display()
    assert wide.columns == ["r", "p", "q", TOTAL]
    # the small cell, its row partner, its column partner and the fourth corner
    assert wide.row(0) == ("x", MARKER, MARKER, "23")
    assert wide.row(1) == ("y", MARKER, MARKER, "70")
    assert wide.row(2) == (TOTAL, "33", "60", "93")


def test_value_and_display_of_suppressed_cell():
    table = one_way([3, 40, 25])
    assert table.value(k="k0") is None
    assert table.value(k="k1") == 40
    assert table.display().get_column("n").to_list() == [MARKER, "40", MARKER, "68"]
    assert 'class="count">[c]<' in table._repr_html_()


def test_csv_leaves_suppressed_counts_empty(tmp_path):
    path = one_way([3, 40, 25]).write_csv(tmp_path / "t.csv")
    assert path.read_text().splitlines() == [
        "k,n,suppressed",
        "k0,,true",
        "k1,40,false",
        "k2,,true",
        f"{TOTAL},68,false",
    ]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"k": ["a"], "n": [-1]}), "non-negative"),
        (pl.DataFrame({"k": ["a", "a"], "n": [1, 2]}), "repeated cells"),
        (pl.DataFrame({"k": ["a"]}), "lacks columns"),
    ],
)
def test_bad_count_tables_are_refused(frame, message):
    with pytest.raises(DisclosureError, match=message):
        protect_1d(frame, "k", min_cell=10)
