"""Known answer: the exit-outcomes toolkit on the small pipeline world recovers the two
effects the world planted (``data/truth/effects.json``): employment after a TANF exit
and after a prison release.

The estimate is the mean over exits of the share of the 4 quarters after the exit
quarter with a UI wage record, from the linked research zone; the planted value is the
same measure from the world's truth. The check (:func:`studies.disagreement`, in
tests/studies.py): the planted value lies within the estimate's 95% confidence interval
widened on each side by ``studies.LINKAGE_ERROR`` (its derivation there). The parameters
are this test's own (:data:`STUDY`), never the live params.yaml; the last exit date is
the small world's (its data end in 2022), and is checked against the effect's own
definition. The tests at the end show the check rejects a wrong definition, and the
notebook runs end to end through ``enclave study`` and passes the output checker.
"""

from __future__ import annotations

import re
from functools import partial

import polars as pl
import pytest
import studies

from enclave.disclosure.magnitude import mean_table
from enclave.studies import cohorts

pytestmark = pytest.mark.slow

#: the planted effects, by the program whose exits they follow
EFFECTS = {"TANF": "employment_after_tanf_exit", "PRISON": "post_release_employment"}
#: the definitions' parameters on the small world (synth end_year 2022: last exits in 2021)
STUDY = {
    "project": "demo",
    "last_exit": "2021-12-31",
    "followup_quarters": 4,
    "min_match_probability": 0.9,
    "ages": [18, 64],
    "alive_months": 13,
}
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the check of tests/studies.py, on a published mean row
disagreement = partial(studies.disagreement, value="mean")


def planted_last_exit(definition: str) -> str:
    """The last exit month a definition names, as the last day of that month."""
    months = re.findall(r"on or before (\d{4})-12", definition)
    days = re.findall(r"before (\d{4})-01-01", definition)
    if months:
        return f"{months[0]}-12-31"
    return f"{int(days[0]) - 1}-12-31"


@pytest.fixture(scope="module")
def effects(small_world) -> dict:
    return studies.planted_effects(small_world)


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("persons", "program_spells", "person_quarters", "life_events", "coverage")
    return studies.analytic_tables(small_world, STUDY["project"], names)


def estimate(tables, program: str, **changes) -> dict:
    """The published mean share (with its interval) for ``program`` exits."""
    first, last = cohorts.coverage(tables["coverage"], "EMPLOYMENT")
    settings = {
        "program": program,
        "ages": tuple(STUDY["ages"]),
        "last_exit": STUDY["last_exit"],
        "alive_months": STUDY["alive_months"],
        "n": STUDY["followup_quarters"],
        "min_match_probability": STUDY["min_match_probability"],
        "coverage_start": first,
        "coverage_end": last,
        **changes,
    }
    measure = settings.get("measure", "employed")
    after = cohorts.outcome_after_exit(
        tables["program_spells"],
        tables["persons"],
        tables["life_events"],
        tables["person_quarters"],
        **settings,
    )
    table = mean_table(after, None, measure, min_cell=MIN_CELL)
    return table.frame.row(0, named=True)


@pytest.mark.parametrize("program", sorted(EFFECTS))
def test_the_fixed_last_exit_is_the_planted_effects(effects, program):
    assert planted_last_exit(effects[EFFECTS[program]]["definition"]) == STUDY["last_exit"]


@pytest.mark.parametrize("program", sorted(EFFECTS))
def test_estimate_recovers_the_planted_effect(tables, effects, program):
    found = estimate(tables, program)
    assert found["persons"] >= 30  # enough exits for the interval to mean something
    assert disagreement(found, effects[EFFECTS[program]]["value"]) is None


# ----------------------------------------------------------------- the check can fail


def test_tanf_exits_of_any_age_are_rejected(tables, effects):
    """Children leave TANF with their parents and have no wages."""
    found = estimate(tables, "TANF", ages=(0, 120))
    assert disagreement(found, effects[EFFECTS["TANF"]]["value"])


def test_prison_measured_on_the_wrong_outcome_is_rejected(tables, effects):
    """Quarters back in prison instead of quarters with wages."""
    found = estimate(tables, "PRISON", measure="incarcerated")
    assert disagreement(found, effects[EFFECTS["PRISON"]]["value"])


def test_a_value_beyond_the_interval_is_rejected(tables):
    found = estimate(tables, "TANF")
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)
    assert disagreement({"mean": None}, 0.5)


# ----------------------------------------------------------- the study, end to end

#: the two studies as params.yaml sets them, over the small world's years
STUDIES = {
    name: {
        "notebook": "exit_outcomes",
        "project": project,
        "exit_program": program,
        "last_exit": STUDY["last_exit"],
        "followup_quarters": 4,
        "min_match_probability": 0.9,
        "ages": [18, 64],
        "alive_months": 13,
        "return_quarters": [1, 2, 4, 8, 12],
        "comparison_k": 1,
        "comparison_seed": 20240101,
        "sensitivity_match_probabilities": [0.5, 0.9, 0.99],
    }
    for name, project, program in (
        ("exit_outcomes_tanf", "demo", "TANF"),
        ("exit_outcomes_prison", "reentry", "PRISON"),
    )
}
#: each project's lead (governance/projects/*.yaml)
LEADS = {"demo": "ana_researcher", "reentry": "cara_researcher"}
#: the tables each study saves; on the small world the minimised reentry project
#: withholds every birth year (too few persons to publish one), so no release has a
#: known age: the prison study says so in a sentence and publishes nothing
TABLES = {
    "exit_outcomes_tanf": [
        "comparison.csv",
        "difference.csv",
        "earnings_after_exit.csv",
        "employment_after_exit.csv",
        "follow_up.csv",
        "sensitivity.csv",
        "time_to_return.csv",
    ],
    "exit_outcomes_prison": [],
}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_and_passes_the_output_checker(small_world, tmp_path, name):
    lead = LEADS[STUDIES[name]["project"]]
    out = studies.run_study(small_world, tmp_path, name, STUDIES, user=lead, min_cell=MIN_CELL)
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == TABLES[name]
