"""synthesize -> validate -> link -> deidentify -> build on a small synthetic world,
with the analytic tables checked against the world's truth within the linkage error."""

from __future__ import annotations

import json

import polars as pl
import pytest

from enclave import cli
from enclave.analytic.spells import merge_spells
from enclave.config import AGENCIES
from enclave.testing.governance import write_terms

pytestmark = pytest.mark.slow
PERSONS = 400


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world")
    params = root / "params.yaml"
    params.write_text(f"synth:\n  persons: {PERSONS}\ndeid:\n  k_min: 3\n")
    write_terms(root)
    data = root / "data"
    p = ["--params", str(params)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENCLAVE_MASTER_KEY", "3c" * 32)
        steps = [
            ["synthesize", *p, "--landing", str(data / "landing"), "--truth", str(data / "truth")],
            *(
                ["validate", a, *p, "--landing", str(data / "landing" / a),
                 "--staged", str(data / "staged" / a), "--quarantine", str(data / "q" / a),
                 "--report", str(root / "reports" / f"{a}.json")]
                for a in AGENCIES
            ),
            ["link", *p, *(str(data / "staged" / a) for a in AGENCIES),
             "--out", str(data / "linkage")],
            ["deidentify", *p, "--project", "demo", "--staged", str(data / "staged"),
             "--linkage", str(data / "linkage"), "--landing", str(data / "landing"),
             "--out", str(data / "base"), "--report", str(root / "reports" / "risk.json")],
            ["build", *p, "--base", str(data / "base"), "--out", str(data / "analytic")],
        ]  # fmt: skip
        for step in steps:
            assert cli.main(step) == 0, step[0]
    return root


def table(root, name):
    return pl.read_parquet(root / "data" / "analytic" / f"{name}.parquet")


def truth(root, name):
    return pl.read_parquet(root / "data" / "truth" / name)


def within(observed: int, expected: int, share: float) -> bool:
    return abs(observed - expected) <= share * expected + 3


def test_persons_within_linkage_error(world):
    crosswalk = pl.read_parquet(world / "data" / "linkage" / "crosswalk.parquet")
    persons = table(world, "persons").height
    assert persons == crosswalk.get_column("person_key").n_unique()
    true_persons = truth(world, "records.parquet").get_column("person_id").n_unique()
    assert within(persons, true_persons, 0.25)


def test_events_agree_with_truth(world):
    events = dict(table(world, "life_events").group_by("event").len().iter_rows())
    programs = world / "data" / "truth" / "programs"
    school = pl.read_parquet(programs / "school.parquet").get_column("exit_status")
    expected = {
        "DEATH": pl.read_parquet(programs / "deaths.parquet").height,
        "PRISON_ADMISSION": pl.read_parquet(programs / "prison.parquet").height,
        "GRADUATION": int((school == "GRADUATED").sum()),
        "DROPOUT": int((school == "DROPOUT").sum()),
        "PLACEMENT": int(
            (
                pl.read_parquet(programs / "dcfs.parquet").get_column("event_type") == "PLACEMENT"
            ).sum()
        ),
    }
    for event, count in expected.items():
        assert within(events.get(event, 0), count, 0.05), event


def test_spells_agree_with_truth(world):
    programs = world / "data" / "truth" / "programs"
    medicaid = pl.read_parquet(programs / "medicaid.parquet").select(
        pl.col("person_id").cast(pl.String).alias("pid"),
        pl.lit("MEDICAID").alias("program"),
        pl.lit("hfs").alias("agency"),
        "start",
        "end",
        pl.lit(1.0).alias("match_probability"),
    )
    snap = pl.read_parquet(programs / "snap_tanf.parquet").select(
        pl.col("person_id").cast(pl.String).alias("pid"),
        "program",
        pl.lit("idhs").alias("agency"),
        pl.col("month").alias("start"),
        pl.col("month").dt.month_end().alias("end"),
        pl.lit(1.0).alias("match_probability"),
    )
    expected = dict(
        merge_spells(pl.concat([medicaid, snap]), 1).group_by("program").len().iter_rows()
    )
    observed = dict(table(world, "program_spells").group_by("program").len().iter_rows())
    for program, count in expected.items():
        assert within(observed.get(program, 0), count, 0.25), program


def test_research_zone_is_k_anonymous_and_passed_the_leak_scan(world):
    risk = json.loads((world / "reports" / "risk.json").read_text())
    assert risk["persons_below_k_after"] == 0
    below = [b for b in risk["class_sizes_after"] if b["size"] in ("1", "2")]
    assert all(b["persons"] == 0 for b in below)
    assert (world / "data" / "base" / "demographics.parquet").exists()
