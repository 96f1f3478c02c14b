"""Rosters: two people listed on one LIHEAP application or SNAP case are two people.

Twins share surname, birth date, address and (as children) no SSN; only the first
name differs, which the model alone scores 0.33-0.9. Linkage reads the roster the
standard identifiers carry (``roster``) and never puts two members of one roster,
under different agency ids, in one person (``identity.apart_pairs``,
``cluster.keep_apart``)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from enclave.contracts.base import conform_identifiers
from enclave.linkage import identity
from enclave.linkage.cluster import cluster_at, keep_apart

DOB = dt.date(2010, 3, 4)


def _rows(rows: list[tuple[str, str, str | None, str, str]]) -> pl.LazyFrame:
    """(record_key, agency, roster, agency_id, first name): twins' records."""
    frame = pl.DataFrame(
        rows,
        schema=["record_key", "agency", "roster", "agency_id", "first_name"],
        orient="row",
    ).with_columns(last_name=pl.lit("OKAFOR"), dob=pl.lit(DOB), zip=pl.lit("62701"))
    return conform_identifiers(frame.lazy())


def _identity_of(collapsed: identity.Collapsed) -> dict[str, int]:
    records = collapsed.records
    return dict(zip(records["record_key"], records["identity_id"], strict=True))


def test_members_of_one_application_are_apart():
    collapsed = identity.collapse(
        _rows(
            [
                ("dceo-000000001", "dceo", "LH2015000001", "D00000001", "AMARA"),
                ("dceo-000000002", "dceo", "LH2015000001", "D00000002", "ADAEZE"),
            ]
        )
    )
    ids = _identity_of(collapsed)
    assert collapsed.apart.rows() == [(ids["dceo-000000001"], ids["dceo-000000002"])]


def test_one_member_under_one_id_is_not_apart_from_herself():
    # the same client id on two years' applications, her name typed two ways: one person
    collapsed = identity.collapse(
        _rows(
            [
                ("dceo-000000001", "dceo", "LH2015000001", "D00000001", "AMARA"),
                ("dceo-000000002", "dceo", "LH2015000001", "D00000001", "AMRA"),
            ]
        )
    )
    assert len(set(_identity_of(collapsed).values())) == 2
    assert collapsed.apart.is_empty()


def test_the_same_number_at_two_agencies_is_two_rosters():
    collapsed = identity.collapse(
        _rows(
            [
                ("dceo-000000001", "dceo", "C1", "D00000001", "AMARA"),
                ("idhs-000000001", "idhs", "C1", "C1-01", "ADAEZE"),
            ]
        )
    )
    assert collapsed.apart.is_empty()


def test_records_without_a_roster_are_never_apart():
    collapsed = identity.collapse(
        _rows(
            [
                ("hfs-000000001", "hfs", None, "R1", "AMARA"),
                ("hfs-000000002", "hfs", None, "R2", "ADAEZE"),
            ]
        )
    )
    assert collapsed.apart.is_empty()


ATTRS = pl.DataFrame(
    {"identity_id": [0, 1, 2, 3], "birth_year": [2010] * 4},
    schema={"identity_id": pl.Int64, "birth_year": pl.Int32},
).with_columns(pl.lit(None, pl.Int64).alias("ssn_head"), pl.lit(None, pl.Int64).alias("ssn_tail"))


def _pairs(rows: list[tuple[int, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64},
        orient="row",
    )


def test_twins_linked_through_a_medicaid_record_are_split_at_the_weaker_link():
    # 0: Amara's LIHEAP record, 1: Adaeze's, on one application; 2: Amara's Medicaid
    # record links to hers at 0.99 and to her sister's at 0.6; 3: Adaeze's school record
    pairs = _pairs([(0, 2, 0.99), (1, 2, 0.6), (1, 3, 0.97)])
    apart = pl.DataFrame({"id_l": [0], "id_r": [1]}, schema={"id_l": pl.Int64, "id_r": pl.Int64})
    merged, _ = cluster_at(4, pairs, ATTRS, 0.3)
    assert len(set(merged.tolist())) == 1
    labels, kept = cluster_at(4, pairs, ATTRS, 0.3, apart=apart)
    assert labels.tolist() == [0, 1, 0, 1]
    assert sorted(kept.select("id_l", "id_r").rows()) == [(0, 2), (1, 3)]


def test_a_direct_link_between_roster_members_is_refused_however_strong():
    pairs = _pairs([(0, 1, 0.999)])
    apart = pl.DataFrame({"id_l": [0], "id_r": [1]}, schema={"id_l": pl.Int64, "id_r": pl.Int64})
    labels, kept = cluster_at(4, pairs, ATTRS, 0.3, apart=apart)
    assert labels[0] != labels[1] and kept.is_empty()


def test_components_without_a_roster_pair_are_left_as_they_are():
    labels = np.array([0, 0, 2, 2])
    kept = _pairs([(0, 1, 0.9), (2, 3, 0.8)])
    apart = pl.DataFrame({"id_l": [0], "id_r": [2]}, schema={"id_l": pl.Int64, "id_r": pl.Int64})
    out, links = keep_apart(4, labels, kept, apart)
    assert out is labels and links is kept


def test_a_month_never_joins_a_record_to_the_person_of_its_roster_neighbour():
    # stored identity 0 is Amara (person P-A), 1 is Adaeze (P-B); the month brings 2, a
    # record listed on Amara's application beside her: its cluster may not be P-A's
    from enclave.linkage.incremental import _barred

    stored = pl.DataFrame({"identity_id": [0, 1], "person_key": ["P-A", "P-B"]})
    novel = pl.DataFrame({"identity_id": [2]}, schema={"identity_id": pl.Int64})
    apart = pl.DataFrame({"id_l": [0], "id_r": [2]}, schema={"id_l": pl.Int64, "id_r": pl.Int64})
    barred = _barred(apart, novel, stored, np.array([0, 1, 0]))
    assert barred.rows() == [(0, "P-A")]
