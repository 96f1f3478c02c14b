"""Pairwise metrics by cluster-size counting equal brute-force pair enumeration."""

from __future__ import annotations

import itertools

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage.evaluate import bcubed, by_agency_pair, cluster_metrics, pairwise


@st.composite
def labelled(draw):
    n = draw(st.integers(2, 40))
    key = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    pid = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    agency = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    return pl.DataFrame(
        {
            "record_key": [f"r{i}" for i in range(n)],
            "person_key": [f"P{k}" for k in key],
            "person_id": pid,
            "agency": agency,
        }
    )


def _brute(frame: pl.DataFrame, keep=lambda a, b: True) -> tuple[int, int, int]:
    tp = pp = tt = 0
    for a, b in itertools.combinations(frame.iter_rows(named=True), 2):
        if not keep(a, b):
            continue
        same_key, same_pid = a["person_key"] == b["person_key"], a["person_id"] == b["person_id"]
        tp += same_key and same_pid
        pp += same_key
        tt += same_pid
    return tp, pp, tt


@settings(max_examples=100, deadline=None)
@given(labelled())
def test_pairwise_counts_match_brute_force(frame):
    tp, pp, tt = _brute(frame)
    got = pairwise(frame)
    assert (got["predicted_pairs"], got["true_pairs"]) == (pp, tt)
    assert got["precision"] == round(tp / pp if pp else 1.0, 6)
    assert got["recall"] == round(tp / tt if tt else 1.0, 6)


@settings(max_examples=50, deadline=None)
@given(labelled())
def test_agency_pair_counts_match_brute_force(frame):
    got = by_agency_pair(frame)
    for name, metrics in got.items():
        a, b = name.split("-")
        pair = {a, b}
        tp, pp, tt = _brute(frame, lambda x, y, pair=pair: {x["agency"], y["agency"]} == pair)
        assert (metrics["predicted_pairs"], metrics["true_pairs"]) == (pp, tt)
        assert metrics["precision"] == round(tp / pp if pp else 1.0, 6)
        assert metrics["recall"] == round(tp / tt if tt else 1.0, 6)


def test_cluster_metrics_count_exact_clusters():
    frame = pl.DataFrame(
        {
            "record_key": ["1", "2", "3", "4", "5"],
            "person_key": ["A", "A", "B", "C", "C"],
            "person_id": [1, 1, 2, 2, 3],
        }
    )
    got = cluster_metrics(frame)
    # A == {1,2} exactly; B and C mix person 2; C holds person 3 too
    assert (got["predicted_clusters"], got["true_persons"]) == (3, 3)
    assert got["precision"] == round(1 / 3, 6) and got["recall"] == round(1 / 3, 6)


@settings(max_examples=100, deadline=None)
@given(labelled())
def test_bcubed_matches_its_per_record_definition(frame):
    rows = list(frame.iter_rows(named=True))
    precision = recall = 0.0
    for r in rows:
        cluster = [x for x in rows if x["person_key"] == r["person_key"]]
        person = [x for x in rows if x["person_id"] == r["person_id"]]
        both = [x for x in cluster if x["person_id"] == r["person_id"]]
        precision += len(both) / len(cluster)
        recall += len(both) / len(person)
    got = bcubed(frame)
    # both sides rounded to 6 places after summing in different orders
    assert got["precision"] == pytest.approx(precision / len(rows), abs=1e-6)
    assert got["recall"] == pytest.approx(recall / len(rows), abs=1e-6)


def test_bcubed_counts_a_stray_record_not_its_whole_person():
    # person 1 has four records, one split off alone: exact clusters 1 of 2 right, but
    # per record: precision 1 everywhere, recall 3/4 for three records and 1/4 for one
    frame = pl.DataFrame(
        {"person_key": ["A", "A", "A", "B"], "person_id": [1, 1, 1, 1], "record_key": list("wxyz")}
    )
    assert bcubed(frame)["precision"] == 1.0
    assert bcubed(frame)["recall"] == pytest.approx((3 * 0.75 + 0.25) / 4)
    assert cluster_metrics(frame)["recall"] == 0.0


@settings(max_examples=50, deadline=None)
@given(labelled())
def test_bcubed_on_counted_cells_equals_bcubed_on_records(frame):
    cells = frame.group_by("person_key", "person_id").agg(pl.len().alias("n"))
    got, want = bcubed(cells, weight="n"), bcubed(frame)
    assert got == pytest.approx(want, abs=2e-6)  # rounded after sums in another order
