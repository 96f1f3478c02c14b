"""Planted failure causes measured on the 100k world (docs/linkage.md), each fixed:
a planted world plus a few people showing one cause each, linked end to end."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from enclave.config import LinkageParams
from enclave.contracts.base import conform_identifiers
from enclave.linkage import link
from enclave.testing.planted import planted


def _row(key: str, agency: str, first: str, last: str, **kw) -> dict:
    return {"record_key": key, "agency": agency, "first_name": first, "last_name": last, **kw}


D = dt.date
CASES = [
    # a wage record under the married surname and an initial, sharing the SSN of
    # records under the maiden name
    _row("x-a1", "hfs", "ZELPHIA", "QUANTRELL", dob=D(1980, 5, 6), sex="F", ssn="412345678"),
    _row("x-a2", "idhs", "Zelphia", "Quantrell", dob=D(1980, 5, 6), sex="F", ssn="412345678"),
    _row("x-a3", "ides", "Z", "MARLOWE", ssn="412345678"),
    # a wage record (initial, no DOB) with a typo in the SSN's last four
    _row("x-b1", "hfs", "ORLANDO", "VESPERTINE", dob=D(1975, 1, 2), sex="M", ssn="423456789"),
    _row("x-b2", "ides", "O", "VESPERTINE", ssn="423456780"),
    # no SSN, a typo in the year of birth, different ZIPs
    _row("x-c1", "isbe", "PERPETUA", "HALLOWAY", dob=D(2001, 3, 4), sex="F", zip="60602"),
    _row("x-c2", "idhs", "Perpetua", "Halloway", dob=D(2007, 3, 4), sex="F", zip="62701"),
    # no SSN on one side, the day of birth keyed one off across a carry (19th -> 20th:
    # two digits differ)
    _row("x-d1", "isbe", "Maria", "Smith", dob=D(2011, 7, 20), sex="F"),
    _row("x-d2", "hfs", "MARIA", "SMITH", dob=D(2011, 7, 19), sex="F", ssn="434567891"),
    # no SSN on one side, a nickname and a surname typo that changes its soundex
    _row("x-e1", "idph", "TED", "HARKNESS", middle_name="MICHAEL", dob=D(2001, 9, 3), sex="M"),
    _row(
        "x-e2",
        "hfs",
        "TEDDY",
        "HAKNESS",
        middle_name="M",
        dob=D(2001, 9, 3),
        sex="M",
        ssn="445678912",
        zip="60193",
    ),
    # first and last name delivered the wrong way round, no SSN
    _row("x-f1", "isbe", "Knutson", "Horacio", dob=D(1999, 7, 27), sex="M"),
    _row("x-f2", "hfs", "HORACIO", "KNUTSON", dob=D(1999, 7, 27), sex="M", zip="60601"),
    # a record filed under a relative's SSN, same name and DOB as the person's others
    _row("x-h1", "hfs", "QUINTUS", "ABERNATHY", dob=D(1996, 6, 19), sex="M", ssn="456789123"),
    _row("x-h2", "ides", "QUINTUS", "ABERNATHY", ssn="456789123"),
    _row("x-h3", "idhs", "Quintus", "Abernathy", dob=D(1996, 6, 19), sex="M", ssn="467891234"),
    # two people born the same day, one's first name the other's surname: one crosswise
    # coincidence, not a swap
    _row("y-g1", "isbe", "Efrain", "Lloyd", dob=D(2008, 10, 22), sex="M"),
    _row("y-g2", "hfs", "LLOYD", "SCOTT", dob=D(2008, 10, 22), sex="M", zip="60601"),
]


@pytest.fixture(scope="module")
def crosswalk() -> pl.DataFrame:
    identifiers, _, _ = planted(800, seed=5)
    cases = conform_identifiers(pl.DataFrame(CASES).lazy()).collect()
    frame = pl.concat([identifiers, cases], how="diagonal_relaxed")
    return link(frame.lazy(), LinkageParams()).crosswalk


def _one_person(crosswalk: pl.DataFrame, prefix: str) -> bool:
    keys = crosswalk.filter(pl.col("record_key").str.starts_with(prefix))
    return keys.height > 1 and keys.get_column("person_key").n_unique() == 1


def test_married_surname_on_a_wage_record_joins_by_ssn(crosswalk):
    assert _one_person(crosswalk, "x-a")


def test_ssn_typo_in_last_four_without_dob_is_found(crosswalk):
    assert _one_person(crosswalk, "x-b")


def test_year_of_birth_typo_without_ssn_is_found(crosswalk):
    assert _one_person(crosswalk, "x-c")


def test_day_of_birth_one_off_across_a_carry_is_found(crosswalk):
    assert _one_person(crosswalk, "x-d")


def test_nickname_and_surname_typo_with_the_same_dob_are_found(crosswalk):
    assert _one_person(crosswalk, "x-e")


def test_first_and_last_name_swapped_are_found(crosswalk):
    assert _one_person(crosswalk, "x-f")


def test_one_name_found_crosswise_does_not_join_two_people(crosswalk):
    keys = crosswalk.filter(pl.col("record_key").str.starts_with("y-g"))
    assert keys.height == 2 and keys.get_column("person_key").n_unique() == 2


def test_record_filed_under_a_relatives_ssn_joins_its_person(crosswalk):
    assert _one_person(crosswalk, "x-h")
