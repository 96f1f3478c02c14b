"""School outcomes of children in care (enclave.studies.school) on tiny hand-built
tables: one behaviour each, and a Hypothesis property of the matched classmates."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.disclosure import share_difference
from enclave.studies import is_empty, school
from enclave.studies.cohorts import sensitivity, setting_label
from enclave.studies.school import IN_CARE, NOT_IN_CARE

LAST = 2022  # the last school year covered in these toys: cohorts up to y9 = 2018


def year(pid, school_year, grade, status="ENROLLED", county="17031", mp=1.0, name_only=0):
    return {
        "pid": pid,
        "school_year": school_year,
        "grade": grade,
        "exit_status": status,
        "county_fips": county,
        "match_probability": mp,
        "name_only_records": name_only,
    }


def high_school(pid, y9=2018, last_status="GRADUATED", county="17031"):
    """Four on-time high-school years in one county, the last ending ``last_status``."""
    rows = [year(pid, y9 + g, 9 + g, county=county) for g in range(3)]
    return [*rows, year(pid, y9 + 3, 12, last_status, county=county)]


def placement(pid, start, program="DCFS_PLACEMENT", mp=1.0, name_only=0):
    return {
        "pid": pid,
        "program": program,
        "agency": "dcfs",
        "start": date.fromisoformat(start),
        "end": date.fromisoformat(start),
        "n_records": 1,
        "match_probability": mp,
        "name_only_records": name_only,
    }


SPELL_SCHEMA = {
    "pid": pl.String,
    "program": pl.String,
    "agency": pl.String,
    "start": pl.Date,
    "end": pl.Date,
    "n_records": pl.Int32,
    "match_probability": pl.Float64,
    "name_only_records": pl.Int32,
}
YEAR_SCHEMA = {
    "pid": pl.String,
    "school_year": pl.Int32,
    "grade": pl.Int8,
    "exit_status": pl.String,
    "county_fips": pl.String,
    "match_probability": pl.Float64,
    "name_only_records": pl.Int32,
}


def cohort_of(years, spells=(), sexes=None, **kwargs) -> pl.DataFrame:
    years = pl.DataFrame(years, schema=YEAR_SCHEMA).lazy()
    spells = pl.DataFrame(list(spells), schema=SPELL_SCHEMA).lazy()
    pids = years.select("pid").unique().collect().get_column("pid").to_list()
    sexes = sexes or {}
    persons = pl.DataFrame(
        {"pid": pids, "sex": [sexes.get(p, "F") for p in pids]},
        schema={"pid": pl.String, "sex": pl.String},
    ).lazy()
    kwargs.setdefault("last_cohort", LAST)
    return school.school_cohort(years, spells, persons, **kwargs).collect()


def row(cohort: pl.DataFrame, pid: str) -> dict:
    return cohort.filter(pl.col("pid") == pid).row(0, named=True)


# ------------------------------------------------------------------ coverage and cohort


@pytest.mark.parametrize(
    ("end", "last"),
    [(date(2023, 6, 30), 2022), (date(2023, 5, 31), 2021), (date(2023, 12, 31), 2022)],
)
def test_the_last_school_year_is_the_last_one_covered_to_30_june(end, last):
    cov = pl.DataFrame(
        {"source": ["SCHOOL", "TANF"], "agency": ["isbe", "idhs"]}
        | {"start": [date(2005, 7, 1)] * 2, "end": [end, date(2030, 1, 1)]}
    )
    assert school.last_school_year(cov) == last


def test_the_cohort_starts_with_the_first_grade_nine_year_four_years_before_the_last():
    years = [
        *high_school("a", y9=2018),  # y9 + 4 = 2022: in
        *high_school("b", y9=2019),  # 2023: out
        year("c", 2016, 9, county="17001"),  # repeats grade 9: y9 is the first
        year("c", 2017, 9, county="17031"),
        year("d", 2018, 8),  # never in grade 9
    ]
    cohort = cohort_of(years)
    assert cohort.get_column("pid").to_list() == ["a", "c"]
    assert row(cohort, "c")["y9"] == 2016
    assert row(cohort, "c")["county_fips"] == "17001"  # the grade-9 school's county


def test_graduated_and_dropped_out_are_any_school_year_with_that_status():
    years = [
        *high_school("g"),
        *high_school("d", last_status="DROPOUT"),
        *high_school("b", last_status="DROPOUT"),
        year("b", 2022, 12, "GRADUATED"),  # came back and graduated: both
    ]
    cohort = cohort_of(years)
    flags = {p: (row(cohort, p)["graduated"], row(cohort, p)["dropped_out"]) for p in "gdb"}
    assert flags == {"g": (True, False), "d": (False, True), "b": (True, True)}


# ------------------------------------------------------------------------------ in care


def test_in_care_is_a_placement_starting_before_1_july_of_y9_plus_4():
    years = [*high_school("in"), *high_school("late"), *high_school("inv"), *high_school("no")]
    spells = [
        placement("in", "2022-06-30"),
        placement("late", "2022-07-01"),
        placement("inv", "2015-03-01", program="DCFS_INVESTIGATION"),
    ]
    cohort = cohort_of(years, spells)
    got = {p: (row(cohort, p)["group"], row(cohort, p)["ever_placed"]) for p in cohort["pid"]}
    assert got == {
        "in": (IN_CARE, True),
        "late": (NOT_IN_CARE, True),  # placed too late, but never a classmate
        "inv": (NOT_IN_CARE, False),
        "no": (NOT_IN_CARE, False),
    }


def test_links_below_the_setting_are_not_counted():
    years = [*high_school("weak"), *high_school("name")]
    years[3] = year("weak", 2021, 12, "GRADUATED", mp=0.5)  # a weakly linked graduation
    years[7] = year("name", 2021, 12, "GRADUATED", name_only=1)
    spells = [placement("weak", "2016-01-01", mp=0.5), placement("name", "2016-01-01")]
    strict = cohort_of(years, spells, min_match_probability=0.9)
    assert row(strict, "weak")["group"] == NOT_IN_CARE and not row(strict, "weak")["graduated"]
    assert row(strict, "weak")["ever_placed"]  # still never drawn as a classmate
    assert row(strict, "name")["graduated"]
    no_names = cohort_of(years, spells, exclude_name_only=True)
    assert not row(no_names, "name")["graduated"] and row(no_names, "weak")["graduated"]


# ------------------------------------------------------------------------------- moves


def test_moves_count_county_changes_and_transfers_once_per_school_year():
    years = [
        year("m", 2016, 8, county="17001"),  # before grade 9: not counted
        year("m", 2017, 9, "TRANSFERRED", county="17031"),  # transfer and change: one move
        year("m", 2018, 10, county="17043"),
        year("m", 2019, 11, county=None),  # unknown county: no change either side
        year("m", 2020, 12, county="17043"),  # 4th year, followed by a change: a move
        year("m", 2021, 12, "TRANSFERRED", county="17089"),  # 5th year: outside the window
        *high_school("s", y9=2017),
    ]
    cohort = cohort_of(years)
    assert (row(cohort, "m")["moves"], row(cohort, "m")["moved"]) == (2, True)
    assert (row(cohort, "s")["moves"], row(cohort, "s")["moved"]) == (0, False)


# ------------------------------------------------------------------------ the main gap


def test_the_gap_is_the_in_care_graduation_rate_minus_the_others():
    years, spells = [], []
    for i in range(20):  # in care: 10 of 20 graduate
        years += high_school(f"c{i:02}", last_status="GRADUATED" if i < 10 else "DROPOUT")
        spells.append(placement(f"c{i:02}", "2012-05-01"))
    for i in range(40):  # not in care: 30 of 40
        years += high_school(f"o{i:02}", last_status="GRADUATED" if i < 30 else "DROPOUT")
    cohort = cohort_of(years, spells)
    gap = share_difference(
        cohort, "group", "graduated", group=IN_CARE, reference=NOT_IN_CARE, min_cell=5
    )
    assert gap.value("share", group=f"{IN_CARE} minus {NOT_IN_CARE}") == pytest.approx(-0.25)
    counts = dict(school.group_counts(cohort).collect().iter_rows())
    assert counts == {IN_CARE: 20, NOT_IN_CARE: 40}


def test_a_cohort_without_students_is_empty_not_an_error():
    cohort = cohort_of([year("a", 2020, 9)])  # too late for the cohort
    assert is_empty(cohort) and is_empty(school.in_care(cohort))
    assert is_empty(school.matched_classmates(cohort.lazy(), seed=1).collect())


def test_sensitivity_reruns_the_cohort_per_setting():
    years = [*high_school("a"), *high_school("b")]
    years[0] = year("a", 2018, 9, mp=0.6)
    years_f = pl.DataFrame(years, schema=YEAR_SCHEMA).lazy()
    spells = pl.DataFrame([], schema=SPELL_SCHEMA).lazy()
    persons = pl.DataFrame({"pid": ["a", "b"], "sex": ["F", "M"]}).lazy()
    rows = sensitivity(
        school.school_cohort,
        years_f,
        spells,
        persons,
        last_cohort=LAST,
        min_match_probabilities=[0.5, 0.9],
    )
    n = {s: school.in_setting(rows, s).collect().height for s in rows["setting"].unique()}
    # at 0.9, "a" loses its only grade-9 year (linked at 0.6) and leaves the cohort
    assert n == {
        setting_label(0.5, False): 2,
        setting_label(0.5, True): 2,
        setting_label(0.9, False): 1,
        setting_label(0.9, True): 1,
    }
    assert school.setting_name(0.9, False) == "sensitivity_0_9_kept"


# --------------------------------------------------------------------- matched classmates


def student(pid, y9=2018, sex="F", county="17031", care=False, placed=None, grad=True):
    placed = care if placed is None else placed
    return {
        "pid": pid,
        "y9": y9,
        "sex": sex,
        "county_fips": county,
        "group": IN_CARE if care else NOT_IN_CARE,
        "in_care": care,
        "ever_placed": placed,
        "graduated": grad,
        "dropped_out": not grad,
        "moves": 0,
        "moved": False,
    }


COHORT_SCHEMA = {
    "pid": pl.String,
    "y9": pl.Int32,
    "sex": pl.String,
    "county_fips": pl.String,
    "group": pl.String,
    "in_care": pl.Boolean,
    "ever_placed": pl.Boolean,
    "graduated": pl.Boolean,
    "dropped_out": pl.Boolean,
    "moves": pl.Int32,
    "moved": pl.Boolean,
}


def toy_cohort(rows) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=COHORT_SCHEMA).lazy()


TOY = [
    student("a", care=True),
    student("b"),
    student("c", grad=False),
    student("d", county="17043"),  # another county
    student("e", placed=True),  # placed after y9 + 4: never a classmate
    student("f", sex="M"),
    student("g", y9=2017),
    student("u", county=None, care=True),  # withheld county: only withheld matches
    student("v", county=None),
]


def mates(k, seed=7, rows=TOY) -> dict[str, list[str]]:
    found = school.matched_classmates(toy_cohort(rows), k=k, seed=seed).collect()
    return {t: g.get_column("pid").to_list() for (t,), g in found.group_by("matched_to")}


def test_classmates_share_year_sex_and_county_and_were_never_placed():
    assert sorted(mates(2)["a"]) == ["b", "c"]
    assert mates(1)["u"] == ["v"]
    assert len(mates(1)["a"]) == 1 and mates(1)["a"][0] in {"b", "c"}


def test_a_small_stratum_is_drawn_with_replacement_and_the_seed_fixes_the_draw():
    assert sorted(set(mates(3)["a"])) == ["b", "c"] and len(mates(3)["a"]) == 3
    assert mates(1, seed=3) == mates(1, seed=3)
    draws = {mates(1, seed=s)["a"][0] for s in range(20)}
    assert draws == {"b", "c"}


def test_matched_differences_take_each_child_against_the_mean_of_its_classmates():
    cohort = toy_cohort(TOY)
    classmates = school.matched_classmates(cohort, k=2, seed=7)
    diffs = school.matched_differences(cohort, classmates).collect()
    grad = sorted(diffs.filter(pl.col("outcome") == "graduated").get_column("difference"))
    assert grad == [0.0, 0.5]  # u (grad) vs v (grad) twice; a (grad) vs b and c (half)
    assert diffs.height == 2 * len(school.OUTCOMES)  # one row per child and outcome


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        school.matched_classmates(toy_cohort(TOY), k=0, seed=1)


# --------------------------------------------------------------------------- property

_students = st.builds(
    student,
    pid=st.none(),
    y9=st.integers(2016, 2018),
    sex=st.sampled_from(["F", "M", None]),
    county=st.sampled_from(["17031", "17043", None]),
    care=st.booleans(),
    placed=st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(_students, min_size=1, max_size=40),
    k=st.integers(1, 3),
    seed=st.integers(0, 2**32 - 1),
)
def test_property_classmates_match_their_child_and_were_never_in_care(rows, k, seed):
    rows = [
        r | {"pid": f"p{i:03}", "ever_placed": r["ever_placed"] or r["in_care"]}
        for i, r in enumerate(rows)
    ]
    cohort = toy_cohort(rows)
    found = school.matched_classmates(cohort, k=k, seed=seed).collect()
    by_pid = {r["pid"]: r for r in rows}
    key = ("y9", "sex", "county_fips")
    for mate in found.iter_rows(named=True):
        child = by_pid[mate["matched_to"]]
        assert child["in_care"] and not mate["ever_placed"]
        assert all(mate[c] == child[c] for c in key)  # None matches None only
    per_child = dict(found.group_by("matched_to").len().iter_rows())
    for child in (r for r in rows if r["in_care"]):
        pool = [r for r in rows if not r["ever_placed"] and all(r[c] == child[c] for c in key)]
        assert per_child.get(child["pid"], 0) == (k if pool else 0)
