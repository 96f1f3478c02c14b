"""Known answer: the children-in-care toolkit on the small pipeline world recovers the
effect the world planted (``data/truth/effects.json``): ``graduation_gap_foster``, the
graduation rate of students placed in foster care minus that of the others.

The estimate is the same measure from the linked research zone (the grade-9 cohort of
:func:`enclave.studies.school.school_cohort`); the check (:func:`disagreement`): the
planted value lies within the estimate's 95% interval widened on each side by
:data:`LINKAGE_ERROR`. The small world has only a handful of children in care, fewer than
the minimum cell, so a published share would be suppressed: the test computes the
interval :func:`~enclave.disclosure.share_difference` would publish (Newcombe's hybrid
score interval from the two Wilson intervals) from the unpublished counts. Nothing of it
leaves the test. The parameters are this test's own (:data:`STUDIES`), never the live
params.yaml; the last cohort is read from the coverage table and checked against the
effect's own definition. The tests after show the check rejects a wrong answer, and the
notebook runs end to end through ``enclave study`` (also on an empty cohort) and passes
the output checker.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from scipy.stats import binomtest

from enclave import cli
from enclave.disclosure.rates import newcombe
from enclave.paths import Paths
from enclave.studies import school

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EFFECT = "graduation_gap_foster"
PROJECT = "demo"
MIN_MATCH_PROBABILITY = 0.9
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the cluster error of linkage measured on the default world, as in
#: tests/pipeline/test_study_known_answer.py (its LINKAGE_ERROR, with its derivation):
#: (1 - precision) + (1 - recall) of the exact-cluster measure, 0.052669 rounded up.
LINKAGE_ERROR = 0.053


def planted_last_cohort(definition: str) -> int:
    """The last school year a definition's cohort reaches (``y9 + 4 <= YEAR``)."""
    return int(re.findall(r"y9 \+ 4 <= (\d{4})", definition)[0])


def disagreement(estimate: dict, known: float, linkage_error: float = LINKAGE_ERROR) -> str | None:
    """Why the 95% interval of ``estimate`` widened by the linkage error does not hold
    ``known`` (None if it does)."""
    if estimate["gap"] is None:
        return "no estimate"
    lo, hi = estimate["lower"] - linkage_error, estimate["upper"] + linkage_error
    return None if lo <= known <= hi else f"{known:.4f} outside [{lo:.4f}, {hi:.4f}]"


def _wilson(events: int, persons: int) -> tuple[float, float, float]:
    ci = binomtest(events, persons).proportion_ci(confidence_level=0.95, method="wilson")
    return events / persons, float(ci.low), float(ci.high)


def gap(cohort: pl.DataFrame, group: str, reference: str, outcome: str = "graduated") -> dict:
    """``outcome``'s share in ``group`` minus that in ``reference``, with the Newcombe
    interval :func:`~enclave.disclosure.share_difference` publishes."""
    counts = {
        g: (int(n), int(e))
        for g, n, e in cohort.group_by("group").agg(pl.len(), pl.col(outcome).sum()).iter_rows()
    }
    if group not in counts or reference not in counts:
        return {"gap": None, "persons": counts.get(group, (0, 0))[0]}
    (n1, e1), (n0, e0) = counts[group], counts[reference]
    d, low, high = newcombe(_wilson(e1, n1), _wilson(e0, n0))
    return {"gap": d, "lower": low, "upper": high, "persons": n1}


@pytest.fixture(scope="module")
def world(small_world) -> Path:
    return small_world


@pytest.fixture(scope="module")
def effect(world) -> dict:
    return json.loads((Paths(world).truth / "effects.json").read_text())[EFFECT]


@pytest.fixture(scope="module")
def tables(world) -> dict[str, pl.LazyFrame]:
    root = Paths(world).analytic(PROJECT)
    names = ("school_years", "program_spells", "persons", "coverage")
    return {t: pl.scan_parquet(root / f"{t}.parquet") for t in names}


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


# ----------------------------------------------------------------- the check can fail


def test_the_reversed_gap_is_rejected(cohort, effect):
    """The others' rate minus that of the children in care."""
    found = gap(cohort, school.NOT_IN_CARE, school.IN_CARE)
    assert disagreement(found, effect["value"])


def test_a_value_beyond_the_interval_is_rejected(cohort):
    found = gap(cohort, school.IN_CARE, school.NOT_IN_CARE)
    assert disagreement(found, found["upper"] + LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - LINKAGE_ERROR - 0.001)
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
        ]
    ),
    "children_in_care_empty": [],
}
#: the demo project's lead (governance/projects/demo.yaml)
LEAD = "ana_researcher"


def _params(directory: Path) -> Path:
    """This test's params beside the repository's agreement (whose rules the study meets)."""
    shutil.copytree(REPO / "governance", directory / "governance")
    path = directory / "study_params.yaml"
    fixed = {"disclosure": {"min_cell": MIN_CELL}, "studies": STUDIES}
    path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    return path


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_and_passes_the_output_checker(world, tmp_path, name):
    params = _params(tmp_path / "params")
    out = tmp_path / "outputs" / name
    report = tmp_path / "check.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(world))
        mp.setenv("ENCLAVE_USER", LEAD)
        argv = ["study", name, "--params", str(params)]
        argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
        assert cli.main(argv) == 0
        argv = ["outputs", "check", str(out), "--study", name, "--params", str(params)]
        assert cli.main([*argv, "--report", str(report)]) == 0
    checked = json.loads(report.read_text())
    assert checked["passed"] and checked["findings"] == []
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == TABLES[name]
    report_text = (out / "report.html").read_text()
    empty_note = "No student meets the cohort definition" in report_text
    assert empty_note == (name == "children_in_care_empty")
