"""Shared parts of the study tests.

The known-answer tests of the studies (tests/pipeline/test_exit_outcomes.py,
test_lifetime_service_use.py, test_children_in_care.py,
test_families_across_generations.py, test_study_known_answer.py) each fix their own
parameters, never the live params.yaml; what they share is here: the linkage tolerance
(:data:`LINKAGE_ERROR`, with its derivation), the check of a 95% interval against a
planted value (:func:`disagreement`), the interval of a difference of shares computed
from unpublished counts (:func:`difference_interval`), reading the world's planted
effects and analytic tables, and a study run end to end through ``enclave study`` and
``enclave outputs check`` on the test's own params (:func:`run_study`). The spec tests
of the studies share their tiny hand-built tables (:func:`spells_of`).

Importable as ``studies`` because tests/ is on ``sys.path`` (as for tests/world.py).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path

import nbformat
import polars as pl
import pytest
import yaml

from enclave import cli
from enclave.disclosure.rates import newcombe
from enclave.paths import Paths

REPO = Path(__file__).resolve().parents[1]

#: The share of persons whose records linkage does not gather into exactly one cluster
#: of their own, either way: ``(1 - precision) + (1 - recall)`` of the exact-cluster
#: measure (``cluster`` in reports/linkage.json). Measured once on the default world
#: (params.yaml synth defaults, 100,000 persons) by the evaluate_linkage stage:
#: reports/linkage.json as locked in dvc.lock at commit 572e3a1 (md5 4510d7d5...),
#: cluster precision 0.965951 and recall 0.98138, so 0.034049 + 0.01862 = 0.052669,
#: rounded up. Only such persons can be counted differently from the truth, so it
#: bounds the error of a share of persons and of a distribution of persons (total
#: variation distance). The small world links better (its own report: 0.021 + 0.012 =
#: 0.033), so the bound is conservative there; its linked count of persons, filter
#: included, was within 1% of the truth's when this was written.
LINKAGE_ERROR = 0.053


def disagreement(
    estimate: Mapping, known: float, *, value: str, linkage_error: float = LINKAGE_ERROR
) -> str | None:
    """Why the 95% interval of ``estimate`` (a row with ``value``, ``lower`` and
    ``upper``) widened on each side by the linkage error does not hold ``known`` (None if
    it does): only persons linkage gets wrong can be measured differently from the
    truth, so the planted value may lie up to :data:`LINKAGE_ERROR` beyond the interval.
    An estimate without a value (``estimate[value]`` None) never holds it."""
    if estimate[value] is None:
        return "no estimate"
    lo, hi = estimate["lower"] - linkage_error, estimate["upper"] + linkage_error
    return None if lo <= known <= hi else f"{known:.4f} outside [{lo:.4f}, {hi:.4f}]"


def _wilson(events: int, persons: int) -> tuple[float, float, float]:
    from scipy.stats import binomtest  # imported here: slow, and only the pipeline tests use it

    ci = binomtest(events, persons).proportion_ci(confidence_level=0.95, method="wilson")
    return events / persons, float(ci.low), float(ci.high)


def difference_interval(
    group: tuple[int, int], reference: tuple[int, int]
) -> tuple[float, float, float]:
    """The share of events in ``group`` minus that in ``reference`` (each ``(events,
    persons)``), with its 95% interval: Newcombe's hybrid score interval built from the
    two groups' Wilson intervals, as :func:`~enclave.disclosure.share_difference`
    builds it. The tests compute it from the unpublished counts where the small world
    has fewer persons in a group than the minimum cell (the published table suppresses
    the cell); nothing of it leaves the test."""
    return newcombe(_wilson(*group), _wilson(*reference))


def planted_years(definition: str) -> tuple[int, int]:
    """The birth years a planted effect's definition names ("born 2005-2017")."""
    first, last = re.findall(r"born (\d{4})-(\d{4})", definition)[0]
    return int(first), int(last)


def planted_effects(world: Path) -> dict:
    """The effects the world planted (``data/truth/effects.json``), by name."""
    return json.loads((Paths(world).truth / "effects.json").read_text())


def analytic_tables(world: Path, project: str, names: Iterable[str]) -> dict[str, pl.LazyFrame]:
    """The project's analytic tables ``names`` in the world's research zone, by name."""
    root = Paths(world).analytic(project)
    return {t: pl.scan_parquet(root / f"{t}.parquet") for t in names}


# ----------------------------------------------------------- a study, end to end


def write_params(directory: Path, definitions: Mapping, *, min_cell: int) -> Path:
    """The test's own params (``definitions``: its studies as params.yaml sets them, and
    the disclosure minimum cell) in ``directory``, beside a copy of the repository's
    governance (the agreement whose rules the study meets)."""
    shutil.copytree(REPO / "governance", directory / "governance")
    path = directory / "study_params.yaml"
    fixed = {"disclosure": {"min_cell": min_cell}, "studies": dict(definitions)}
    path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    return path


def run_study(
    world: Path, directory: Path, name: str, definitions: Mapping, *, user: str, min_cell: int
) -> Path:
    """Run study ``name`` of ``definitions`` (:func:`write_params`, under ``directory``)
    on ``world`` as ``user`` through ``enclave study``, then ``enclave outputs check``
    its outputs; both must succeed, and the checker must find nothing. Returns the
    study's output directory."""
    params = write_params(directory / "params", definitions, min_cell=min_cell)
    out = directory / "outputs" / name
    report = directory / "check.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(world))
        mp.setenv("ENCLAVE_USER", user)
        argv = ["study", name, "--params", str(params)]
        argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
        code = cli.main(argv)
        assert code == 0, f"enclave study {name} exited with {code}"
        argv = ["outputs", "check", str(out), "--study", name, "--params", str(params)]
        code = cli.main([*argv, "--report", str(report)])
        assert code == 0, f"enclave outputs check {name} exited with {code}"
    checked = json.loads(report.read_text())
    assert checked["passed"] and checked["findings"] == [], checked
    return out


def shown(notebook: Path) -> str:
    """Every text/markdown and plain-text output of an executed notebook, joined; no
    cell may have raised an error."""
    nb = nbformat.read(notebook, as_version=4)
    texts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            texts += [data.get("text/markdown", ""), data.get("text/plain", "")]
            assert output.get("output_type") != "error", output
    return " ".join(t if isinstance(t, str) else "".join(t) for t in texts)


# ------------------------------------------------------- tiny hand-built tables

#: the columns of ``family_links``
LINK_SCHEMA = {
    "child_pid": pl.String,
    "parent_pid": pl.String,
    "role": pl.String,
    "match_probability": pl.Float64,
}


def spells_of(rows: list[tuple]) -> pl.LazyFrame:
    """``program_spells`` from (pid, program, ISO start, ISO end[, match_probability[,
    name_only_records]]) rows; by default 1.0 and 0."""
    full = [(*r, *(1.0, 0)[len(r) - 4 :]) for r in rows]
    data = [
        (pid, prog, date.fromisoformat(s), date.fromisoformat(e), mp, no)
        for pid, prog, s, e, mp, no in full
    ]
    schema = {
        "pid": pl.String,
        "program": pl.String,
        "start": pl.Date,
        "end": pl.Date,
        "match_probability": pl.Float64,
        "name_only_records": pl.Int32,
    }
    return pl.DataFrame(data, schema=schema, orient="row").lazy()
