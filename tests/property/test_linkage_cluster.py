"""Oracle test: vectorised connected components agree with networkx on random graphs."""

from __future__ import annotations

import networkx as nx
import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage import cluster
from enclave.linkage.cluster import (
    bridge_frame,
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


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=60), st.randoms(use_true_random=False))
def test_first_members_hold_for_any_numbering(labels, random):
    """The smallest node of each component, whether the labels are numbered in order
    of first meeting (as SciPy does) or in any other order (the sorting fallback)."""
    used = sorted(set(labels))
    renumber = list(range(len(used)))
    random.shuffle(renumber)
    component = np.array([renumber[used.index(x)] for x in labels], dtype=np.int64)
    first = cluster._first_members(component, len(used))
    expected = [component.tolist().index(j) for j in range(len(used))]
    assert first.tolist() == expected


def _edges(edges: list[tuple[int, int]], rng: np.random.Generator) -> pl.DataFrame:
    """Scored pairs ``id_l < id_r``, one per node pair, probabilities to 3 decimals."""
    return (
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


def _attrs(n: int, rng: np.random.Generator, all_guards: bool = False) -> pl.DataFrame:
    """Guard attributes: birth year and SSN codes; with ``all_guards``, born-by and sex."""
    columns = {
        "birth_year": ([1950, 1951, 1980, None], pl.Int32),
        **({"born_by": ([1960, 1990, None], pl.Int32)} if all_guards else {}),
        "ssn_head": ([1, 2, None], pl.Int64),
        "ssn_tail": ([1, 2, None], pl.Int64),
        **({"sex_code": ([1, 2, None], pl.Int64)} if all_guards else {}),
    }
    return pl.DataFrame(
        {"identity_id": np.arange(n)}
        | {name: rng.choice(values, n).tolist() for name, (values, _) in columns.items()},
        schema={"identity_id": pl.Int64} | {name: t for name, (_, t) in columns.items()},
    )


@settings(max_examples=50, deadline=None)
@given(graphs(), st.integers(0, 3))
def test_guard_only_removes_edges(graph, seed):
    n, edges = graph
    rng = np.random.default_rng(seed)
    frame = _edges(edges, rng)
    kept = drop_ambiguous_bridges(frame, _attrs(n, rng))
    assert kept.join(frame, on=["id_l", "id_r"], how="anti").is_empty()


@settings(max_examples=60, deadline=None)
@given(graphs(), st.integers(0, 5), st.integers(1, 40))
def test_guards_in_parts_drop_what_the_whole_frame_drops(graph, seed, rows):
    """The link stage builds the guards' frame in parts of records (BRIDGE_ROWS rows at
    a time, bounding its memory): the links kept, and their order, are the whole frame's."""
    n, edges = graph
    rng = np.random.default_rng(seed)
    frame, attrs = _edges(edges, rng), _attrs(n, rng, all_guards=True)
    whole = drop_ambiguous_bridges(frame, attrs, bridge_frame(frame, attrs))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cluster, "BRIDGE_ROWS", rows)
        parted = drop_ambiguous_bridges(frame, attrs)
    assert parted.rows() == whole.rows()


@settings(max_examples=80, deadline=None)
@given(graphs(), st.integers(0, 5), st.sampled_from([0.2, 0.35, 0.5, 0.8, 0.95]))
def test_prepared_clustering_equals_clustering_from_scratch(graph, seed, threshold):
    """The precision-recall curve builds the guards' frames once (``prepare``) and
    filters them per threshold: the labels and kept edges must be those of a fresh run."""
    n, edges = graph
    rng = np.random.default_rng(seed)
    pairs, attrs = _edges(edges, rng), _attrs(n, rng, all_guards=True)
    fresh_labels, fresh_kept = cluster_at(n, pairs, attrs, threshold)
    labels, kept = cluster_at(n, pairs, attrs, threshold, prepare(pairs, attrs))
    assert labels.tolist() == fresh_labels.tolist()
    assert sorted(kept.rows()) == sorted(fresh_kept.rows())


@st.composite
def constrained(draw):
    n, edges = draw(graphs())
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=8))
    apart = pl.DataFrame(
        {"id_l": [min(a, b) for a, b in pairs], "id_r": [max(a, b) for a, b in pairs]},
        schema={"id_l": pl.Int64, "id_r": pl.Int64},
    ).filter(pl.col("id_l") != pl.col("id_r"))
    return n, edges, apart


@settings(max_examples=150, deadline=None)
@given(constrained(), st.integers(0, 5), st.sampled_from([0.2, 0.5, 0.8]))
def test_rosters_keep_their_people_apart_and_touch_nothing_else(case, seed, threshold):
    """Cannot-links (``apart``): no pair of them ends in one cluster; clusters holding
    none are those of clustering without them; links are only ever removed; and each
    cluster is still connected by the links kept (``cluster.keep_apart``)."""
    n, edges, apart = case
    rng = np.random.default_rng(seed)
    pairs, attrs = _edges(edges, rng), _attrs(n, rng, all_guards=True)
    free_labels, free_kept = cluster_at(n, pairs, attrs, threshold)
    labels, kept = cluster_at(n, pairs, attrs, threshold, apart=apart)
    for a, b in apart.rows():
        assert labels[a] != labels[b]
    assert kept.join(free_kept, on=["id_l", "id_r"], how="anti").is_empty()
    split = {free_labels[a] for a, b in apart.rows() if free_labels[a] == free_labels[b]}
    untouched = [i for i in range(n) if free_labels[i] not in split]
    assert labels[untouched].tolist() == free_labels[untouched].tolist()
    ends = kept.select("id_l", "id_r").to_numpy()
    assert labels.tolist() == connected_components(n, ends[:, 0], ends[:, 1]).tolist()
    # the strongest link of a split component that joins no pair of ``apart`` survives
    for left, right, _ in free_kept.sort("match_probability", descending=True).rows():
        if free_labels[left] in split:
            assert labels[left] == labels[right] or (left, right) in set(apart.rows())
            break
