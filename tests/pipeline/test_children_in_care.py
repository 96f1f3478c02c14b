"""Known answer: the children-in-care toolkit on the small pipeline world recovers the
effect the world planted (``data/truth/effects.json``): ``graduation_gap_foster``, the
graduation rate of students placed in foster care minus that of the others.

The estimate is the same measure from the linked research zone (the grade-9 cohort of
:func:`enclave.studies.school.school_cohort`); the check (:func:`studies.disagreement`,
in tests/studies.py): the planted value lies within the estimate's 95% interval widened
on each side by ``studies.LINKAGE_ERROR`` (its derivation there). The small world has
only a handful of children in care, fewer than the minimum cell, so a published share
would be suppressed: the test computes the interval
:func:`~enclave.disclosure.share_difference` would publish from the unpublished counts
(:func:`studies.difference_interval`). The parameters are this test's own
(:data:`STUDIES`), never the live params.yaml; the last cohort is read from the coverage
table and checked against the effect's own definition. The tests after show the check
rejects a wrong answer, and the notebook runs end to end through ``enclave study`` (also
on an empty cohort) and passes the output checker.
"""

from __future__ import annotations

import re
from functools import partial

import polars as pl
import pytest
import studies

from enclave.studies import school, youth

pytestmark = pytest.mark.slow

EFFECT = "graduation_gap_foster"
PROJECT = "demo"
MIN_MATCH_PROBABILITY = 0.9
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the check of tests/studies.py, on a difference of shares (:func:`gap`)
disagreement = partial(studies.disagreement, value="gap")


def planted_last_cohort(definition: str) -> int:
    """The last school year a definition's cohort reaches (``y9 + 4 <= YEAR``)."""
    return int(re.findall(r"y9 \+ 4 <= (\d{4})", definition)[0])


def gap(cohort: pl.DataFrame, group: str, reference: str, outcome: str = "graduated") -> dict:
    """``outcome``'s share in ``group`` minus that in ``reference``, with the interval
    :func:`~enclave.disclosure.share_difference` publishes
    (:func:`studies.difference_interval`)."""
    counts = {
        g: (int(n), int(e))
        for g, n, e in cohort.group_by("group").agg(pl.len(), pl.col(outcome).sum()).iter_rows()
    }
    if group not in counts or reference not in counts:
        return {"gap": None, "persons": counts.get(group, (0, 0))[0]}
    (n1, e1), (n0, e0) = counts[group], counts[reference]
    d, low, high = studies.difference_interval((e1, n1), (e0, n0))
    return {"gap": d, "lower": low, "upper": high, "persons": n1}


@pytest.fixture(scope="module")
def effect(small_world) -> dict:
    return studies.planted_effects(small_world)[EFFECT]


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("school_years", "program_spells", "persons", "coverage")
    return studies.analytic_tables(small_world, PROJECT, names)


@pytest.fixture(scope="module")
def cohort(tables) -> pl.DataFrame:
    return school.school_cohort(
        tables["school_years"],
        tables["program_spells"],
        tables["persons"],
        last_cohort=school.last_school_year(tables["coverage"]),
        min_match_probability=MIN_MATCH_PROBABILITY,
    ).collect()


def test_the_last_cohort_from_coverage_is_the_planted_effects(tables, effect):
    assert school.last_school_year(tables["coverage"]) == planted_last_cohort(effect["definition"])
    assert "before 1 July of y9 + 4" in effect["definition"]


def test_estimate_recovers_the_planted_effect(cohort, effect):
    found = gap(cohort, school.IN_CARE, school.NOT_IN_CARE)
    assert found["persons"] >= 5  # a handful of children in care: a wide interval
    assert disagreement(found, effect["value"]) is None


# ------------------------------------------------- youth custody after placement

CUSTODY_EFFECT = "djj_after_placement"


@pytest.fixture(scope="module")
def custody_effect(small_world) -> dict:
    return studies.planted_effects(small_world)[CUSTODY_EFFECT]


@pytest.fixture(scope="module")
def youth_years(tables) -> pl.DataFrame:
    first, last = youth.youth_window(tables["coverage"])
    return youth.youth_years(
        tables["persons"],
        tables["program_spells"],
        first_year=first,
        last_year=last,
        min_match_probability=MIN_MATCH_PROBABILITY,
    ).collect()


def per_youth_years(found: dict) -> dict:
    """A difference of shares of youth-years as the planted effect states it."""
    scale = youth.PER_YOUTH_YEARS
    return {k: v * scale if k in ("gap", "lower", "upper") and v is not None else v
            for k, v in found.items()}  # fmt: skip


def test_youth_years_follow_the_planted_definition(youth_years, custody_effect, small_world):
    """Ages 13-17 on 1 July, each person once a year, inside the window both sources
    cover whole, and that window inside the years the definition names."""
    assert youth_years["age"].is_between(*youth.YOUTH_AGES).all()
    assert youth_years.select("pid", "year").is_unique().all()
    first, last = youth_years["year"].min(), youth_years["year"].max()
    planted = re.findall(r"each calendar year (\d{4})-(\d{4})", custody_effect["definition"])[0]
    assert int(planted[0]) <= first <= last <= int(planted[1])
    # placed before 1 July stays placed in the later years of the same youth
    placed = youth_years.filter(pl.col("placed")).group_by("pid").agg(pl.col("year").min())
    later = youth_years.join(placed, on="pid").filter(pl.col("year") > pl.col("year_right"))
    assert later["placed"].all()


def test_youth_custody_estimate_recovers_the_planted_effect(youth_years, custody_effect):
    """The planted rate difference (per 1,000 youth-years) lies in the estimate's 95%
    interval. The linkage error bound of a share of persons (``LINKAGE_ERROR``) would
    swamp a rate of a few per 1,000, so none is added: the interval alone must hold it."""
    found = per_youth_years(gap(youth_years, youth.PLACED, youth.NOT_PLACED, "admitted"))
    assert found["persons"] >= 20  # youth-years of placed youth
    assert disagreement(found, custody_effect["value"], linkage_error=0.0) is None


def test_the_youth_custody_check_rejects_a_wrong_answer(youth_years, custody_effect):
    found = per_youth_years(gap(youth_years, youth.PLACED, youth.NOT_PLACED, "admitted"))
    assert disagreement(found, found["upper"] + 0.1, linkage_error=0.0)
    assert disagreement(found, found["lower"] - 0.1, linkage_error=0.0)


# ----------------------------------------------------------------- the check can fail


def test_the_reversed_gap_is_rejected(cohort, effect):
    """The others' rate minus that of the children in care."""
    found = gap(cohort, school.NOT_IN_CARE, school.IN_CARE)
    assert disagreement(found, effect["value"])


def test_a_value_beyond_the_interval_is_rejected(cohort):
    found = gap(cohort, school.IN_CARE, school.NOT_IN_CARE)
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)
    assert disagreement({"gap": None}, -0.3)


# ----------------------------------------------------------- the study, end to end

#: the study as params.yaml sets it (the last cohort from the coverage table)
STUDY = {
    "notebook": "children_in_care",
    "project": PROJECT,
    "min_match_probability": MIN_MATCH_PROBABILITY,
    "comparison_k": 1,
    "comparison_seed": 20240101,
    "sensitivity_match_probabilities": [0.5, 0.9, 0.99],
}
#: the same with a cohort no student of the small world (records from 2005) belongs to
EMPTY = {**STUDY, "last_cohort": 1990}
STUDIES = {"children_in_care": STUDY, "children_in_care_empty": EMPTY}
SETTINGS = [
    f"sensitivity_{m}_{links}.csv" for m in ("0_5", "0_99", "0_9") for links in ("excluded", "kept")
]
TABLES = {
    "children_in_care": sorted(
        [
            "cohort.csv",
            "dropout.csv",
            "graduation.csv",
            "matched_difference.csv",
            "mobility.csv",
            *SETTINGS,
            "youth_custody.csv",
            "youth_years.csv",
        ]
    ),
    # no student in the cohort; the youth-custody section does not depend on it
    "children_in_care_empty": ["youth_custody.csv", "youth_years.csv"],
}
#: the demo project's lead (governance/projects/demo.yaml)
LEAD = "ana_researcher"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_and_passes_the_output_checker(small_world, tmp_path, name):
    out = studies.run_study(small_world, tmp_path, name, STUDIES, user=LEAD, min_cell=MIN_CELL)
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == TABLES[name]
    report_text = (out / "report.html").read_text()
    empty_note = "No student meets the cohort definition" in report_text
    assert empty_note == (name == "children_in_care_empty")
