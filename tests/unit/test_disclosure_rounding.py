"""Rounding of published counts, and safe tables that only the helpers can make."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.disclosure import SafeTable, protect_1d, protect_2d, rounding, rules
from enclave.disclosure.rules import DisclosureError

COUNTS = pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 42, 57]})


@pytest.mark.parametrize(
    ("rule", "given_", "expected"),
    [
        ("base5", [0, 1, 2, 3, 12, 13, 42, 57], [0, 5, 5, 5, 10, 15, 40, 55]),
        ("base10", [0, 1, 4, 5, 14, 15, 42, 57], [0, 10, 10, 10, 10, 20, 40, 60]),
        ("none", [0, 1, 42], [0, 1, 42]),
    ],
)
def test_conventional_rounding_known_answers(rule, given_, expected):
    keys = [str(i) for i in range(len(given_))]
    assert rounding.round_counts(np.array(given_), rule, keys).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.text(max_size=12))
def test_random_rounding_is_stable_unbiased_in_range_and_never_zero(value, key):
    once = rounding.round_counts(np.array([value]), "random3", [key])[0]
    again = rounding.round_counts(np.array([value]), "random3", [key])[0]
    assert once == again, "the same cell must round the same way every time"
    assert once % 3 == 0
    low, high = rounding.SLACK["random3"]
    if value:
        assert once > 0 and value - high <= once <= value + low + 1
    else:
        assert once == 0


def test_random_rounding_goes_both_ways_over_cells():
    values = np.full(300, 10)
    out = rounding.round_counts(values, "random3", [f"cell{i}" for i in range(300)])
    ups = int((out == 12).sum())
    assert set(out.tolist()) == {9, 12}
    assert 60 < ups < 140  # about a third round up (10 is 1 above 9)


def test_protected_tables_round_after_suppression():
    t = protect_1d(COUNTS, "k", min_cell=10, rounding="base5")
    assert t.frame.get_column("n").to_list() == [None, None, 55, 100]
    assert "rounding:base5" in t.passed
    assert "rounded to the nearest 5" in t._repr_html_()


def test_linked_tables_round_their_shared_cells_alike():
    counts = pl.DataFrame(
        {"r": ["a", "a", "b", "b"], "c": ["x", "y", "x", "y"], "n": [13, 41, 31, 32]}
    )
    margin = counts.group_by("c").agg(pl.col("n").sum())
    one = protect_1d(
        margin, "c", min_cell=10, levels=["x", "y"], rounding="random3", population="p"
    )
    two = protect_2d(
        counts, "r", "c", min_cell=10, col_margins=one, rounding="random3", population="p"
    )
    assert two.margin("c").frame.get_column("n").to_list() == one.frame.get_column("n").to_list()


def test_a_rounding_weaker_than_the_agreement_is_refused():
    class Terms:
        def strictest(self, parties):
            from enclave.governance.agreement import DisclosureRules

            return DisclosureRules(min_cell=10, rounding="base10")

    rules.note_read(Terms(), ["idoc"])
    with pytest.raises(DisclosureError, match="weaker than the agreement's 'base10'"):
        protect_1d(COUNTS, "k", min_cell=10, rounding="base5")
    assert protect_1d(COUNTS, "k", min_cell=10).rules["rounding"] == "base10"


def test_a_safe_table_cannot_be_built_by_hand():
    t = protect_1d(COUNTS, "k", min_cell=10)
    with pytest.raises(DisclosureError, match="built only by the disclosure helpers"):
        SafeTable(t.frame.with_columns(n=pl.lit(3)), t.dims, 1, "forged")
    with pytest.raises(DisclosureError):
        dataclasses.replace(t, token=None)


def test_a_derived_table_keeps_its_rows():
    t = protect_1d(COUNTS, "k", min_cell=10)
    assert t.derive(t.frame.reverse()).frame.height == t.frame.height
    with pytest.raises(DisclosureError, match="must keep its rows"):
        t.derive(t.frame.with_columns(n=pl.lit(3, dtype=pl.Int64)))


def test_rounding_never_shows_a_count_below_the_minimum_cell():
    # base 10 would show 11 to 14 as 10, below a minimum cell of 11
    t = protect_1d(
        pl.DataFrame({"k": ["a", "b", "c"], "n": [12, 40, 57]}), "k", min_cell=11, rounding="base10"
    )
    shown = [v for v in t.frame.get_column("n").to_list() if v is not None]
    assert all(v == 0 or v >= 11 for v in shown)
    assert t.value(k="a") is None
