"""Known-answer tests: planted matches and hard cases are recovered; the link stage is
deterministic, reads any identifier files and keeps earlier person keys."""

from __future__ import annotations

import polars as pl
import pytest

from enclave import cli
from enclave.config import LinkageParams
from enclave.linkage import link, run
from enclave.linkage.evaluate import evaluate, pr_curve
from enclave.testing.planted import planted

PERSONS = 1500


@pytest.fixture(scope="module")
def world():
    return planted(PERSONS, seed=3)


@pytest.fixture(scope="module")
def linked(world):
    identifiers, _, _ = world
    return link(identifiers.lazy(), LinkageParams())


@pytest.fixture(scope="module")
def metrics(world, linked):
    identifiers, records, persons = world
    return evaluate(linked.crosswalk, linked.family, records, persons, identifiers)


def test_every_record_gets_one_person_key(world, linked):
    identifiers, _, _ = world
    cw = linked.crosswalk
    assert cw.get_column("record_key").to_list() == identifiers.get_column("record_key").to_list()
    assert cw.get_column("person_key").str.contains(r"^P[0-9a-f]{12}$").all()
    assert cw.get_column("match_probability").is_between(0.0, 1.0).all()


def test_planted_matches_recovered(metrics):
    assert metrics["pairwise"]["precision"] >= 0.99
    assert metrics["pairwise"]["recall"] >= 0.96
    assert metrics["pairwise"]["f1"] >= 0.975


def test_hard_cases_kept_apart(metrics):
    assert metrics["hard_cases"]["twins"]["kept_apart"] >= 0.9
    assert metrics["hard_cases"]["junior_senior"]["kept_apart"] >= 0.95
    assert metrics["hard_cases"]["surname_change"]["recall"] >= 0.8


def test_family_links_found(metrics):
    for role in ("mother", "father"):
        assert metrics["family"][role]["precision"] >= 0.97
        assert metrics["family"][role]["recall"] >= 0.9


def test_precision_rises_with_threshold(world, linked):
    curve = pr_curve(linked.identity_map, linked.pairs, world[1])
    precision = curve.get_column("precision").to_list()
    recall = curve.get_column("recall").to_list()
    assert recall == sorted(recall, reverse=True)
    assert precision[-1] >= precision[0]


def test_run_writes_same_bytes_twice_from_csv_and_parquet(tmp_path, world):
    identifiers, _, _ = world
    small = identifiers.filter(pl.col("record_key").str.slice(-3).is_in(["001", "002", "003"]))
    hfs = small.filter(pl.col("agency") == "hfs")
    # a CSV with only some standard columns and no agency column: missing -> null
    csv = tmp_path / "partners.csv"
    small.filter(pl.col("agency") == "idhs").select(
        "record_key", "first_name", "last_name", "dob", "ssn"
    ).write_csv(csv)
    staged = tmp_path / "staged" / "hfs"
    staged.mkdir(parents=True)
    hfs.write_parquet(staged / "identifiers.parquet")
    outs = []
    for name in ("a", "b"):
        run(LinkageParams(), [staged, csv], tmp_path / name, None)
        outs.append((tmp_path / name / "crosswalk.parquet").read_bytes())
    assert outs[0] == outs[1]
    cw = pl.read_parquet(tmp_path / "a" / "crosswalk.parquet")
    assert cw.height == hfs.height + small.filter(pl.col("agency") == "idhs").height


def test_existing_keys_survive_a_new_delivery(tmp_path, world):
    identifiers, _, _ = world
    first = identifiers.filter(pl.col("agency").is_in(["hfs", "idhs"]))
    first.write_parquet(tmp_path / "first.parquet")
    identifiers.filter(pl.col("agency") == "isbe").write_parquet(tmp_path / "second.parquet")
    assert cli.main(["link", str(tmp_path / "first.parquet"), "--out", str(tmp_path / "v1")]) == 0
    old = pl.read_parquet(tmp_path / "v1" / "crosswalk.parquet")
    args = ["link", str(tmp_path / "first.parquet"), str(tmp_path / "second.parquet")]
    args += [
        "--out",
        str(tmp_path / "v2"),
        "--existing",
        str(tmp_path / "v1" / "crosswalk.parquet"),
    ]
    assert cli.main(args) == 0
    new = pl.read_parquet(tmp_path / "v2" / "crosswalk.parquet")
    kept = old.join(new, on="record_key", suffix="_new")
    assert kept.height == old.height
    assert (kept["person_key"] == kept["person_key_new"]).all()
    assert new.height == first.height + identifiers.filter(pl.col("agency") == "isbe").height
