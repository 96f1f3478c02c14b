"""Known answer: the service-overlap study through the whole pipeline on a small
synthetic world agrees with the same measures computed from the truth.

The truth side (:mod:`enclave.studies.truth`) uses the true person of every staged
record instead of the linked pseudonym, so the two differ only by linkage error
(and the match-probability filter). The tolerance is twice the measured pairwise
linkage error, ``(1 - precision) + (1 - recall)`` from ``reports/linkage.json``,
plus one point for the filter.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from enclave import cli, config
from enclave.paths import Paths
from enclave.studies import overlap, truth

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(small_world) -> Path:
    return small_world


@pytest.fixture(scope="module")
def setting(world):
    params = config.load(world / "params.yaml")
    study = params.studies.service_overlap
    period = overlap.Period.parse(study.period_start, study.period_end)
    return params, study, period


@pytest.fixture(scope="module")
def tolerance(world) -> float:
    pairwise = json.loads((world / "reports" / "linkage.json").read_text())["pairwise"]
    return 2 * ((1 - pairwise["precision"]) + (1 - pairwise["recall"])) + 0.01


def _analytic(world: Path, project: str) -> dict[str, pl.LazyFrame]:
    paths = Paths(world)
    names = ("program_spells", "life_events", "persons")
    return {t: pl.scan_parquet(paths.analytic(project) / f"{t}.parquet") for t in names}


def _truth(world: Path, params) -> tuple[pl.LazyFrame, dict[str, pl.LazyFrame]]:
    paths = Paths(world)
    records = pl.scan_parquet(paths.truth / "records.parquet")
    content = {a: pl.scan_parquet(paths.staged(a) / "content.parquet") for a in params.agencies}
    return records, content


def _shares(touched: pl.LazyFrame) -> tuple[int, dict[int, float]]:
    counts = touched.group_by("n_agencies").agg(n=pl.len()).collect()
    total = int(counts["n"].sum())
    return total, dict(zip(counts["n_agencies"], (counts["n"] / total).to_list(), strict=True))


def test_agencies_per_person_matches_the_truth(world, setting, tolerance):
    params, study, period = setting
    a = _analytic(world, study.project)
    linked = overlap.agencies_touched(
        a["program_spells"], a["life_events"], a["persons"], period, study.min_match_probability
    )
    true = truth.agencies_touched(*_truth(world, params), period)
    n_linked, p = _shares(linked)
    n_true, t = _shares(true)
    assert n_true > 500  # the small world is big enough to say something
    assert abs(n_linked - n_true) / n_true <= tolerance
    distance = sum(abs(p.get(k, 0.0) - t.get(k, 0.0)) for k in set(p) | set(t)) / 2
    assert distance <= tolerance


def test_snap_medicaid_share_matches_the_effect(world, setting, tolerance):
    params, study, period = setting
    a = _analytic(world, study.project)
    table = overlap.snap_medicaid(
        a["program_spells"], period, study.min_match_probability, min_cell=10
    )
    share = overlap.share(table, overlap.ON)
    effect = json.loads((Paths(world).truth / "effects.json").read_text())
    expected = effect["snap_medicaid_share_2019"]
    assert share is not None
    assert abs(share - expected["value"]) <= expected["tolerance"]
    snap, both = truth.snap_medicaid_counts(*_truth(world, params), period)
    assert abs(share - both / snap) <= tolerance


def test_study_runs_on_the_pipeline_world(world, setting, tmp_path):
    params = setting[0]
    out = tmp_path / "service_overlap"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(world))
        argv = ["study", "service_overlap", "--params", str(world / "params.yaml")]
        argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
        assert cli.main(argv) == 0
    for path in (out / "tables").glob("*.csv"):
        counts = pl.read_csv(path, schema_overrides={"n": pl.Int64}).get_column("n").drop_nulls()
        assert not ((counts > 0) & (counts < params.disclosure.min_cell)).any(), path.name
    per_person = pl.read_csv(out / "tables" / "agencies_per_person.csv")
    assert per_person.filter(pl.col("n_agencies") == "Total").item(0, "n") > 500
