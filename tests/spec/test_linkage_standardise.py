"""Standardisation before comparison: one behaviour per test, tiny inline tables."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from enclave.linkage.identity import build
from enclave.linkage.standardise import name_equivalents, parent_rows, soundex, standardise


def _one(**cols) -> dict:
    frame = pl.LazyFrame(
        {"record_key": ["x-1"], "agency": ["hfs"], **{k: [v] for k, v in cols.items()}}
    )
    return standardise(frame).collect().row(0, named=True)


@pytest.mark.parametrize(
    "ssn",
    [
        "000123456",
        "666123456",
        "912345678",
        "123004567",
        "123450000",
        "111111111",
        "123456789",
        "12345",
    ],
)
def test_invalid_ssn_becomes_missing(ssn):
    row = _one(ssn=ssn)
    assert row["ssn"] is None and row["ssn4"] is None


def test_itin_range_is_not_an_ssn():
    frame = pl.LazyFrame({"record_key": ["x-1"], "agency": ["ides"], "ssn": ["912345678"]})
    assert standardise(frame).collect()["ssn"].item() is None


def test_valid_ssn_kept_and_last_four_derived():
    row = _one(ssn="078-05-1121")
    assert (row["ssn"], row["ssn4"]) == ("078051121", "1121")


def test_partial_ssn_used_when_no_full_ssn():
    assert _one(ssn_last4="4321")["ssn4"] == "4321"


def test_case_diacritics_and_punctuation():
    row = _one(first_name=" josé ", last_name="O'Brien-Núñez")
    assert row["first_name"] == "JOSE"
    assert row["last_name"] == "OBRIENNUNEZ"
    assert row["last_parts"] == "NUNEZ OBRIEN"


def test_suffix_split_from_surname_and_canonicalised():
    row = _one(first_name="John", last_name="Smith Jr.")
    assert (row["last_name"], row["suffix"]) == ("SMITH", "JR")
    assert _one(first_name="A", last_name="B", suffix="Senior")["suffix"] == "SR"


def test_nickname_equivalents_share_the_canonical_name():
    assert "ROBERT" in name_equivalents("BOB")
    assert set(name_equivalents("BILL")) & set(name_equivalents("WILLIAM"))


def test_soundex_groups_similar_surnames():
    assert soundex("SMITH") == soundex("SMYTH") == "S530"


def test_birth_year_and_initial_derived():
    row = _one(first_name="Ann", dob=dt.date(1990, 5, 6))
    assert (row["birth_year"], row["first_initial"]) == (1990, "A")


def test_birth_record_names_two_parent_identities():
    frame = pl.LazyFrame(
        {
            "record_key": ["idph-1"],
            "agency": ["idph"],
            "first_name": ["Kid"],
            "mother_first_name": ["Mary"],
            "mother_last_name": ["Smith"],
            "mother_maiden_name": ["Jones"],
            "father_first_name": ["Tom"],
            "father_last_name": ["Smith"],
        }
    )
    parents = parent_rows(frame).collect().sort("role")
    assert parents.get_column("role").to_list() == ["FATHER", "MOTHER"]
    assert parents.get_column("sex").to_list() == ["M", "F"]
    assert parents.filter(pl.col("role") == "MOTHER")["last_parts"].item() == "JONES SMITH"


def test_identical_rows_collapse_to_one_identity():
    frame = pl.LazyFrame(
        {
            "record_key": ["a-1", "a-2", "b-1", "b-2"],
            "agency": ["a", "a", "b", "b"],
            "first_name": ["Ann", "ANN", "Ann", "Bob"],
            "last_name": ["Lee", "lee", "Lee", "Lee"],
        }
    )
    rows, identities = build(frame)
    assert identities.height == 2
    ids = dict(zip(rows["record_key"], rows["identity_id"], strict=True))
    assert ids["a-1"] == ids["a-2"] == ids["b-1"] != ids["b-2"]
