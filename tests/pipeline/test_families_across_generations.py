"""Known answer: the families toolkit on the small pipeline world recovers the effect the
world planted as ``parent_prison_investigation`` (``data/truth/effects.json``): among
children with a birth record, alive on their fifth birthday, the share with a child
welfare investigation before it, exposed (a parent named on the birth record admitted
to prison before the birth) minus not exposed.

The estimate comes from the linked research zone through the family links. Its 95%
interval is the one :func:`~enclave.disclosure.share_difference` builds, here from the
unpublished counts (:func:`studies.difference_interval`, in tests/studies.py): the small
world has few exposed children (about fifteen, a handful of them investigated), a cell
the published table suppresses. The check (:func:`studies.disagreement`): the planted
value lies within that interval widened on each side by ``studies.LINKAGE_ERROR`` (its
derivation there). The birth years are derived from the coverage table and checked
against the effect's own definition. The tests after show the check rejects a wrong
definition, and the notebook runs end to end through ``enclave study``, passes the
output checker, and gives notes, not a crash, where a cohort is empty or an outcome
cannot be observed.
"""

from __future__ import annotations

from functools import partial

import polars as pl
import pytest
import studies

from enclave.studies import families

pytestmark = pytest.mark.slow

EFFECT = "parent_prison_investigation"
#: the study's linkage settings (the notebook's defaults)
LINKAGE = {"min_match_probability": 0.9, "family_match_probability": 0.9}
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the check of tests/studies.py, on a difference of shares (:func:`gap`)
disagreement = partial(studies.disagreement, value="share")


def gap(rows: pl.DataFrame) -> dict:
    """Exposed minus not exposed, with its 95% interval and each group's size."""
    counts = rows.group_by("exposure").agg(pl.len().alias("n"), pl.col("outcome").sum().alias("k"))
    by = {r["exposure"]: (int(r["k"]), int(r["n"])) for r in counts.iter_rows(named=True)}
    exposed, other = by[families.EXPOSED], by[families.NOT_EXPOSED]
    share, lower, upper = studies.difference_interval(exposed, other)
    return {"share": share, "lower": lower, "upper": upper, "exposed": exposed[1]}


@pytest.fixture(scope="module")
def effect(small_world) -> dict:
    return studies.planted_effects(small_world)[EFFECT]


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("program_spells", "persons", "family_links", "life_events", "coverage")
    return studies.analytic_tables(small_world, "demo", names)


def estimate(tables, **changes) -> dict:
    settings = {
        "birth_years": families.birth_years(tables["coverage"]),
        "exposure": "PRISON",
        "ages": (0, 5),
        **LINKAGE,
        **changes,
    }
    rows = families.child_outcomes(
        tables["program_spells"],
        tables["persons"],
        tables["family_links"],
        tables["life_events"],
        **settings,
    )
    return gap(rows.collect())


def test_the_coverage_gives_the_planted_birth_years(tables, effect):
    assert families.birth_years(tables["coverage"]) == studies.planted_years(effect["definition"])


def test_estimate_recovers_the_planted_effect(tables, effect):
    found = estimate(tables)
    assert found["exposed"] >= 10  # a few exposed children: the interval is wide
    assert disagreement(found, effect["value"]) is None


def test_the_estimate_holds_with_name_only_links_excluded(tables, effect):
    found = estimate(tables, exclude_name_only=True)
    assert disagreement(found, effect["value"]) is None


# ----------------------------------------------------------------- the check can fail


def test_a_parent_on_medicaid_before_birth_is_rejected(tables, effect):
    """Most mothers have Medicaid in pregnancy: not the planted exposure."""
    assert disagreement(estimate(tables, exposure="MEDICAID"), effect["value"])


def test_a_value_beyond_the_interval_is_rejected(tables):
    found = estimate(tables)
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)
    assert disagreement({"share": None}, 0.5)


# ----------------------------------------------------------- the study, end to end

#: the notebook's parameters as params.yaml sets them (cohort years from coverage)
PARAMETERS = {
    "child_age": 5,
    **LINKAGE,
    "graduation_age": 19,
    "adult_snap_ages": [18, 25],
    "sensitivity_match_probabilities": [0.5, 0.9, 0.99],
}
STUDIES = {
    "families_across_generations": {
        "notebook": "families_across_generations",
        "project": "demo",
        "birth_years": [],
        **PARAMETERS,
    },
    # birth years after the data: every cohort is empty
    "families_across_generations_empty": {
        "notebook": "families_across_generations",
        "project": "demo",
        "birth_years": [2040, 2041],
        **PARAMETERS,
    },
}
#: the tables each study saves: six linkage settings; no child born in the small world's
#: 18 years reaches 19 (or 25) inside it, so the later outcomes are notes
TABLES = {
    "families_across_generations": sorted(
        [
            "investigation_by_parent_prison.csv",
            "investigation_by_parent_snap.csv",
            "investigation_by_parent_tanf.csv",
            *(f"sensitivity_{i}.csv" for i in range(1, 7)),
        ]
    ),
    "families_across_generations_empty": [],
}
#: the notes each study shows instead of a table (a part of each sentence)
NOTES = {
    "families_across_generations": [
        "High-school graduation by a parent's PRISON before birth cannot be observed",
        "SNAP as a young adult by a parent's TANF before birth cannot be observed",
    ],
    "families_across_generations_empty": [
        "No child with a birth record meets the definition",
        "Investigation by a parent's SNAP before birth: no comparison can be made",
        "High-school graduation by a parent's SNAP before birth cannot be observed",
    ],
}
#: the demo project's lead (governance/projects/demo.yaml)
LEAD = "ana_researcher"


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_and_passes_the_output_checker(small_world, tmp_path, name):
    out = studies.run_study(small_world, tmp_path, name, STUDIES, user=LEAD, min_cell=MIN_CELL)
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == TABLES[name]
    shown = studies.shown(out / "families_across_generations.ipynb")
    for note in NOTES[name]:
        assert note in shown
