"""Comparison levels of the linkage model on single record pairs: which level a pair
lands in, evaluated by DuckDB from the model's own SQL, as Splink evaluates it."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from enclave.linkage import model

#: a standardised identity record with every column the levels read
BLANK = {
    "first_name": None,
    "last_name": None,
    "first_initial": None,
    "first_equiv": [],
    "last_parts": [],
    "alias_first_name": None,
    "ssn": None,
    "sex": None,
    "dob": None,
}


def level(comparison, left: dict, right: dict) -> str:
    """The label of the first level of ``comparison`` whose condition the pair meets."""
    row = {f"{k}_l": v for k, v in (BLANK | left).items()}
    row |= {f"{k}_r": v for k, v in (BLANK | right).items()}
    cases = " ".join(
        f"WHEN {lvl.sql_condition} THEN '{lvl.label_for_charts}'"
        for lvl in comparison.get_comparison("duckdb").comparison_levels
        if lvl.sql_condition != "ELSE"
    )
    con = duckdb.connect()
    try:
        names = list(row)
        columns = ", ".join(f"${i + 1} AS {n}" for i, n in enumerate(names))
        con.execute(f"CREATE TABLE p AS SELECT {columns}", [row[n] for n in names])
        return con.execute(f"SELECT CASE {cases} ELSE 'else' END FROM p").fetchone()[0]
    finally:
        con.close()


def _name(first: str, last: str, sex: str = "M") -> dict:
    return {"first_name": first, "last_name": last, "first_initial": first[0], "sex": sex}


def test_a_full_swap_counts_on_both_names():
    a, b = _name("KNUTSON", "HORACIO"), _name("HORACIO", "KNUTSON")
    assert level(model.first_name_comparison(), a, b) == "swapped or alias"
    assert level(model.last_name_comparison(), a, b) == "swapped"


def test_a_swap_with_a_typo_in_one_name_still_counts_on_both():
    a, b = _name("SLEDGE", "NNACY", "F"), _name("NANCY", "SLEDGE", "F")
    assert level(model.first_name_comparison(), a, b) == "swapped or alias"
    assert level(model.last_name_comparison(), a, b) == "swapped"


def test_one_name_found_crosswise_counts_once():
    # EFRAIN LLOYD and LLOYD SCOTT: the same coincidence must not credit both names
    a, b = _name("EFRAIN", "LLOYD"), _name("LLOYD", "SCOTT")
    assert level(model.first_name_comparison(), a, b) == "swapped or alias"
    assert level(model.last_name_comparison(), a, b) == "else"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (dt.date(2011, 7, 19), dt.date(2011, 7, 20)),  # day across a carry: two digits
        (dt.date(2001, 9, 30), dt.date(2001, 10, 30)),  # month across a carry
        (dt.date(1979, 3, 4), dt.date(1980, 3, 4)),  # year across a carry
        (dt.date(1985, 11, 25), dt.date(1985, 11, 26)),  # one digit
        (dt.date(1999, 12, 31), dt.date(2000, 1, 1)),  # a day apart, every part differs
    ],
)
def test_a_date_of_birth_one_unit_off_is_a_keying_slip(left, right):
    got = level(model.dob_comparison(), {"dob": left}, {"dob": right})
    assert got == "one digit or one unit"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (dt.date(2000, 1, 1), dt.date(2000, 4, 17)),  # two digits, months apart
        (dt.date(1950, 6, 15), dt.date(1975, 6, 15)),  # a generation: Jr and Sr
        (dt.date(2001, 9, 3), dt.date(2001, 9, 15)),  # two digits, days apart
    ],
)
def test_a_date_of_birth_further_off_disagrees(left, right):
    assert level(model.dob_comparison(), {"dob": left}, {"dob": right}) == "else"


@pytest.mark.parametrize(("left", "right"), [("ORY", "ROY"), ("RKN", "RON")])
def test_one_keystroke_early_in_a_short_first_name_is_one_edit(left, right):
    # below both Jaro-Winkler cuts: the prefix a typo breaks is most of the name
    got = level(model.first_name_comparison(), _name(left, "MILLER"), _name(right, "MILLER"))
    assert got == "Damerau-Levenshtein distance of first_name <= 1"
