"""Known answer: the lifetime-service-use toolkit on the small pipeline world recovers
the effect the world planted as ``medicaid_by_age_5`` (``data/truth/effects.json``):
the share of children with a birth record, alive on their fifth birthday, with a
Medicaid span starting before it.

The estimate comes from the linked research zone (``proportions``, a Wilson interval);
the planted value is the same measure on the world's truth. The check
(:func:`studies.disagreement`, in tests/studies.py): the planted value lies within the
estimate's 95% interval widened on each side by ``studies.LINKAGE_ERROR`` (its
derivation there). The parameters are this test's own
(:data:`STUDY`), never the live params.yaml: the window is the small world's (synth
2005-2022), checked against the effect's own definition. The tests after show the
check rejects a wrong definition, and the notebook runs end to end through ``enclave
study``, passes the output checker, and gives notes, not a crash, where a cohort is
empty.
"""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest
import studies

from enclave.disclosure import proportions
from enclave.studies import lifetime

pytestmark = pytest.mark.slow

EFFECT = "medicaid_by_age_5"
#: the small world's window (tests/world.py SMALL: synth start_year, end_year)
STUDY = {"project": "demo", "first_year": 2005, "last_year": 2022, "min_match_probability": 0.9}
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the check of tests/studies.py, on a published share row
disagreement = partial(studies.disagreement, value="share")


@pytest.fixture(scope="module")
def effect(small_world) -> dict:
    return studies.planted_effects(small_world)[EFFECT]


@pytest.fixture(scope="module")
def tables(small_world) -> tuple[pl.LazyFrame, ...]:
    names = ("program_spells", "persons", "life_events")
    return tuple(studies.analytic_tables(small_world, STUDY["project"], names).values())


def estimate(tables, **changes) -> dict:
    """The published share of the main estimate (with its interval)."""
    settings = {
        "program": "MEDICAID",
        "age": 5,
        "first_year": STUDY["first_year"],
        "last_year": STUDY["last_year"],
        "min_match_probability": STUDY["min_match_probability"],
        **changes,
    }
    frame = lifetime.used_before_age(*tables, **settings)
    return proportions(frame, None, "used", min_cell=MIN_CELL).frame.row(0, named=True)


def test_the_window_gives_the_planted_birth_years(effect):
    first, last = studies.planted_years(effect["definition"])
    assert (first, last + 5) == (STUDY["first_year"], STUDY["last_year"])


def test_estimate_recovers_the_planted_effect(tables, effect):
    found = estimate(tables)
    assert found["persons"] >= 100  # enough children for the interval to mean something
    assert disagreement(found, effect["value"]) is None


def test_the_estimate_holds_with_name_only_links_excluded(tables, effect):
    found = estimate(tables, exclude_name_only=True)
    assert disagreement(found, effect["value"]) is None


# ----------------------------------------------------------------- the check can fail


def test_snap_instead_of_medicaid_is_rejected(tables, effect):
    assert disagreement(estimate(tables, program="SNAP"), effect["value"])


def test_medicaid_before_the_first_birthday_is_rejected(tables, effect):
    """Many children are covered after their first year: the age matters."""
    assert disagreement(estimate(tables, age=1), effect["value"])


def test_a_value_beyond_the_interval_is_rejected(tables):
    found = estimate(tables)
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)
    assert disagreement({"share": None}, 0.5)


# ----------------------------------------------------------- the study, end to end

#: the notebook's parameters as params.yaml sets them, over the small world's years
PARAMETERS = {
    "min_match_probability": 0.9,
    "programs": [
        "MEDICAID",
        "SNAP",
        "TANF",
        "CCP",
        "DCFS_INVESTIGATION",
        "DCFS_PLACEMENT",
        "PRISON",
    ],
    "curve_ages": [1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16],
    "first_program_age": 5,
    "childhood_age": 18,
    "adult_ages": [18, 30],
    "top_count": 4,
    "sensitivity_match_probabilities": [0.5, 0.9, 0.99],
}
STUDIES = {
    "lifetime_service_use": {
        "notebook": "lifetime_service_use",
        "project": "demo",
        "observation_years": [],  # from the coverage table: the small world's years
        **PARAMETERS,
    },
    # a window after the data: every cohort is empty
    "lifetime_service_use_empty": {
        "notebook": "lifetime_service_use",
        "project": "demo",
        "observation_years": [STUDY["last_year"] + 1, STUDY["last_year"] + 2],
        **PARAMETERS,
    },
}
#: the tables each study saves. No child born in the small world's 18 years reaches 18
#: inside it, so the count of programs by 18 is a note; the empty study saves nothing
#: (its window holds no veteran-year either)
TABLES = {
    "lifetime_service_use": [
        "first_program.csv",
        "medicaid_by_age_five.csv",
        "not_yet_used_by_age.csv",
        "programs_young_adult.csv",
        "sensitivity.csv",
        "veteran_years.csv",
        "veterans_home.csv",
    ],
    "lifetime_service_use_empty": [],
}
#: the notes each study shows instead of a table (the start of each sentence)
NOTES = {
    "lifetime_service_use": ["No child with a birth record reaches that birthday"],
    "lifetime_service_use_empty": [
        "No child with a birth record is followed from birth to the fifth birthday",
        "No child with a birth record was born in this window",
        "No child with a birth record is followed to that birthday",
        "No child with a birth record reaches that birthday",
        "No person is followed over that whole age range",
        "The veterans of this window are not seen both in and out of community care",
    ],
}
#: the demo project's lead (governance/projects/demo.yaml)
LEAD = "ana_researcher"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_and_passes_the_output_checker(small_world, tmp_path, name):
    out = studies.run_study(small_world, tmp_path, name, STUDIES, user=LEAD, min_cell=MIN_CELL)
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == TABLES[name]
    shown = studies.shown(out / "lifetime_service_use.ipynb")
    for note in NOTES[name]:
        assert note in shown
