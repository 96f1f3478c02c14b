"""The resolvable truth on tiny tables: which records of a person an SSN, last four or
DOB can join, and exact clusters measured against it (docs/linkage.md, "Resolvable
truth")."""

from __future__ import annotations

import polars as pl

from enclave.linkage.evaluate import (
    cluster_metrics,
    resolvable_cluster_metrics,
    resolvable_components,
)

COLUMNS = ("record_key", "person_id", "ssn", "ssn_last4", "dob", "person_key")

# valid numbers; the first two end alike
SSN_A, SSN_B, SSN_C = "212345678", "313455678", "414569999"
DOB_1, DOB_2 = "1990-04-01", "1985-12-31"


def _table(*rows: tuple) -> pl.DataFrame:
    """Records as (record_key, person_id, ssn, ssn_last4, dob, predicted person_key)."""
    frame = pl.DataFrame(
        [dict(zip(COLUMNS, row, strict=True)) for row in rows],
        schema=dict.fromkeys(COLUMNS, pl.String) | {"person_id": pl.Int64},
    )
    return frame.with_columns(pl.col("dob").str.to_date())


def _partition(frame: pl.DataFrame, joined_by: str | None = None) -> set[frozenset[str]]:
    """The components as sets of record keys (their labels are positions, not names)."""
    comps = resolvable_components(frame, joined_by=joined_by)
    groups = comps.group_by("component").agg("record_key").get_column("record_key")
    return {frozenset(g) for g in groups.to_list()}


def _parts(*groups: str) -> set[frozenset[str]]:
    return {frozenset(g) for g in groups}


# person 1: a Medicaid record (SSN and DOB), a wage record (SSN only), a school record
# (DOB only) and a second school record with neither (name only). The wage and school
# records share nothing, but the Medicaid record chains them
CHAIN = _table(
    ("hfs", 1, SSN_A, None, DOB_1, "K1"),
    ("ides", 1, SSN_A, None, None, "K1"),
    ("isbe", 1, None, None, DOB_1, "K1"),
    ("bare", 1, None, None, None, "K2"),
)


def test_ssn_then_dob_chain_into_one_component():
    assert _partition(CHAIN) == _parts(["hfs", "ides", "isbe"], ["bare"])


def test_name_only_record_is_a_component_of_its_own():
    # even beside another record with nothing: sharing no value is not sharing a value
    frame = _table(
        ("wage", 1, SSN_A, None, None, "K"),
        ("school", 1, None, None, DOB_1, "K"),
        ("x", 1, None, None, None, "K"),
        ("y", 1, None, None, None, "K"),
    )
    assert _partition(frame) == _parts(["wage"], ["school"], ["x"], ["y"])


def test_components_never_span_persons():
    frame = _table(
        ("a", 1, SSN_A, None, DOB_1, "K"),
        ("b", 2, SSN_A, None, DOB_1, "K"),  # a family's shared number, a twin's DOB
    )
    assert _partition(frame) == _parts(["a"], ["b"])
    assert _partition(frame, joined_by="person_key") == _parts(["a"], ["b"])


def test_last_four_joins_a_record_without_the_full_number():
    # an aging record with the last four only, beside the wage record's full SSN
    frame = _table(
        ("ides", 1, SSN_A, None, None, "K"),
        ("aging", 1, None, SSN_A[5:], None, "K"),
        ("aging2", 1, None, f"x{SSN_A[5:]}-", None, "K"),  # digits kept, as standardised
    )
    assert _partition(frame) == _parts(["ides", "aging", "aging2"])


def test_last_four_does_not_join_two_different_full_numbers():
    frame = _table(
        ("a", 1, SSN_A, None, None, "K"),
        ("b", 1, SSN_B, None, None, "K"),  # ends as SSN_A does
    )
    assert _partition(frame) == _parts(["a"], ["b"])


def test_last_four_record_chains_two_numbers_ending_alike():
    # each full number shares its last four with the partial one: two direct pairs
    frame = _table(
        ("a", 1, SSN_A, None, None, "K"),
        ("b", 1, SSN_B, None, None, "K"),
        ("part", 1, None, SSN_A[5:], None, "K"),
    )
    assert _partition(frame) == _parts(["a", "b", "part"])


def test_invalid_ssn_joins_nothing():
    # 9xx is the ITIN range, 000 never issued: standardised to null, last four and all
    frame = _table(
        ("a", 1, "912345678", None, None, "K"),
        ("b", 1, "912345678", None, None, "K"),
        ("c", 1, None, "5678", None, "K"),
        ("d", 1, "000125678", None, None, "K"),
    )
    assert _partition(frame) == _parts(["a"], ["b"], ["c"], ["d"])


def test_predicted_cluster_coarsens_only_within_a_person():
    frame = _table(
        ("wage", 1, SSN_A, None, None, "K"),
        ("school", 1, None, None, DOB_1, "K"),
        ("other", 2, None, None, DOB_2, "K"),
    )
    assert _partition(frame) == _parts(["wage"], ["school"], ["other"])
    assert _partition(frame, joined_by="person_key") == _parts(["wage", "school"], ["other"])


# two persons: person 1 has SSN-only wage records and a DOB-only school record (two
# components); person 2 has one Medicaid record and one wage record sharing the SSN
WORLD = (
    ("w1", 1, SSN_A, None, None),
    ("w2", 1, SSN_A, None, None),
    ("s1", 1, None, None, DOB_1),
    ("m2", 2, SSN_C, None, DOB_2),
    ("w3", 2, SSN_C, None, None),
)


def _predict(*keys: str) -> pl.DataFrame:
    return _table(*((*row, key) for row, key in zip(WORLD, keys, strict=True)))


def test_right_join_beyond_the_evidence_is_not_penalised():
    # the school record joined to its person's wage records by name: right, so F1 1.0
    got = resolvable_cluster_metrics(_predict("K1", "K1", "K1", "K2", "K2"))
    assert (got["precision"], got["recall"], got["f1"]) == (1.0, 1.0, 1.0)
    assert (got["predicted_clusters"], got["truth_clusters"]) == (2, 2)
    assert (got["persons"], got["persons_split"], got["components"]) == (2, 1, 3)
    assert got["components_joined"] == 1


def test_keeping_apart_what_the_records_cannot_decide_is_not_a_miss():
    frame = _predict("K1", "K1", "K3", "K2", "K2")
    got = resolvable_cluster_metrics(frame)
    assert (got["precision"], got["recall"], got["f1"]) == (1.0, 1.0, 1.0)
    assert (got["truth_clusters"], got["components_joined"]) == (3, 0)
    # the plain exact-cluster measure counts person 1 as split
    plain = cluster_metrics(frame)
    assert (plain["precision"], plain["recall"]) == (round(1 / 3, 6), 0.5)


def test_false_merge_across_persons_lowers_precision():
    # person 2 wholly inside person 1's wage cluster: of the truth clusters {w1, w2},
    # {s1} and {m2, w3}, only {s1} is still a predicted cluster
    got = resolvable_cluster_metrics(_predict("K1", "K1", "K3", "K1", "K1"))
    assert (got["exact_clusters"], got["predicted_clusters"], got["truth_clusters"]) == (1, 2, 3)
    assert (got["precision"], got["recall"]) == (0.5, round(1 / 3, 6))


def test_split_resolvable_component_lowers_recall():
    # person 2's two records share the SSN, but the prediction keeps them apart: the
    # truth cluster {m2, w3} matches no predicted cluster
    got = resolvable_cluster_metrics(_predict("K1", "K1", "K3", "K2", "K4"))
    assert (got["exact_clusters"], got["predicted_clusters"], got["truth_clusters"]) == (2, 4, 3)
    assert got["recall"] == round(2 / 3, 6)
    assert got["precision"] == 0.5


def test_split_into_parts_that_each_split_again_counts_each_part():
    # the definition counts resolvable parts, not persons: a person of three parts,
    # each split by the prediction, is three misses (plain exact clusters: one), so
    # resolvable recall can fall below plain recall even without a false merge
    frame = _table(
        ("a1", 1, SSN_A, None, None, "A1"),
        ("a2", 1, SSN_A, None, None, "A2"),
        ("b1", 1, None, None, DOB_1, "B1"),
        ("b2", 1, None, None, DOB_1, "B2"),
        ("c1", 1, SSN_C, None, None, "C1"),
        ("c2", 1, SSN_C, None, None, "C2"),
        ("d", 2, None, None, DOB_2, "D"),
    )
    got, plain = resolvable_cluster_metrics(frame), cluster_metrics(frame)
    assert (got["exact_clusters"], got["truth_clusters"], got["recall"]) == (1, 4, 0.25)
    assert plain["recall"] == 0.5
    assert got["precision"] >= plain["precision"]


def test_counted_metrics_equal_per_record_components():
    frame = CHAIN.with_columns(person_key=pl.Series(["K1", "K1", "K2", "K2"]))
    comps = resolvable_components(frame, joined_by="person_key")
    want = cluster_metrics(frame.with_columns(person_id=comps.get_column("component")))
    got = resolvable_cluster_metrics(frame)
    assert {k: got[k] for k in ("precision", "recall", "f1")} == {
        k: want[k] for k in ("precision", "recall", "f1")
    }


def test_no_records():
    frame = _table()
    got = resolvable_cluster_metrics(frame)
    assert (got["precision"], got["recall"], got["f1"]) == (1.0, 1.0, 1.0)
    assert (got["predicted_clusters"], got["truth_clusters"], got["persons"]) == (0, 0, 0)
    assert resolvable_components(frame).is_empty()
