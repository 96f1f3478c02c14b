"""Invariants of the safe helpers for magnitudes, rates, survival and figures
(Hypothesis), checked against counts made here from the raw rows:

- no published count lies in (0, min_cell), and every one is rounded as the rules say;
- no statistic is published for a group of fewer than min_group persons, nor without
  its group size beside it;
- a published sum passes the dominance and p% rules, and a suppressed sum or events
  count never stands alone against a published Total;
- a survival point is published only with min_group at risk, and between published
  points events and censorings are each 0 or at least min_cell;
- certificate rows are exactly what is shown;
- no safe object can be built by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.disclosure import TOTAL, rules, safe
from enclave.disclosure.charts import SafeFigure, bar_chart, figure_of, rate_plot
from enclave.disclosure.magnitude import SafeMagnitude, magnitude_table, percentiles
from enclave.disclosure.rates import SafeRates, proportions
from enclave.disclosure.rounding import BASE
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.survival import SafeSurvival, survival_table
from enclave.governance.agreement import ROUNDING_ORDER, DisclosureRules


@dataclass(frozen=True)
class _Agreement:
    rules: DisclosureRules

    def strictest(self, parties):
        return self.rules


@st.composite
def rule_sets(draw) -> DisclosureRules:
    min_cell = draw(st.integers(2, 12))
    return DisclosureRules(
        min_cell=min_cell,
        min_group=draw(st.integers(1, 15)) if draw(st.booleans()) else min_cell,
        rounding=draw(st.sampled_from(ROUNDING_ORDER)),
        dominance_n=draw(st.integers(1, 3)),
        dominance_k=draw(st.sampled_from([0.6, 0.8, 0.9])),
        p_percent=draw(st.sampled_from([0.05, 0.1, 0.2])),
    )


def put_in_force(applied: DisclosureRules) -> None:
    rules.reset()
    rules.note_read(_Agreement(applied), ["p"])


groups = st.sampled_from(["a", "b", "c", "d"])
seeds = st.integers(0, 2**32 - 1)


@st.composite
def seeded_rows(draw) -> list[tuple[str, int, int]]:
    """Larger groups, drawn from a seeded generator, so that some values get published;
    sometimes one contribution dominates its group."""
    rng = np.random.default_rng(draw(seeds))
    out = []
    for group in "abcd":
        n = draw(st.integers(0, 60))
        who = rng.integers(0, draw(st.integers(1, 80)), n)
        values = np.round(rng.gamma(draw(st.sampled_from([0.5, 2.0, 8.0])), 100, n))
        if n and draw(st.booleans()):
            values[0] *= draw(st.sampled_from([10, 100]))
        out += [(group, int(w), int(v)) for w, v in zip(who, values, strict=True)]
    return out or [("a", 0, 1)]


@st.composite
def seeded_events(draw) -> list[tuple[str, bool]]:
    rng = np.random.default_rng(draw(seeds))
    out = []
    for group in "abcd":
        n = draw(st.integers(0, 120))
        p = draw(st.sampled_from([0.0, 0.02, 0.1, 0.5, 0.9, 0.98, 1.0]))
        out += [(group, bool(e)) for e in rng.random(n) < p]
    return out or [("a", True)]


@st.composite
def seeded_durations(draw) -> list[tuple[str, int, bool]]:
    rng = np.random.default_rng(draw(seeds))
    out = []
    for arm in "ab":
        n = draw(st.integers(0, 150))
        days = rng.integers(0, draw(st.integers(1, 12)) + 1, n)
        died = rng.random(n) < draw(st.sampled_from([0.2, 0.6, 0.95]))
        out += [(arm, int(d), bool(e)) for d, e in zip(days, died, strict=True)]
    return out or [("a", 1, True)]


small_rows = st.lists(
    st.tuples(groups, st.integers(0, 30), st.integers(0, 500)), min_size=1, max_size=150
)
rows = st.one_of(small_rows, seeded_rows())
events = st.one_of(
    st.lists(st.tuples(groups, st.booleans()), min_size=1, max_size=250), seeded_events()
)
durations = st.one_of(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 12), st.booleans()),
        min_size=1,
        max_size=200,
    ),
    seeded_durations(),
)


def assert_counts_safe(values, applied: DisclosureRules) -> None:
    for v in values:
        if v is not None:
            assert v == 0 or v >= applied.min_cell, "a small count was published"
            assert v % BASE[applied.rounding] == 0, "a count was not rounded"


def assert_shown_is_certified(output) -> None:
    cert = output.certificate
    assert cert.rows == tuple(output.frame.rows())
    assert cert.columns == tuple(output.frame.columns)
    shown = safe.NUMBER.findall(repr(output))
    assert {t.replace(",", "") for t in shown} <= cert.tokens()


def assert_not_alone(hidden: list[bool]) -> None:
    """Cells that add up to a Total (the last): one hidden cell alone would follow."""
    if len(hidden) > 1:
        assert sum(hidden) != 1, "a suppressed cell follows from the Total"


def true_groups(frame: pl.DataFrame, by: str) -> dict[str, pl.DataFrame]:
    parts = {k: g for (k,), g in frame.group_by(by)}
    return parts | {TOTAL: frame.with_columns(pl.lit(TOTAL).alias(by))}


@settings(max_examples=60, deadline=None)
@given(rule_sets(), rows, st.sampled_from(["sum", "mean"]), st.booleans())
def test_magnitudes(applied, data, stat, by_contributor):
    put_in_force(applied)
    frame = pl.DataFrame(data, schema=["k", "who", "v"], orient="row").with_columns(
        pl.col("v").cast(pl.Float64)
    )
    contributor = "who" if by_contributor else None
    table = magnitude_table(frame, "k", "v", contributor=contributor, stat=stat)
    assert_shown_is_certified(table)
    assert_counts_safe(table.frame.get_column("persons").to_list(), applied)
    parts = true_groups(frame, "k")
    floor = max(applied.min_group, applied.min_cell)
    for label, n_shown, value in table.frame.rows():
        if value is None:
            continue
        part = parts[label]
        who = part.get_column("who") if contributor else pl.Series(range(part.height))
        contrib = (
            part.with_columns(who.alias("_c")).group_by("_c").agg(pl.col("v").sum())["v"]
        ).to_numpy()
        assert n_shown is not None and contrib.size >= floor
        size = np.sort(np.abs(contrib))[::-1]
        total = size.sum()
        assert size[: applied.dominance_n].sum() <= applied.dominance_k * total
        assert total - size[:2].sum() >= applied.p_percent * size[0]
        assert contrib.min() < contrib.max()
        expected = contrib.sum() if stat == "sum" else contrib.mean()
        assert value == pytest.approx(expected)
    assert_not_alone([v is None for v in table.frame.get_column(stat).to_list()])


@settings(max_examples=40, deadline=None)
@given(rule_sets(), rows)
def test_percentiles(applied, data):
    put_in_force(applied)
    frame = pl.DataFrame(data, schema=["k", "who", "v"], orient="row")
    table = percentiles(frame, "k", "v", qs=(0.1, 0.5, 0.9))
    assert_shown_is_certified(table)
    assert_counts_safe(table.frame.get_column("persons").to_list(), applied)
    parts = true_groups(frame, "k")
    for label, n_shown, *values in table.frame.rows():
        part = parts[label].get_column("v")
        for v in values:
            if v is not None:
                assert n_shown is not None
                assert part.len() >= max(applied.min_group, applied.min_cell)
                assert part.min() < v < part.max()


@settings(max_examples=60, deadline=None)
@given(rule_sets(), events, st.sampled_from([0.9, 0.95]))
def test_rates(applied, data, confidence):
    put_in_force(applied)
    frame = pl.DataFrame(data, schema=["k", "e"], orient="row")
    table = proportions(frame, "k", "e", confidence=confidence)
    assert_shown_is_certified(table)
    published = table.frame
    assert_counts_safe(published.get_column("persons").to_list(), applied)
    assert_counts_safe(published.get_column("events").to_list(), applied)
    parts = true_groups(frame, "k")
    for label, n, e, share, lower, upper in published.rows():
        assert (e is None) == (share is None) == (lower is None) == (upper is None)
        if share is None:
            continue
        true_n = parts[label].height
        true_e = int(parts[label].get_column("e").sum())
        assert n is not None and true_n >= max(applied.min_group, applied.min_cell)
        for count in (true_e, true_n - true_e):
            assert count == 0 or count >= applied.min_cell
        assert share == pytest.approx(e / n) and e <= n
        assert lower - 1e-12 <= share <= upper + 1e-12
    assert_not_alone([e is None for e in published.get_column("events").to_list()])


@settings(max_examples=30, deadline=None)
@given(rule_sets(), durations, st.lists(st.integers(0, 12), min_size=1, max_size=5))
def test_survival(applied, data, times):
    put_in_force(applied)
    frame = pl.DataFrame(data, schema=["arm", "days", "died"], orient="row")
    table = survival_table(frame, "days", "died", by="arm", times=times)
    assert_shown_is_certified(table)
    assert_counts_safe(table.frame.get_column("at_risk").to_list(), applied)
    for (arm,), points in table.frame.group_by("arm"):
        part = frame.filter(pl.col("arm") == arm)
        days, died = part.get_column("days").to_numpy(), part.get_column("died").to_numpy()
        last = -1.0
        for _, t, at_risk, s, *_ in points.sort("time").rows():
            if s is None:
                assert at_risk is None
                continue
            assert (days > t).sum() >= max(applied.min_group, applied.min_cell)
            step = (days > last) & (days <= t)
            for count in ((step & died).sum(), (step & ~died).sum()):
                assert count == 0 or count >= applied.min_cell, "a small step was published"
            last = t


@settings(max_examples=20, deadline=None)
@given(rule_sets(), events)
def test_figure_certificates_are_their_sources_rows(applied, data):
    put_in_force(applied)
    frame = pl.DataFrame(data, schema=["k", "e"], orient="row")
    table = proportions(frame, "k", "e")
    fig = rate_plot(table)
    cert = fig.certificate
    assert tuple(r[1:] for r in cert.rows) == table.certificate.rows
    assert cert.columns == ("source", *table.certificate.columns)
    assert cert.rules["min_cell"] == applied.min_cell
    fig.close()


def _by_hand():
    frame = pl.DataFrame({"k": ["a"], "persons": [30]})
    cert = safe.Certificate("figure", "", (), (), (), {}, ())
    from matplotlib.figure import Figure

    return [
        lambda token: SafeMagnitude(frame, ("k",), 10, token=token),
        lambda token: SafeRates(frame, ("k",), 10, token=token),
        lambda token: SafeSurvival(frame, ("k",), 10, token=token),
        lambda token: SafeFigure(Figure(), cert, "alt", token),
    ]


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(range(4)), st.sampled_from([None, object(), "token", 0]))
def test_safe_outputs_cannot_be_built_by_hand(which, token):
    with pytest.raises(DisclosureError, match="never by hand"):
        _by_hand()[which](token)


def test_helpers_do_build_them():
    frame = pl.DataFrame({"k": ["a", "b"], "n": [30, 40]})
    from enclave.disclosure import protect_1d

    fig = bar_chart(protect_1d(frame, "k", min_cell=10), xlabel="k")
    assert isinstance(fig, SafeFigure)
    with pytest.raises(DisclosureError):
        figure_of(fig.figure, [frame], alt="raw counts")
