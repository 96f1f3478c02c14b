"""Oracle test: vectorised connected components agree with networkx on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage.cluster import (
    cluster_at,
    connected_components,
    drop_ambiguous_bridges,
    prepare,
)


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 60))
    edges = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120))
    return n, edges


@settings(max_examples=200, deadline=None)
@given(graphs())
def test_components_match_networkx(graph):
    n, edges = graph
    left = np.array([a for a, _ in edges], dtype=np.int64)
    right = np.array([b for _, b in edges], dtype=np.int64)
    labels = connected_components(n, left, right)
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    for component in nx.connected_components(g):
        members = sorted(component)
        # one label per component, and it is the component's smallest node
        assert set(labels[members].tolist()) == {members[0]}


@settings(max_examples=50, deadline=None)
@given(graphs(), st.integers(0, 3))
def test_guard_only_removes_edges(graph, seed):
    n, edges = graph
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {
            "id_l": [min(a, b) for a, b in edges],
            "id_r": [max(a, b) for a, b in edges],
            "match_probability": rng.random(len(edges)),
        },
        schema={"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64},
    ).filter(pl.col("id_l") != pl.col("id_r"))
    attrs = pl.DataFrame(
        {
            "identity_id": np.arange(n),
            "birth_year": rng.choice([1950, 1951, 1980, None], n).tolist(),
            "ssn_head": rng.choice([1, 2, None], n).tolist(),
            "ssn_tail": rng.choice([1, 2, None], n).tolist(),
        },
        schema={
            "identity_id": pl.Int64,
            "birth_year": pl.Int32,
            "ssn_head": pl.Int64,
            "ssn_tail": pl.Int64,
        },
    )
    kept = drop_ambiguous_bridges(frame, attrs)
    assert kept.join(frame, on=["id_l", "id_r"], how="anti").is_empty()


@settings(max_examples=80, deadline=None)
@given(graphs(), st.integers(0, 5), st.sampled_from([0.2, 0.35, 0.5, 0.8, 0.95]))
def test_prepared_clustering_equals_clustering_from_scratch(graph, seed, threshold):
    """The precision-recall curve builds the guards' frames once (``prepare``) and
    filters them per threshold: the labels and kept edges must be those of a fresh run."""
    n, edges = graph
    rng = np.random.default_rng(seed)
    pairs = (
        pl.DataFrame(
            {
                "id_l": [min(a, b) for a, b in edges],
                "id_r": [max(a, b) for a, b in edges],
                "match_probability": rng.random(len(edges)).round(3),
            },
            schema={"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64},
        )
        .filter(pl.col("id_l") != pl.col("id_r"))
        .unique(["id_l", "id_r"], keep="first", maintain_order=True)
    )
    attrs = pl.DataFrame(
        {
            "identity_id": np.arange(n),
            "birth_year": rng.choice([1950, 1951, 1980, None], n).tolist(),
            "born_by": rng.choice([1960, 1990, None], n).tolist(),
            "ssn_head": rng.choice([1, 2, None], n).tolist(),
            "ssn_tail": rng.choice([1, 2, None], n).tolist(),
            "sex_code": rng.choice([1, 2, None], n).tolist(),
        },
        schema={
            "identity_id": pl.Int64,
            "birth_year": pl.Int32,
            "born_by": pl.Int32,
            "ssn_head": pl.Int64,
            "ssn_tail": pl.Int64,
            "sex_code": pl.Int64,
        },
    )
    fresh_labels, fresh_kept = cluster_at(n, pairs, attrs, threshold)
    labels, kept = cluster_at(n, pairs, attrs, threshold, prepare(pairs, attrs))
    assert labels.tolist() == fresh_labels.tolist()
    assert sorted(kept.rows()) == sorted(fresh_kept.rows())
