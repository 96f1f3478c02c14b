"""Age evidence from when records were seen (``enclave.linkage.activity``) and the sex
clash of the bridge guard, on tiny tables."""

from __future__ import annotations

import polars as pl

from enclave.linkage.activity import SLACK_YEARS, born_by, implausible
from enclave.linkage.cluster import cluster_at, drop_ambiguous_bridges


def _rows(pairs: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "record_key": [k for k, _ in pairs],
            "role": [None] * len(pairs),
            "identity_id": [i for _, i in pairs],
        },
        schema={"record_key": pl.String, "role": pl.String, "identity_id": pl.Int64},
    )


def test_born_by_takes_the_earliest_record_less_the_agency_minimum_age():
    frame = pl.LazyFrame(
        {
            "record_key": ["ides-1", "ides-2", "hfs-1", "isbe-1"],
            "agency": ["ides", "ides", "hfs", "isbe"],
            "seen": ["2012-04-01", "2010-01-01", "2005-06-01", "2001-09-01"],
        }
    ).with_columns(pl.col("seen").str.to_date())
    rows = _rows([("ides-1", 0), ("ides-2", 0), ("hfs-1", 1), ("isbe-1", 1)])
    got = born_by(frame, rows, {"ides": 14})
    # identity 0: wages from 2010, so born by 1996; identity 1: school in 2001
    assert got.rows() == [(0, 1996), (1, 2001)]


def test_born_by_ignores_parent_roles_and_undated_rows():
    frame = pl.LazyFrame(
        {
            "record_key": ["idph-1", "idph-2"],
            "agency": ["idph", "idph"],
            "seen": [None, "2015-03-02"],
        }
    ).with_columns(pl.col("seen").str.to_date())
    rows = pl.DataFrame(
        {"record_key": ["idph-1", "idph-2"], "role": [None, "MOTHER"], "identity_id": [0, 1]},
        schema={"record_key": pl.String, "role": pl.String, "identity_id": pl.Int64},
    )
    assert born_by(frame, rows, {}).is_empty()


def test_identifier_tables_without_seen_give_no_age_evidence():
    frame = pl.LazyFrame({"record_key": ["x-1"], "agency": ["x"]})
    assert born_by(frame, _rows([("x-1", 0)]), {"x": 14}).is_empty()


ATTRS = pl.DataFrame(
    {
        "identity_id": [0, 1, 2],
        "birth_year": [2008, None, 1985],
        "born_by": [2008, 1990, 2010],
    },
    schema={"identity_id": pl.Int64, "birth_year": pl.Int32, "born_by": pl.Int32},
)


def test_a_child_born_after_the_wage_records_began_is_implausible():
    # 0: a school record of a child born 2008; 1: wages from 2004 (born by 1990);
    # 2: an adult born 1985, old enough for those wages
    edges = pl.DataFrame({"id_l": [0, 1], "id_r": [1, 2], "match_probability": [0.9, 0.9]})
    assert implausible(edges, ATTRS).rows() == [(0, 1)]


def test_one_year_of_slack_for_a_dob_error():
    attrs = ATTRS.with_columns(
        birth_year=pl.Series([1990 + SLACK_YEARS, None, 1985], dtype=pl.Int32)
    )
    edges = pl.DataFrame({"id_l": [0], "id_r": [1], "match_probability": [0.9]})
    assert implausible(edges, attrs).is_empty()


def test_clustering_keeps_the_child_apart_from_the_adult_namesake():
    edges = pl.DataFrame({"id_l": [0], "id_r": [1], "match_probability": [0.99]})
    attrs = ATTRS.with_columns(
        ssn_head=pl.lit(None, dtype=pl.Int64), ssn_tail=pl.lit(None, dtype=pl.Int64)
    )
    labels, kept = cluster_at(3, edges, attrs, 0.5)
    assert kept.is_empty()
    assert labels[0] != labels[1]


# sex clash: 0 is a wage record with an initial (no sex), 1 and 2 school records of a
# brother and his twin sister
SEXES = pl.DataFrame(
    {
        "identity_id": [0, 1, 2],
        "birth_year": [None, 2001, 2001],
        "ssn_head": [1, None, None],
        "ssn_tail": [1, None, None],
        "sex_code": [None, 2, 1],
    },
    schema={
        "identity_id": pl.Int64,
        "birth_year": pl.Int32,
        "ssn_head": pl.Int64,
        "ssn_tail": pl.Int64,
        "sex_code": pl.Int64,
    },
)


def _twins(p01: float, p02: float) -> pl.DataFrame:
    return pl.DataFrame({"id_l": [0, 0], "id_r": [1, 2], "match_probability": [p01, p02]})


def test_record_without_sex_fitting_a_brother_and_sister_equally_keeps_neither():
    assert drop_ambiguous_bridges(_twins(0.5, 0.5), SEXES).is_empty()


def test_record_without_sex_fitting_one_twin_clearly_better_keeps_that_link():
    kept = drop_ambiguous_bridges(_twins(0.999999, 0.6), SEXES)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]


def test_without_sex_codes_the_guard_is_unchanged():
    kept = drop_ambiguous_bridges(_twins(0.5, 0.5), SEXES.drop("sex_code"))
    assert kept.height == 2
