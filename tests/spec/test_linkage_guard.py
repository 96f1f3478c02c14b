"""The bridge guard on tiny graphs: a record that fits two clashing people equally
well keeps neither link; one that fits one clearly better keeps that one."""

from __future__ import annotations

import polars as pl

from enclave.linkage.cluster import cluster_at, drop_ambiguous_bridges

# identity 0: a school record (birth year, no SSN); 1 and 2: wage records of two
# namesakes (SSN, no birth year), their numbers differing in both parts
ATTRS = pl.DataFrame(
    {
        "identity_id": [0, 1, 2],
        "birth_year": [1999, None, None],
        "ssn_head": [None, 1, 2],
        "ssn_tail": [None, 1, 2],
    },
    schema={
        "identity_id": pl.Int64,
        "birth_year": pl.Int32,
        "ssn_head": pl.Int64,
        "ssn_tail": pl.Int64,
    },
)


def _edges(p01: float, p02: float) -> pl.DataFrame:
    return pl.DataFrame({"id_l": [0, 0], "id_r": [1, 2], "match_probability": [p01, p02]})


def test_record_fitting_two_people_equally_keeps_neither_link():
    kept = drop_ambiguous_bridges(_edges(0.99, 0.99), ATTRS)
    assert kept.is_empty()


def test_record_fitting_one_person_clearly_better_keeps_that_link():
    # 0.999999 is ~20 bits, 0.9 ~3 bits: far apart, so the weaker clashing link goes
    kept = drop_ambiguous_bridges(_edges(0.999999, 0.9), ATTRS)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]


def test_ambiguous_record_does_not_chain_namesakes_into_one_cluster():
    labels, _ = cluster_at(3, _edges(0.97, 0.98), ATTRS, 0.7)
    assert labels[1] != labels[2]


def test_record_with_its_own_ssn_is_not_ambiguous():
    # the record carries an SSN itself: its clash rule is the ordinary one
    attrs = ATTRS.with_columns(
        ssn_head=pl.Series([1, 1, 2], dtype=pl.Int64),
        ssn_tail=pl.Series([1, 1, 2], dtype=pl.Int64),
    )
    kept = drop_ambiguous_bridges(_edges(0.99, 0.99), attrs)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]


def test_rival_compared_on_less_does_not_make_a_dated_link_ambiguous():
    # 1 is now a Medicaid record (birth year and SSN): the school record's link to it
    # was checked on the DOB; 2 is still a namesake's wage record, name only. A married
    # surname keeps the first link's weight near the rival's, but the fits are not equal
    attrs = ATTRS.with_columns(birth_year=pl.Series([1999, 1999, None], dtype=pl.Int32))
    kept = drop_ambiguous_bridges(_edges(0.82, 0.5), attrs)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]


def test_rival_compared_on_as_much_still_makes_the_record_ambiguous():
    # both candidates carry a birth year: the school record fits either equally
    attrs = ATTRS.with_columns(birth_year=pl.Series([1999, 1999, 1999], dtype=pl.Int32))
    assert drop_ambiguous_bridges(_edges(0.82, 0.5), attrs).is_empty()


# identity 0: a Medicaid record (birth year, SSN A); 1: a wage record (SSN A, no birth
# year); 2: a record with the same name and DOB filed under a relative's SSN B
FILED = pl.DataFrame(
    {
        "identity_id": [0, 1, 2],
        "birth_year": [1996, None, 1996],
        "ssn_head": [1, 1, 2],
        "ssn_tail": [1, 1, 2],
    },
    schema=ATTRS.schema,
)


def _filed(p02: float) -> pl.DataFrame:
    return pl.DataFrame({"id_l": [0, 0], "id_r": [1, 2], "match_probability": [0.99999, p02]})


def test_near_certain_link_between_records_born_the_same_year_survives_an_ssn_clash():
    kept = drop_ambiguous_bridges(_filed(0.995), FILED)
    assert kept.select("id_l", "id_r").sort("id_r").rows() == [(0, 1), (0, 2)]


def test_a_weaker_link_still_yields_to_the_ssn():
    kept = drop_ambiguous_bridges(_filed(0.9), FILED)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]


def test_records_born_in_different_years_still_clash_on_the_ssn():
    attrs = FILED.with_columns(birth_year=pl.Series([1996, None, 1970], dtype=pl.Int32))
    kept = drop_ambiguous_bridges(_filed(0.995), attrs)
    assert kept.select("id_l", "id_r").rows() == [(0, 1)]
