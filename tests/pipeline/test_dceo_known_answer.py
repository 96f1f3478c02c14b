"""Known answers for DCEO's two programs on the small pipeline world: the studies'
estimates recover the effects the world planted (``data/truth/effects.json``).

- ``liheap_among_snap`` (:mod:`enclave.studies.energy`, a section of the
  service-overlap study): of the SNAP recipients of the last program year, the share in
  a LIHEAP-assisted household. The planted value lies within the estimate's Wilson 95%
  interval widened by ``studies.LINKAGE_ERROR`` (a share of persons: the bound holds).
- ``wioa_reemployment`` (:mod:`enclave.studies.training`): per job loss, the share of
  the second year after it worked, WIOA-trained minus not. A difference of two means of
  persons' shares, each of which linkage error moves by at most the bound, so the
  interval is widened by ``studies.LINKAGE_ERROR`` too.

The intervals are computed from the unpublished rows as
:func:`~enclave.disclosure.proportions` and :func:`~enclave.disclosure.mean_difference`
would publish them (the small world has few WIOA trainees, fewer than the minimum
cell). The parameters are this test's own, never the live params.yaml; the program year
and the window are read from the coverage table and checked against the effects' own
definitions. Each check is shown to reject a wrong answer.
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import polars as pl
import pytest
import studies
from scipy import stats

from enclave.studies import energy, training
from enclave.studies.cohorts import coverage, quarter_index

pytestmark = pytest.mark.slow

PROJECT = "demo"
MIN_MATCH_PROBABILITY = 0.9
LIHEAP_EFFECT, WIOA_EFFECT = "liheap_among_snap", "wioa_reemployment"


@pytest.fixture(scope="module")
def effects(small_world) -> dict:
    return studies.planted_effects(small_world)


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("program_spells", "persons", "life_events", "person_quarters", "coverage")
    return studies.analytic_tables(small_world, PROJECT, names)


# ---------------------------------------------------------- LIHEAP among SNAP recipients

disagreement = partial(studies.disagreement, value="share")


def share_of(recipients: pl.DataFrame) -> dict:
    """The share listed with its Wilson 95% interval (as ``proportions`` publishes it)."""
    n, k = recipients.height, int(recipients[energy.LISTED].sum())
    if n == 0:
        return {"share": None, "persons": 0}
    share, low, high = studies._wilson(k, n)
    return {"share": share, "lower": low, "upper": high, "persons": n}


@pytest.fixture(scope="module")
def program_year(tables) -> int:
    return energy.last_program_year(tables["coverage"])


@pytest.fixture(scope="module")
def recipients(tables, program_year) -> pl.DataFrame:
    return energy.snap_recipients(
        tables["program_spells"], program_year, min_match_probability=MIN_MATCH_PROBABILITY
    ).collect()


def test_the_program_year_is_the_planted_effects(program_year, effects):
    (named,) = set(re.findall(r"program year (\d{4})", effects[LIHEAP_EFFECT]["definition"]))
    assert program_year == int(named)


def test_liheap_among_snap_recovers_the_planted_effect(recipients, effects):
    found = share_of(recipients)
    assert found["persons"] > 200  # enough SNAP recipients for a share to mean something
    assert disagreement(found, effects[LIHEAP_EFFECT]["value"]) is None


def test_the_liheap_check_rejects_a_wrong_answer(tables, recipients, program_year, effects):
    """A program year earlier (the persons on SNAP in it, listed in it) is another
    answer: it differs by sampling alone, so the interval must not be taken for any;
    moved beyond the interval and the bound, the estimate is rejected."""
    found = share_of(recipients)
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)
    # the recipients of another program: TANF adults and children are SNAP's too, but
    # the share of everyone (not only SNAP recipients) listed is far lower
    everyone = tables["persons"].select("pid").collect()
    listed = recipients.filter(pl.col(energy.LISTED)).select("pid")
    diluted = everyone.with_columns(pl.col("pid").is_in(listed["pid"].implode()).alias("x"))
    wrong = share_of(diluted.rename({"x": energy.LISTED}))
    assert disagreement(wrong, effects[LIHEAP_EFFECT]["value"])


def test_a_program_year_without_records_holds_nobody(tables):
    early = energy.snap_recipients(tables["program_spells"], 1990).collect()
    assert early.height == 0 and share_of(early)["share"] is None


# ------------------------------------------------------- re-employment after WIOA training

mean_disagreement = partial(studies.disagreement, value="gap")


def mean_gap(after: pl.DataFrame) -> dict:
    """Trained minus not trained, with the interval ``mean_difference`` publishes: each
    group's t interval, the half-widths combined in quadrature."""
    groups = {}
    for name in (training.TRAINED, training.NOT_TRAINED):
        v = after.filter(pl.col("group") == name)["employed"].to_numpy()
        if len(v) < 2:
            return {"gap": None, "persons": len(v)}
        half = stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v))
        groups[name] = (float(v.mean()), float(half), len(v))
    (m1, h1, n1), (m0, h0, _) = groups[training.TRAINED], groups[training.NOT_TRAINED]
    half = float(np.hypot(h1, h0))
    return {"gap": m1 - m0, "lower": m1 - m0 - half, "upper": m1 - m0 + half, "persons": n1}


@pytest.fixture(scope="module")
def losses(tables) -> pl.DataFrame:
    return training.job_losses(
        tables["program_spells"],
        tables["persons"],
        tables["life_events"],
        min_match_probability=MIN_MATCH_PROBABILITY,
    ).collect()


@pytest.fixture(scope="module")
def after(tables, losses) -> pl.DataFrame:
    _, wages_to = coverage(tables["coverage"], training.EMPLOYMENT)
    return training.reemployment(
        losses.lazy(), tables["person_quarters"], coverage_end=wages_to
    ).collect()


def test_losses_follow_the_planted_definition(losses, after, effects):
    """From WIOA's start, enrolments counted within 4 quarters, quarters 5-8 followed, as
    the planted definition words them; ages 18-64."""
    definition = effects[WIOA_EFFECT]["definition"]
    assert "2015-Q3" in definition and f"q + 1 to q + {training.ENROLLED_WITHIN}" in definition
    lo, hi = training.FOLLOWED
    assert f"quarters q + {lo} to q + {hi}" in definition
    start = pl.select(quarter_index(pl.lit(training.WIOA_START))).item()
    assert (losses["index_quarter"] + 1 >= start).all()
    assert losses["age"].is_between(*training.AGES).all()
    assert after["employed"].is_between(0, 1).all() and after.height < losses.height


def test_wioa_reemployment_recovers_the_planted_effect(after, effects):
    found = mean_gap(after)
    assert found["persons"] >= 10  # losses followed by training: a wide interval
    assert mean_disagreement(found, effects[WIOA_EFFECT]["value"]) is None


def test_the_wioa_check_rejects_a_wrong_answer(after, effects):
    """The reversed gap (not trained minus trained) is rejected, and so is a value
    beyond the interval and the bound."""
    found = mean_gap(after)
    reversed_gap = {**found, "gap": -found["gap"], "lower": -found["upper"],
                    "upper": -found["lower"]}  # fmt: skip
    assert mean_disagreement(reversed_gap, effects[WIOA_EFFECT]["value"])
    assert mean_disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert mean_disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)


# ----------------------------------------------------------- the study, end to end

#: the workforce-training study as params.yaml sets it
STUDY = {
    "notebook": "workforce_training",
    "project": PROJECT,
    "min_match_probability": MIN_MATCH_PROBABILITY,
    "sensitivity_match_probabilities": [0.5, 0.9, 0.99],
}
#: the demo project's lead (governance/projects/demo.yaml) and the agreement's minimum
#: cell for its data (HFS: 11)
LEAD, MIN_CELL = "ana_researcher", 11


def test_workforce_training_study_runs_and_passes_the_output_checker(small_world, tmp_path):
    """Through ``enclave study`` in the sandbox, then the output checker: the table of
    losses, the main estimate and one table per linkage setting (or a note where a
    setting sees no trainee), and the UI claims section's losses by wage and claim gap
    (``ui_claim_low_wage_gap``, tests/pipeline/test_ui_claims.py); every cell
    protected."""
    definitions = {"workforce_training": STUDY}
    out = studies.run_study(
        small_world, tmp_path, "workforce_training", definitions, user=LEAD, min_cell=MIN_CELL
    )
    tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
    assert {"losses.csv", "reemployment.csv", "ui_losses.csv", "ui_claims.csv"} <= set(tables)
    settings = [t for t in tables if t.startswith("sensitivity_")]
    report = (out / "report.html").read_text()
    assert len(settings) + report.count("no loss was followed by training") == 6
    assert "wioa_reemployment" in report and "ui_claim_low_wage_gap" in report
