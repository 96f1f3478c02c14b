"""Resolvable components and the metrics against them, on random tables: the star
edges connect what the pairwise definition connects (networkx oracle), and the metrics
behave as the definition says."""

from __future__ import annotations

import itertools
from datetime import date

import networkx as nx
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage.evaluate import (
    cluster_metrics,
    resolvable_cluster_metrics,
    resolvable_components,
    strong_identifiers,
)

# valid numbers, two ending alike; an ITIN-range and a never-issued number (both null
# once standardised); partial numbers, one matching the shared ending
SSNS = [None, None, "212345678", "313455678", "414569999", "912345678", "000125678"]
LAST4 = [None, None, None, "5678", "9999", "1234", ""]
DOBS = [None, None, date(1990, 4, 1), date(1985, 12, 31), date(2001, 1, 9)]


@st.composite
def records(draw):
    n = draw(st.integers(0, 30))

    def column(values):
        return draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))

    return pl.DataFrame(
        {
            "record_key": [f"r{i}" for i in range(n)],
            "person_id": column([0, 1, 2, 3]),
            "ssn": column(SSNS),
            "ssn_last4": column(LAST4),
            "dob": column(DOBS),
            "person_key": [f"K{k}" for k in column(list(range(6)))],
        },
        schema={
            "record_key": pl.String,
            "person_id": pl.Int64,
            "ssn": pl.String,
            "ssn_last4": pl.String,
            "dob": pl.Date,
            "person_key": pl.String,
        },
    )


def _directly_resolvable(a: dict, b: dict) -> bool:
    """The definition, pair by pair (docs/linkage.md, "Resolvable truth")."""
    if a["person_id"] != b["person_id"]:
        return False
    lacks_full = a["ssn"] is None or b["ssn"] is None
    return (
        (a["ssn"] is not None and a["ssn"] == b["ssn"])
        or (lacks_full and a["ssn4"] is not None and a["ssn4"] == b["ssn4"])
        or (a["dob"] is not None and a["dob"] == b["dob"])
    )


def _oracle(frame: pl.DataFrame, coarsen: bool = False) -> set[frozenset[str]]:
    rows = strong_identifiers(frame).to_dicts()
    g = nx.Graph()
    g.add_nodes_from(r["record_key"] for r in rows)
    for a, b in itertools.combinations(rows, 2):
        same_cluster = coarsen and a["person_key"] == b["person_key"]
        if _directly_resolvable(a, b) or (same_cluster and a["person_id"] == b["person_id"]):
            g.add_edge(a["record_key"], b["record_key"])
    return {frozenset(c) for c in nx.connected_components(g)}


def _partition(comps: pl.DataFrame) -> set[frozenset[str]]:
    groups = comps.group_by("component").agg("record_key").get_column("record_key")
    return {frozenset(g) for g in groups.to_list()}


@settings(max_examples=200, deadline=None)
@given(records())
def test_components_match_networkx_on_all_pairs(frame):
    assert _partition(resolvable_components(frame)) == _oracle(frame)
    coarse = resolvable_components(frame, joined_by="person_key")
    assert _partition(coarse) == _oracle(frame, coarsen=True)


@settings(max_examples=100, deadline=None)
@given(records())
def test_components_never_span_two_persons(frame):
    for joined_by in (None, "person_key"):
        comps = resolvable_components(frame, joined_by=joined_by)
        spans = comps.group_by("component").agg(pl.col("person_id").n_unique())
        assert spans.get_column("person_id").le(1).all()


@settings(max_examples=100, deadline=None)
@given(records())
def test_prediction_equal_to_the_truth_scores_one(frame):
    got = resolvable_cluster_metrics(frame.with_columns(person_key=pl.col("person_id")))
    assert got["f1"] == 1.0


@settings(max_examples=100, deadline=None)
@given(records())
def test_prediction_equal_to_the_resolvable_components_scores_one(frame):
    comps = resolvable_components(frame).get_column("component")
    got = resolvable_cluster_metrics(frame.with_columns(person_key=comps))
    assert got["f1"] == 1.0
    assert got["components_joined"] == 0


@settings(max_examples=200, deadline=None)
@given(records())
def test_every_exact_person_is_an_exact_truth_cluster(frame):
    # a person kept whole is one coarsened component, equal to its cluster; so precision
    # (same denominator) never falls below the plain measure. Recall can: its
    # denominator counts parts, not persons (see the spec test of a person of three
    # parts, each split)
    got, plain = resolvable_cluster_metrics(frame), cluster_metrics(frame)
    assert got["predicted_clusters"] == plain["predicted_clusters"]
    assert got["truth_clusters"] >= plain["true_persons"]
    assert got["exact_clusters"] >= round(plain["precision"] * plain["predicted_clusters"])
    assert got["precision"] >= plain["precision"]


@settings(max_examples=100, deadline=None)
@given(records())
def test_one_component_per_person_gives_the_plain_measure(frame):
    # every person's records share one SSN: the resolvable truth is the plain truth
    one = frame.with_columns(ssn=pl.format("21234{}", pl.col("person_id") + 1000))
    got, plain = resolvable_cluster_metrics(one), cluster_metrics(one)
    assert got["persons_split"] == 0
    assert {k: got[k] for k in ("precision", "recall", "f1")} == {
        k: plain[k] for k in ("precision", "recall", "f1")
    }


@settings(max_examples=100, deadline=None)
@given(records())
def test_counted_cells_give_the_per_record_metrics(frame):
    coarse = resolvable_components(frame, joined_by="person_key").get_column("component")
    want = cluster_metrics(frame.with_columns(person_id=coarse))
    got = resolvable_cluster_metrics(frame)
    assert {k: got[k] for k in ("precision", "recall", "f1")} == {
        k: want[k] for k in ("precision", "recall", "f1")
    }
    assert got["truth_clusters"] == want["true_persons"]
    plain = resolvable_components(frame)
    assert got["components"] == plain.select("person_id", "component").unique().height


@settings(max_examples=100, deadline=None)
@given(records())
def test_records_counted_in_cells_give_the_same_metrics(frame):
    # the stage counts records per cell before measuring (enclave.linkage.evaluate)
    keys = ["person_id", "ssn", "ssn_last4", "dob", "person_key"]
    cells = frame.group_by(keys).agg(pl.len().cast(pl.Int64).alias("n"))
    assert resolvable_cluster_metrics(cells, weight="n") == resolvable_cluster_metrics(frame)
