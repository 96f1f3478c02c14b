"""Known answer: the service-overlap study through the whole pipeline on a small
synthetic world agrees with the same measures computed from the truth.

The truth side (:mod:`enclave.studies.truth`) uses the true person of every staged
record instead of the linked pseudonym, so the two differ only by linkage error
(and the match-probability filter). The headline share is also checked against the
effect the world planted (``data/truth/effects.json``), measured from the raw truth.

The study's parameters are this test's own (:data:`STUDY`), never the live params.yaml:
an experiment (``dvc exp run -S studies.service_overlap...``) changes what the pipeline
studies, not what this test knows the answer for. The tolerances are fixed too, not read
from the run's linkage report (worse linkage must fail the test, not widen it):
``studies.LINKAGE_ERROR`` (tests/studies.py, with its derivation), plus, against the
planted effect, the truth's own sampling error. :func:`disagreement` is the one
comparison, and the tests at the end show it rejects a wrong period and a perturbed
estimate.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
import studies
import yaml

from enclave import cli, config
from enclave.paths import Paths
from enclave.studies import overlap, truth
from enclave.studies.overlap import Period

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

#: the planted effect the headline share is checked against (its definition: SNAP
#: recipients with a member-month in calendar 2019, the share also on Medicaid in 2019)
EFFECT = "snap_medicaid_share_2019"
#: the period of that effect
PERIOD = Period.parse("2019-01-01", "2019-12-31")
#: the study's parameters for this test: the notebook's committed defaults, over PERIOD
STUDY = {
    "project": "demo",
    "period_start": PERIOD.start.isoformat(),
    "period_end": PERIOD.end.isoformat(),
    "min_match_probability": 0.9,
    "age_groups": [0, 18, 26, 45, 65],
    "top_combinations": 15,
}
#: the agreement's minimum cell for the demo project's data (HFS: 11); ``enclave study``
#: refuses a lower one
MIN_CELL = 11
#: the linkage tolerance of the studies' known-answer tests (its derivation there)
LINKAGE_ERROR = studies.LINKAGE_ERROR
#: the largest sampling tolerance the planted effect may carry here: three standard
#: errors of a share near 0.8 over the few hundred SNAP recipients of the small world
#: are about 0.06; a larger one means the world is too small to test anything
MAX_SAMPLING_TOLERANCE = 0.1


@dataclass(frozen=True)
class Measured:
    """A measure over a period: a share or count (float), or a distribution of persons
    (level -> share); ``None`` when the study could not publish it."""

    value: float | Mapping[int, float] | None
    period: Period


def _distance(a: float | Mapping[int, float], b: float | Mapping[int, float]) -> float:
    if isinstance(a, Mapping) and isinstance(b, Mapping):  # total variation distance
        return sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in a.keys() | b.keys()) / 2
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        raise TypeError("a distribution compares with a distribution")
    return abs(a - b)


def disagreement(
    estimate: Measured, known: Measured, tolerance: float, *, relative: bool = False
) -> str | None:
    """Why ``estimate`` does not confirm ``known`` (None if it does): another period, no
    value, or farther than ``tolerance`` (of ``known`` itself when ``relative``)."""
    if estimate.period != known.period:
        return f"the estimate is for {estimate.period}, the known answer for {known.period}"
    if estimate.value is None or known.value is None:
        return "no value to compare"
    off = _distance(estimate.value, known.value)
    if relative:
        off /= abs(known.value)
    return None if off <= tolerance else f"off by {off:.4f}, more than {tolerance:.4f}"


def planted(effect: dict) -> tuple[Measured, float]:
    """A planted effect as a known answer over the calendar year its definition names,
    and its tolerance: the truth's sampling error (effects.json) plus linkage error."""
    (year,) = set(re.findall(r"calendar (\d{4})", effect["definition"]))
    period = Period.parse(f"{year}-01-01", f"{year}-12-31")
    return Measured(effect["value"], period), effect["tolerance"] + LINKAGE_ERROR


@pytest.fixture(scope="module")
def world(small_world) -> Path:
    return small_world


@pytest.fixture(scope="module")
def effect(world) -> dict:
    return studies.planted_effects(world)[EFFECT]


def _analytic(world: Path) -> dict[str, pl.LazyFrame]:
    paths = Paths(world)
    names = ("program_spells", "life_events", "persons")
    return {t: pl.scan_parquet(paths.analytic(STUDY["project"]) / f"{t}.parquet") for t in names}


def _truth(world: Path) -> tuple[pl.LazyFrame, dict[str, pl.LazyFrame]]:
    paths = Paths(world)
    records = pl.scan_parquet(paths.truth / "records.parquet")
    staged = {a: paths.staged(a) / "content.parquet" for a in config.AGENCIES}
    content = {a: pl.scan_parquet(path) for a, path in staged.items() if path.exists()}
    return records, content


def _per_person(touched: pl.LazyFrame) -> tuple[int, dict[int, float]]:
    """(persons, share of them by number of agencies touched)."""
    counts = touched.group_by("n_agencies").agg(n=pl.len()).collect()
    total = int(counts["n"].sum())
    return total, dict(zip(counts["n_agencies"], (counts["n"] / total).to_list(), strict=True))


def _linked_touched(world: Path, period: Period) -> pl.LazyFrame:
    a = _analytic(world)
    return overlap.agencies_touched(
        a["program_spells"], a["life_events"], a["persons"], period, STUDY["min_match_probability"]
    )


def _linked_share(world: Path, period: Period) -> Measured:
    spells = _analytic(world)["program_spells"]
    table = overlap.snap_medicaid(spells, period, STUDY["min_match_probability"], min_cell=MIN_CELL)
    return Measured(overlap.share(table, overlap.ON), period)


def _true_share(world: Path, period: Period) -> tuple[Measured, int]:
    snap, both = truth.snap_medicaid_counts(*_truth(world), period)
    return Measured(both / snap if snap else None, period), snap


def test_the_fixed_period_is_the_planted_effects(effect):
    known, _ = planted(effect)
    assert known.period == PERIOD
    assert effect["tolerance"] <= MAX_SAMPLING_TOLERANCE


def test_agencies_per_person_matches_the_truth(world):
    n_linked, linked = _per_person(_linked_touched(world, PERIOD))
    n_true, true = _per_person(truth.agencies_touched(*_truth(world), PERIOD))
    assert n_true > 500  # the small world is big enough to say something
    counted = Measured(n_linked, PERIOD)
    assert disagreement(counted, Measured(n_true, PERIOD), LINKAGE_ERROR, relative=True) is None
    assert disagreement(Measured(linked, PERIOD), Measured(true, PERIOD), LINKAGE_ERROR) is None


def test_snap_medicaid_share_matches_the_effect_and_the_truth(world, effect):
    share = _linked_share(world, PERIOD)
    known, tolerance = planted(effect)
    assert disagreement(share, known, tolerance) is None
    true, snap = _true_share(world, PERIOD)
    assert snap > 300  # enough SNAP recipients for a share to mean something
    assert disagreement(share, true, LINKAGE_ERROR) is None


# ----------------------------------------------------------------- the check can fail


def test_an_estimate_for_another_period_is_rejected(world, effect):
    """2015 on the small world: its share can lie within the tolerance of 2019's by
    value (the planted effect's sampling error is wide at this size, and shares move
    slowly from year to year), so the comparison checks the period first."""
    other = Period.parse("2015-01-01", "2015-12-31")
    share = _linked_share(world, other)
    known, tolerance = planted(effect)
    assert "2015-01-01/2015-12-31" in (disagreement(share, known, tolerance) or "")
    true, _ = _true_share(world, PERIOD)
    assert disagreement(share, true, LINKAGE_ERROR) is not None
    _, linked = _per_person(_linked_touched(world, other))
    _, true_2019 = _per_person(truth.agencies_touched(*_truth(world), PERIOD))
    any_tolerance = 1.0  # the period alone rejects it
    assert disagreement(Measured(linked, other), Measured(true_2019, PERIOD), any_tolerance)


def _beyond(estimate: Measured, known: Measured, tolerance: float) -> float:
    """How far to move an estimate to be rejected whichever way it moves: more than
    the tolerance plus how far it already is from the known answer."""
    return tolerance + _distance(estimate.value, known.value) + 0.005


def test_a_perturbed_share_is_rejected(world, effect):
    share = _linked_share(world, PERIOD)
    true, _ = _true_share(world, PERIOD)
    known, tolerance = planted(effect)
    for answer, allowed in ((known, tolerance), (true, LINKAGE_ERROR)):
        step = _beyond(share, answer, allowed)
        for moved in (share.value + step, share.value - step):
            assert disagreement(Measured(moved, PERIOD), answer, allowed), (moved, allowed)
    assert disagreement(Measured(None, PERIOD), true, LINKAGE_ERROR)


def test_a_perturbed_distribution_or_count_is_rejected(world):
    n_linked, linked = _per_person(_linked_touched(world, PERIOD))
    n_true, true = _per_person(truth.agencies_touched(*_truth(world), PERIOD))
    estimate, known = Measured(linked, PERIOD), Measured(true, PERIOD)
    # persons with one agency counted as having two: the distance moves by the step
    step = _beyond(estimate, known, LINKAGE_ERROR)
    moved = {**linked, 1: linked[1] - step, 2: linked.get(2, 0.0) + step}
    assert disagreement(Measured(moved, PERIOD), known, LINKAGE_ERROR)
    off = abs(n_linked - n_true) + LINKAGE_ERROR * n_true + 1
    for count in (n_linked + off, n_linked - off):
        counted = Measured(count, PERIOD)
        assert disagreement(counted, Measured(n_true, PERIOD), LINKAGE_ERROR, relative=True)


# ----------------------------------------------------------- the study, end to end


#: the tables the study saves
TABLES = sorted(
    [
        "agencies_by_age_group.csv",
        "agencies_by_county.csv",
        "agencies_per_person.csv",
        "snap_liheap.csv",
        "snap_medicaid.csv",
        "top_combinations.csv",
    ]
)


@pytest.fixture
def params_file(world, tmp_path) -> Path:
    """This test's params (:data:`STUDY`) beside a copy of the world's governance (the
    study reads the agreement beside its params file)."""
    path = tmp_path / "params" / "params.yaml"
    shutil.copytree(world / "governance", path.parent / "governance")
    fixed = {"disclosure": {"min_cell": MIN_CELL}, "studies": {"service_overlap": STUDY}}
    path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    return path


def test_study_runs_on_the_pipeline_world(world, params_file, tmp_path):
    out = tmp_path / "service_overlap"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(world))
        argv = ["study", "service_overlap", "--params", str(params_file)]
        argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
        assert cli.main(argv) == 0
    tables = sorted(p.name for p in (out / "tables").glob("*.csv"))
    assert tables == TABLES
    for name in tables:
        # count tables count persons in ``n``; the LIHEAP share in ``persons``, ``events``
        frame = pl.read_csv(out / "tables" / name, infer_schema_length=None)
        for column in {"n", "persons", "events"} & set(frame.columns):
            counts = frame.get_column(column).cast(pl.Int64).drop_nulls()
            assert not ((counts > 0) & (counts < MIN_CELL)).any(), (name, column)
    per_person = pl.read_csv(out / "tables" / "agencies_per_person.csv")
    assert per_person.filter(pl.col("n_agencies") == "Total").item(0, "n") > 500
