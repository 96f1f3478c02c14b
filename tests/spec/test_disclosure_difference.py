"""share_difference: two groups' shares, their difference and its Newcombe interval,
from the published counts only, and nothing a small group would reveal."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.disclosure import DisclosureError, checker, share_difference
from enclave.disclosure.rates import difference_label, newcombe
from enclave.governance.agreement import DisclosureRules


def _groups(a: tuple[int, int], b: tuple[int, int]) -> pl.DataFrame:
    """Persons of groups a and b: (events, persons) each."""
    rows = []
    for name, (k, n) in (("a", a), ("b", b)):
        rows += [(name, True)] * k + [(name, False)] * (n - k)
    return pl.DataFrame(rows, schema={"g": pl.String, "e": pl.Boolean}, orient="row")


def _difference(table) -> dict:
    return table.frame.filter(pl.col("g") == difference_label("a", "b")).row(0, named=True)


def test_newcombes_own_example():
    """Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 against 48/80,
    difference 0.2000 with the method-10 interval 0.0524 to 0.3339."""
    row = _difference(share_difference(_groups((56, 70), (48, 80)), "g", "e", group="a",
                                       reference="b", min_cell=5))  # fmt: skip
    assert row["share"] == pytest.approx(0.2)
    assert (round(row["lower"], 4), round(row["upper"], 4)) == (0.0524, 0.3339)
    assert row["persons"] == 150 and row["events"] is None


def test_a_small_group_hides_the_difference():
    """Five of twelve in b: b's events are a small cell, so b's share and the difference
    are suppressed (the difference and a's share would give b's)."""
    table = share_difference(_groups((40, 100), (5, 12)), "g", "e", group="a", reference="b",
                             min_cell=11)  # fmt: skip
    row = _difference(table)
    assert row["share"] is None and row["lower"] is None and row["persons"] is None
    assert table.value("share", g="b") is None


def test_an_unknown_group_is_an_error():
    with pytest.raises(DisclosureError, match="no group 'c'"):
        share_difference(
            _groups((40, 100), (30, 100)), "g", "e", group="c", reference="b", min_cell=11
        )


def test_the_checker_passes_a_difference_table(tmp_path):
    table = share_difference(_groups((40, 100), (30, 100)), "g", "e", group="a", reference="b",
                             min_cell=11)  # fmt: skip
    table.write_csv(tmp_path / "tables" / "difference.csv")
    report = checker.check(tmp_path, DisclosureRules(min_cell=11, min_group=11))
    assert report.passed, [str(f) for f in report.findings]


@settings(max_examples=200, deadline=None)
@given(k1=st.integers(0, 60), n1=st.integers(1, 60), k2=st.integers(0, 60), n2=st.integers(1, 60))
def test_the_interval_holds_the_difference_within_minus_one_to_one(k1, n1, k2, n2):
    from enclave.disclosure.rates import _wilson

    k1, k2 = min(k1, n1), min(k2, n2)
    a = (k1 / n1, *_wilson(k1, n1, 0.95))
    b = (k2 / n2, *_wilson(k2, n2, 0.95))
    d, low, high = newcombe(a, b)
    assert -1.0 <= low <= d <= high <= 1.0


def test_overlapping_groups_publish_no_total():
    """Settings of a sensitivity analysis count the same persons: no pooled Total."""
    from enclave.disclosure import proportions

    table = proportions(_groups((40, 100), (30, 100)), "g", "e", total=False, min_cell=11)
    assert table.frame.get_column("g").to_list() == ["a", "b"]
    assert table.reasons.get_column("g").to_list() == ["a", "b"]


# ------------------------------------------------------------ a difference of means


def _values(a: list[float], b: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"g": ["a"] * len(a) + ["b"] * len(b), "v": a + b})


def test_mean_difference_from_the_published_means_and_intervals():
    """The difference row: a's mean minus b's, the half-width the root of the sum of the
    squared published half-widths, persons both groups'."""
    from enclave.disclosure import mean_difference

    a, b = [1.0, 0.5, 0.75, 0.25] * 10, [0.0, 0.25, 0.5, 0.25] * 12
    table = mean_difference(_values(a, b), "g", "v", group="a", reference="b", min_cell=11)
    rows = {r["g"]: r for r in table.frame.iter_rows(named=True)}
    row, ra, rb = rows[difference_label("a", "b")], rows["a"], rows["b"]
    assert row["mean"] == pytest.approx(sum(a) / len(a) - sum(b) / len(b))
    half = ((ra["upper"] - ra["mean"]) ** 2 + (rb["upper"] - rb["mean"]) ** 2) ** 0.5
    assert (row["lower"], row["upper"]) == pytest.approx((row["mean"] - half, row["mean"] + half))
    assert row["persons"] == 88 and "difference_from_published_means" in table.passed


def test_a_small_group_hides_the_mean_difference(tmp_path):
    """Five values in b: b's mean is suppressed, and so is the difference; the checker
    passes the table."""
    from enclave.disclosure import mean_difference

    table = mean_difference(_values([0.5, 1.0] * 20, [0.0, 0.25, 0.5, 0.75, 1.0]), "g", "v",
                            group="a", reference="b", min_cell=11)  # fmt: skip
    row = table.frame.filter(pl.col("g") == difference_label("a", "b")).row(0, named=True)
    assert row["mean"] is None and row["lower"] is None and row["persons"] is None
    with pytest.raises(DisclosureError):
        mean_difference(_values([0.5] * 20, [0.0] * 20), "g", "v", group="a", reference="c",
                        min_cell=11)  # fmt: skip
    table.write_csv(tmp_path / "tables" / "mean_difference.csv")
    report = checker.check(tmp_path, DisclosureRules(min_cell=11, min_group=11))
    assert report.passed, [str(f) for f in report.findings]
