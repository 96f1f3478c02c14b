"""The safe helpers for magnitudes, rates, survival and figures on tiny inline tables
with known answers, one behaviour each."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import polars as pl
import pytest
from IPython.core.formatters import DisplayFormatter
from lifelines import KaplanMeierFitter
from PIL import Image
from scipy.stats import binomtest

from enclave.disclosure import MARKER, TOTAL, checker, protect_1d, protect_2d, rules, safe
from enclave.disclosure.charts import (
    bar_chart,
    figure_of,
    histogram,
    rate_plot,
    survival_plot,
)
from enclave.disclosure.magnitude import magnitude_table, percentiles
from enclave.disclosure.rates import proportions
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.survival import survival_table
from enclave.governance.agreement import DisclosureRules


@dataclass(frozen=True)
class _Agreement:
    """Stands in for the agreement: the same rules whatever was read."""

    rules: DisclosureRules

    def strictest(self, parties):
        return self.rules


def in_force(**rule) -> DisclosureRules:
    """Put rules in force as if data of party "p" had been read."""
    applied = DisclosureRules(**rule)
    rules.note_read(_Agreement(applied), ["p"])
    return applied


def reason(table, **where) -> str:
    row = table.reasons.filter(*[pl.col(k) == v for k, v in where.items()])
    return row.item(0, "reason")


# --------------------------------------------------------------------------- magnitudes


def earnings() -> pl.DataFrame:
    """Quarterly earnings by region: in the north one employer pays most of it."""
    north = [("north", "big", 4000.0)] * 5 + [("north", f"n{i}", 100.0) for i in range(11)]
    south = [("south", f"s{i}", 300.0 + 10 * i) for i in range(1, 16)]
    east = [("east", f"e{i}", 500.0 + 20 * i) for i in range(1, 21)]
    return pl.DataFrame(north + south + east, schema=["region", "employer", "pay"], orient="row")


def test_a_dominant_employer_suppresses_its_region_with_the_reason():
    table = magnitude_table(earnings(), "region", "pay", contributor="employer", min_cell=10)
    assert table.frame.get_column("region").to_list() == ["north", "south", "east", TOTAL]
    assert table.frame.get_column("persons").to_list() == [12, 15, 20, 47]
    assert table.frame.get_column("sum").to_list() == [None, None, 14200.0, 41000.0]
    assert "dominance" in reason(table, region="north").split(",")
    # alone, north would be the Total less the others: the next smallest region goes too
    assert reason(table, region="south") == "secondary"
    assert table.certificate.rows[0] == ("north", 12, None)


def test_the_reasons_are_never_published():
    table = magnitude_table(earnings(), "region", "pay", contributor="employer", min_cell=10)
    shown = repr(table) + table._repr_html_() + str(table.certificate.rows)
    assert not any(code in shown for code in ("dominance", "p_percent", "secondary"))
    assert MARKER in repr(table)


def test_the_p_percent_rule_alone():
    in_force(min_cell=10, min_group=10, dominance_k=0.95, p_percent=0.2)
    # 100 and 80 of 195: dominance (0.92 <= 0.95) passes; 195 - 180 = 15 < 0.2 * 100
    rows = [("a", 100.0), ("a", 80.0)] + [("a", 1.5)] * 10 + [("b", 50.0 + i) for i in range(12)]
    rows += [("c", 40.0 + i) for i in range(12)]
    frame = pl.DataFrame(rows, schema=["k", "v"], orient="row")
    table = magnitude_table(frame, "k", "v")
    assert reason(table, k="a") == "p_percent"
    assert table.value("sum", k="a") is None
    assert table.rules["p_percent"] == 0.2 and table.rules["dominance_k"] == 0.95


def test_a_mean_over_two_persons_is_suppressed():
    rows = [("x", 100.0), ("x", 300.0)] + [("y", 10.0 * i) for i in range(1, 31)]
    rows += [("z", 7.0 * i) for i in range(1, 26)]
    frame = pl.DataFrame(rows, schema=["k", "v"], orient="row")
    table = magnitude_table(frame, "k", "v", stat="mean", min_cell=10)
    assert table.value("mean", k="x") is None and table.value("persons", k="x") is None
    assert "min_group" in reason(table, k="x")
    # its count needed a complement (z); a mean is published only beside its group size
    assert table.value("persons", k="z") is None and table.value("mean", k="z") is None
    assert table.value("mean", k="y") == pytest.approx(155.0)
    assert table.value("mean", k=TOTAL) == pytest.approx((400 + 4650 + 2275) / 57)


def test_a_mean_is_per_contributor_when_one_is_named():
    rows = [("a", f"p{i}", q, 100.0 + i) for i in range(12) for q in (1, 2)]
    frame = pl.DataFrame(rows, schema=["k", "pid", "quarter", "v"], orient="row")
    table = magnitude_table(frame, None, "v", contributor="pid", stat="mean", min_cell=10)
    assert table.dims == ("group",)
    assert table.frame.rows() == [(TOTAL, 12, pytest.approx(2 * 105.5))]


def test_a_mean_equal_to_every_value_is_suppressed():
    rows = [("a", 500.0)] * 12 + [("b", 10.0 * i) for i in range(12)]
    rows += [("c", 20.0 * i) for i in range(12)]
    frame = pl.DataFrame(rows, schema=["k", "v"], orient="row")
    table = magnitude_table(frame, "k", "v", stat="mean", min_cell=10)
    assert table.value("mean", k="a") is None
    assert reason(table, k="a") == "uniform"


def test_counts_that_rounding_would_make_small_are_suppressed():
    in_force(min_cell=11, min_group=11, rounding="base10")
    rows = [("a", float(i)) for i in range(12)] + [("b", float(i)) for i in range(40)]
    rows += [("c", float(i)) for i in range(33)]
    frame = pl.DataFrame(rows, schema=["k", "v"], orient="row")
    table = magnitude_table(frame, "k", "v")
    # 12 rounds to 10, below the minimum cell of 11
    assert table.frame.get_column("persons").to_list() == [None, 40, None, 90]
    assert table.rules["rounding"] == "base10"
    assert "rounding:base10" in table.passed


def test_min_cell_defaults_to_the_rules_in_force():
    with pytest.raises(DisclosureError, match="pass min_cell"):
        magnitude_table(earnings(), "region", "pay")
    in_force(min_cell=12, min_group=12)
    assert magnitude_table(earnings(), "region", "pay").min_cell == 12
    with pytest.raises(DisclosureError, match="below the agreement's"):
        magnitude_table(earnings(), "region", "pay", min_cell=10)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"stat": "max"}, "stat must be"),
        ({"value": "employer"}, "numeric"),
        ({"by": "nope"}, "lacks columns"),
    ],
)
def test_bad_requests_are_refused(change, message):
    args = {"by": "region", "value": "pay", "stat": "sum"} | change
    with pytest.raises(DisclosureError, match=message):
        magnitude_table(earnings(), args["by"], args["value"], stat=args["stat"], min_cell=10)


def test_a_group_named_total_is_refused():
    frame = pl.DataFrame({"k": [TOTAL] * 12, "v": [1.0] * 12})
    with pytest.raises(DisclosureError, match="may not be called"):
        magnitude_table(frame, "k", "v", min_cell=10)


@pytest.mark.parametrize("q", [0, 1, 0.0, 1.0, -0.5, 1.5])
def test_percentiles_refuse_the_exact_minimum_and_maximum(q):
    frame = pl.DataFrame({"v": [float(i) for i in range(50)]})
    with pytest.raises(DisclosureError, match="exact minimum and maximum"):
        percentiles(frame, None, "v", qs=(0.5, q), min_cell=10)


def test_percentiles_of_a_small_group_are_suppressed():
    rows = [("a", float(i)) for i in range(1, 41)] + [("b", float(i)) for i in range(5)]
    rows += [("c", float(i)) for i in range(30)]
    frame = pl.DataFrame(rows, schema=["k", "v"], orient="row")
    table = percentiles(frame, "k", "v", min_cell=10)
    assert table.frame.columns == ["k", "persons", "p25", "p50", "p75"]
    a = np.arange(1.0, 41.0)
    assert table.frame.row(0) == ("a", 40, *np.quantile(a, [0.25, 0.5, 0.75]).tolist())
    assert table.frame.row(1) == ("b", None, None, None, None)
    assert "min_group" in reason(table, k="b")
    assert table.frame.row(2) == ("c", None, None, None, None)  # its count hides b's


def test_a_percentile_tied_with_the_minimum_is_suppressed():
    frame = pl.DataFrame({"v": [0.0] * 10 + [float(i) for i in range(1, 11)]})
    table = percentiles(frame, None, "v", min_cell=10)
    assert table.frame.row(0) == (TOTAL, 20, None, 0.5, 5.25)
    assert reason(table, group=TOTAL) == "extreme"


# --------------------------------------------------------------------------- rates


def persons(groups: dict[str, tuple[int, int]]) -> pl.DataFrame:
    """One row per person: group -> (persons, events)."""
    rows = [(k, i < e) for k, (n, e) in groups.items() for i in range(n)]
    return pl.DataFrame(rows, schema=["k", "e"], orient="row")


def test_three_of_two_hundred_are_hidden_with_a_complement():
    frame = persons({"a": (200, 3), "b": (100, 50), "c": (120, 30)})
    table = proportions(frame, "k", "e", min_cell=10)
    assert table.frame.row(0) == ("a", 200, None, None, None, None)
    assert reason(table, k="a") == "few_events"
    # a's events would be the Total's less b's and c's: the smaller of those goes too
    assert table.frame.row(2)[2:] == (None, None, None, None)
    assert reason(table, k="c") == "secondary"
    ci = binomtest(50, 100).proportion_ci(confidence_level=0.95, method="wilson")
    assert table.frame.row(1) == ("b", 100, 50, 0.5, ci.low, ci.high)
    assert table.frame.row(3)[:3] == (TOTAL, 420, 83)


def test_all_but_three_is_as_small_as_three():
    frame = persons({"a": (200, 197), "b": (100, 50), "c": (120, 30)})
    table = proportions(frame, "k", "e", min_cell=10)
    assert table.value("share", k="a") is None
    assert reason(table, k="a") == "few_non_events"


def test_a_hundred_percent_of_five_is_not_published():
    in_force(min_cell=5, min_group=10)
    frame = persons({"a": (5, 5), "b": (50, 20), "c": (60, 30)})
    table = proportions(frame, "k", "e")
    assert table.frame.row(0) == ("a", 5, None, None, None, None)
    assert reason(table, k="a") == "min_group"
    assert table.value("events", k="b") is None  # the complement
    assert table.frame.row(3)[:3] == (TOTAL, 115, 55)


def test_zero_percent_of_a_large_group_is_published():
    frame = persons({"a": (50, 0), "b": (60, 30)})
    table = proportions(frame, "k", "e", min_cell=10)
    assert table.frame.row(0)[:4] == ("a", 50, 0, 0.0)


def test_shares_come_from_the_rounded_counts():
    in_force(min_cell=10, min_group=10, rounding="base5")
    frame = persons({"a": (123, 41), "b": (88, 30)})
    table = proportions(frame, None, "e", confidence=0.9)
    ci = binomtest(70, 210).proportion_ci(confidence_level=0.9, method="wilson")
    assert table.frame.row(0) == (TOTAL, 210, 70, 70 / 210, ci.low, ci.high)
    assert table.rules["confidence"] == 0.9


def test_events_must_be_boolean():
    frame = pl.DataFrame({"k": ["a"] * 20, "e": [1] * 20})
    with pytest.raises(DisclosureError, match="boolean"):
        proportions(frame, "k", "e", min_cell=10)


# --------------------------------------------------------------------------- survival


def follow_up(second: tuple[float, bool, int]) -> pl.DataFrame:
    """100 persons: 20 events at 1, then ``second`` (time, event, how many), 10 events at
    3, 15 censored at 4, events at 5 for all but 7, who are censored at 6."""
    time, event, count = second
    spans = [(1.0, True, 20), (time, event, count), (3.0, True, 10), (4.0, False, 15)]
    rest = 100 - sum(c for _, _, c in spans) - 7
    spans += [(5.0, True, rest), (6.0, False, 7)]
    rows = [(t, e) for t, e, c in spans for _ in range(c)]
    return pl.DataFrame(rows, schema=["days", "died"], orient="row")


TIMES = [1, 2, 3, 4, 5, 6]


STOPPED = ["at_risk_below_min_group"] * 2


@pytest.mark.parametrize(
    ("second", "why", "shown"),
    [
        # 3 events at 2: 2 merges into 3, whose step (13 events) is large enough
        ((2.0, True, 3), ["", "small_step", "", "", *STOPPED], [1.0, 3.0, 4.0]),
        # 3 censored at 2: they are still in 3's step, so 3 merges into 4 as well
        ((2.0, False, 3), ["", "small_step", "small_step", "", *STOPPED], [1.0, 4.0]),
    ],
)
def test_small_steps_merge_and_small_risk_sets_end_the_curve(second, why, shown):
    table = survival_table(follow_up(second), "days", "died", times=TIMES, min_cell=10)
    assert table.reasons.get_column("reason").to_list() == why
    published = table.frame.filter(pl.col("survival").is_not_null())
    assert published.get_column("time").to_list() == shown
    hidden = table.frame.filter(pl.col("survival").is_null()).drop("group", "time")
    assert all(v is None for row in hidden.rows() for v in row)


def test_published_points_are_lifelines_own_numbers():
    frame = follow_up((2.0, True, 3))
    table = survival_table(frame, "days", "died", times=TIMES, confidence=0.9, min_cell=10)
    kmf = KaplanMeierFitter(alpha=0.1).fit(frame["days"].to_numpy(), frame["died"].to_numpy())
    ci = kmf.confidence_interval_survival_function_
    for t in (1.0, 3.0, 4.0):
        _, _, at_risk, s, lower, upper = table.frame.filter(pl.col("time") == t).row(0)
        assert s == pytest.approx(kmf.survival_function_at_times([t]).iloc[0])
        assert (lower, upper) == pytest.approx(tuple(ci.loc[t]))
        # persons followed beyond t: lifelines' number at risk at its next event time
        after = kmf.event_table.loc[kmf.event_table.index > t, "at_risk"]
        assert at_risk == after.iloc[0] == (frame["days"] > t).sum()


def test_groups_get_their_own_curves_and_no_pooled_one():
    frame = pl.concat(
        [
            follow_up((2.0, True, 12)).with_columns(arm=pl.lit("a")),
            follow_up((2.0, True, 3)).with_columns(arm=pl.lit("b")),
        ]
    )
    table = survival_table(frame, "days", "died", by="arm", times=[1, 2, 3], min_cell=10)
    assert table.dims == ("arm", "time")
    assert table.frame.get_column("arm").unique(maintain_order=True).to_list() == ["a", "b"]
    assert table.value("survival", arm="a", time=2.0) == pytest.approx(0.68)
    assert table.value("survival", arm="b", time=2.0) is None


def test_at_risk_counts_are_rounded():
    in_force(min_cell=10, min_group=10, rounding="base5")
    table = survival_table(follow_up((2.0, True, 12)), "days", "died", times=[1, 2])
    assert table.frame.get_column("at_risk").to_list() == [80, 70]


def test_survival_refuses_negative_durations_and_bad_times():
    frame = pl.DataFrame({"d": [-1.0, 2.0], "e": [True, False]})
    with pytest.raises(DisclosureError, match="non-negative"):
        survival_table(frame, "d", "e", times=[1], min_cell=10)
    with pytest.raises(DisclosureError, match="times"):
        survival_table(follow_up((2.0, True, 3)), "days", "died", times=[], min_cell=10)


# --------------------------------------------------------------------------- figures


def pay(small: int) -> pl.DataFrame:
    values = [5.0] * 30 + [15.0] * small + [25.0] * 40 + [35.0] * 20
    return pl.DataFrame({"pay": values})


def heights(fig) -> list[float]:
    return [p.get_height() for p in fig.figure.axes[0].patches]


def test_suppressed_bins_are_never_drawn_at_their_height():
    fig = histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10)
    # 3 is small and 20 its complement: both are equal stubs, marked
    stub = 0.04 * 40
    assert heights(fig) == [30, stub, 40, stub]
    assert [t.get_text() for t in fig.figure.axes[0].texts] == [MARKER, MARKER]
    assert heights(histogram(pay(4), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10)) == (
        heights(fig)
    )
    assert "[10, 20), [30, 40]" in fig.alt


def test_a_bin_rounded_below_the_minimum_cell_is_suppressed():
    in_force(min_cell=11, min_group=11, rounding="base10")
    fig = histogram(pay(12), "pay", [0, 10, 20, 30, 40], xlabel="pay")
    # 12 rounds to 10, below 11: suppressed, with 20 as its complement
    assert fig.certificate.column("n") == [30, None, 40, None, 100]


def test_the_same_figure_gives_the_same_bytes(tmp_path):
    one = histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10, title="Pay")
    two = histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10, title="Pay")
    a, b, c = (
        one.save(tmp_path / "a.png"),
        one.save(tmp_path / "b.png"),
        two.save(tmp_path / "c.png"),
    )
    assert a.read_bytes() == b.read_bytes() == c.read_bytes() == one.png()
    one.close()


def test_the_certificate_travels_in_the_png(tmp_path):
    fig = histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10, title="Pay")
    path = fig.save(tmp_path / "pay.png")
    with Image.open(path) as image:
        cert = json.loads(image.text[safe.PNG_KEY])
    assert cert == fig.certificate.to_json()
    assert cert["kind"] == "figure" and "drawn_from_safe_outputs" in cert["passed"]
    assert cert["columns"] == ["source", "pay", "n"]
    assert cert["rows"][1] == ["Pay", "[10, 20)", None]
    with pytest.raises(DisclosureError, match="PNG"):
        fig.save(tmp_path / "pay.pdf")


def test_the_notebook_bundle_carries_image_alt_text_and_certificate():
    fig = histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10)
    bundle = fig._repr_mimebundle_()
    assert set(bundle) == {"image/png", "text/plain", safe.MIME}
    assert bundle["text/plain"] == fig.alt == repr(fig)
    assert bundle[safe.MIME] == fig.certificate.to_json()
    # and IPython adds no HTML table that a notebook would show instead of the image
    data, _ = DisplayFormatter().format(fig)
    assert set(data) == set(bundle)


def test_alt_text_gives_no_number_the_certificate_does_not():
    figures = [
        histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10, title="Pay"),
        rate_plot(proportions(persons({"a": (200, 3), "b": (100, 50)}), "k", "e", min_cell=10)),
        survival_plot(
            survival_table(follow_up((2.0, True, 3)), "days", "died", times=TIMES, min_cell=10)
        ),
    ]
    for fig in figures:
        words = {t.replace(",", "") for t in safe.NUMBER.findall(fig.alt)}
        assert words <= fig.certificate.tokens()


def test_figure_of_refuses_what_is_not_a_safe_output():
    from matplotlib.figure import Figure

    raw = pl.DataFrame({"k": ["a"], "n": [3]})
    with pytest.raises(DisclosureError, match="safe outputs only"):
        figure_of(Figure(), [raw], alt="a bar")
    with pytest.raises(DisclosureError, match="one or more"):
        figure_of(Figure(), [], alt="nothing")


def test_figure_of_takes_the_strictest_rules_of_its_sources():
    from matplotlib.figure import Figure

    counts = pl.DataFrame({"k": ["a", "b"], "n": [30, 40]})
    loose = protect_1d(counts, "k", min_cell=5, title="loose")
    strict = protect_1d(counts, "k", min_cell=20, title="strict")
    fig = figure_of(Figure(), [loose, strict], alt="two bar charts", title="both")
    cert = fig.certificate
    assert cert.rules["min_cell"] == 20 and cert.dims == ("source", "k")
    assert cert.rows[:3] == (("loose", "a", 30), ("loose", "b", 40), ("loose", TOTAL, 70))
    assert len(cert.rows) == 6


def test_bar_chart_draws_a_protected_one_way_table():
    table = protect_1d(pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 40, 50]}), "k", min_cell=10)
    fig = bar_chart(table, xlabel="k")
    assert heights(fig) == [0.04 * 50, 0.04 * 50, 50]
    assert fig.certificate.rows[-1] == ("source 1", TOTAL, 93)  # untitled: numbered
    frame = pl.DataFrame({"r": ["x", "y"], "c": ["p", "p"], "n": [30, 40]})
    for wrong in (protect_2d(frame, "r", "c", min_cell=10), frame):
        with pytest.raises(DisclosureError, match="one-way SafeTable"):
            bar_chart(wrong, xlabel="k")


def test_survival_plot_draws_only_published_points():
    table = survival_table(follow_up((2.0, True, 3)), "days", "died", times=TIMES, min_cell=10)
    fig = survival_plot(table)
    (line,) = fig.figure.axes[0].lines
    assert list(line.get_xdata()) == [1.0, 3.0, 4.0]
    assert list(line.get_ydata()) == table.frame.get_column("survival").drop_nulls().to_list()


def test_rate_plot_marks_suppressed_groups_without_a_point():
    table = proportions(
        persons({"a": (200, 3), "b": (100, 50), "c": (120, 30)}), "k", "e", min_cell=10
    )
    fig = rate_plot(table)
    ax = fig.figure.axes[0]
    assert [t.get_text() for t in ax.texts] == [MARKER, MARKER]
    points = [tuple(line.get_xydata()[0]) for line in ax.lines if line.get_marker() == "o"]
    assert points == [(1.0, 0.5), (3.0, 83 / 420)]
    assert "Suppressed, marked [c] with no point: a, c." in fig.alt


def test_the_output_checker_passes_what_the_helpers_publish(tmp_path):
    magnitude_table(earnings(), "region", "pay", contributor="employer", min_cell=10).write_csv(
        tmp_path / "pay.csv"
    )
    proportions(persons({"a": (200, 3), "b": (100, 50)}), "k", "e", min_cell=10).write_csv(
        tmp_path / "rates.csv"
    )
    table = survival_table(follow_up((2.0, True, 3)), "days", "died", times=TIMES, min_cell=10)
    table.write_csv(tmp_path / "survival.csv")
    survival_plot(table).save(tmp_path / "survival.png")
    histogram(pay(3), "pay", [0, 10, 20, 30, 40], xlabel="pay", min_cell=10).save(
        tmp_path / "pay.png"
    )
    report = checker.check(tmp_path, DisclosureRules(min_cell=10, min_group=10))
    assert report.findings == []
    assert len(report.certificates) == 5
