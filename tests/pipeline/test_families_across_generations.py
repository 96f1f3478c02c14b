"""Known answer: the families toolkit on the small pipeline world recovers the effect the
world planted as ``parent_prison_investigation`` (``data/truth/effects.json``): among
children with a birth record, alive on their fifth birthday, the share with a child
welfare investigation before it, exposed (a parent named on the birth record admitted
to prison before the birth) minus not exposed.

The estimate comes from the linked research zone through the family links. Its 95%
interval is Newcombe's hybrid score interval built from the two groups' Wilson
intervals, as :func:`~enclave.disclosure.share_difference` builds it, here from the
unpublished counts: the small world has few exposed children (about fifteen, a handful
of them investigated), a cell the published table suppresses. The check
(:func:`disagreement`): the planted value lies within that interval widened on each side
by :data:`LINKAGE_ERROR`. The birth years are derived from the coverage table and checked
against the effect's own definition. The tests after show the check rejects a wrong
definition, and the notebook runs end to end through ``enclave study``, passes the
output checker, and gives notes, not a crash, where a cohort is empty or an outcome
cannot be observed.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import polars as pl
import pytest
import yaml
from scipy.stats import binomtest

from enclave import cli
from enclave.disclosure.rates import newcombe
from enclave.paths import Paths
from enclave.studies import families

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

EFFECT = "parent_prison_investigation"
#: the study's linkage settings (the notebook's defaults)
LINKAGE = {"min_match_probability": 0.9, "family_match_probability": 0.9}
#: the agreement's minimum cell for the demo project's data (HFS: 11)
MIN_CELL = 11
#: the cluster error of linkage measured on the default world, as in
#: tests/pipeline/test_exit_outcomes.py and test_study_known_answer.py (its derivation
#: there): only persons linkage gets wrong can be measured differently from the truth
LINKAGE_ERROR = 0.053


def planted_years(definition: str) -> tuple[int, int]:
    """The birth years a definition names ("born 2006-2017")."""
    first, last = re.findall(r"born (\d{4})-(\d{4})", definition)[0]
    return int(first), int(last)


def _wilson(events: int, persons: int) -> tuple[float, float, float]:
    ci = binomtest(events, persons).proportion_ci(confidence_level=0.95, method="wilson")
    return events / persons, float(ci.low), float(ci.high)


def gap(rows: pl.DataFrame) -> dict:
    """Exposed minus not exposed, with its 95% interval and each group's size."""
    counts = rows.group_by("exposure").agg(pl.len().alias("n"), pl.col("outcome").sum().alias("k"))
    by = {r["exposure"]: (int(r["k"]), int(r["n"])) for r in counts.iter_rows(named=True)}
    exposed, other = by[families.EXPOSED], by[families.NOT_EXPOSED]
    share, lower, upper = newcombe(_wilson(*exposed), _wilson(*other))
    return {"share": share, "lower": lower, "upper": upper, "exposed": exposed[1]}


def disagreement(row: dict, known: float, linkage_error: float = LINKAGE_ERROR) -> str | None:
    """Why the 95% interval of ``row`` widened by the linkage error does not hold
    ``known`` (None if it does)."""
    if row["share"] is None:
        return "no estimate"
    lo, hi = row["lower"] - linkage_error, row["upper"] + linkage_error
    return None if lo <= known <= hi else f"{known:.4f} outside [{lo:.4f}, {hi:.4f}]"


@pytest.fixture(scope="module")
def world(small_world) -> Path:
    return small_world


@pytest.fixture(scope="module")
def effect(world) -> dict:
    return json.loads((Paths(world).truth / "effects.json").read_text())[EFFECT]


@pytest.fixture(scope="module")
def tables(world) -> dict[str, pl.LazyFrame]:
    root = Paths(world).analytic("demo")
    names = ("program_spells", "persons", "family_links", "life_events", "coverage")
    return {t: pl.scan_parquet(root / f"{t}.parquet") for t in names}


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
    assert families.birth_years(tables["coverage"]) == planted_years(effect["definition"])


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
    assert disagreement(found, found["upper"] + LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - LINKAGE_ERROR - 0.001)
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


def _params(directory: Path) -> Path:
    """This test's params beside the repository's agreement (whose rules the study meets)."""
    shutil.copytree(REPO / "governance", directory / "governance")
    path = directory / "study_params.yaml"
    fixed = {"disclosure": {"min_cell": MIN_CELL}, "studies": STUDIES}
    path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    return path


def _shown(notebook: Path) -> str:
    """Every text/markdown and plain-text output of an executed notebook, joined."""
    nb = nbformat.read(notebook, as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts += [data.get("text/markdown", ""), data.get("text/plain", "")]
            assert output.get("output_type") != "error"
    return " ".join(t if isinstance(t, str) else "".join(t) for t in texts)


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
    shown = _shown(out / "families_across_generations.ipynb")
    for note in NOTES[name]:
        assert note in shown
