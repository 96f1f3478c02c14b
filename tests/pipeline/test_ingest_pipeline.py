"""Ingestion on a small synthetic world: every agency extract the emitters write is
read, reconciled, and every row the world broke or repeated on purpose (the truth's
``err_invalid_row`` / ``err_duplicate_row``) is caught in quarantine."""

from __future__ import annotations

import json

import polars as pl
import pytest

from enclave import config
from enclave.ingest import run as ingest
from enclave.synth import run as synthesize

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingest_world")
    params = config.from_mapping({"synth": {"persons": 1500, "errors": {"invalid_row": 0.02}}})
    synthesize(params.synth, landing=root / "landing", truth=root / "truth")
    return root, params


@pytest.mark.parametrize("agency", config.AGENCIES)
def test_planted_faults_are_quarantined_and_rows_reconcile(world, agency):
    root, params = world
    result = ingest(
        agency,
        params.ingest,
        landing=root / "landing" / agency,
        staged=root / "staged" / agency,
        quarantine=root / "quarantine" / agency,
        report=root / "reports" / f"{agency}.json",
    )
    truth = pl.read_parquet(root / "truth" / "records.parquet").filter(agency=agency)
    report = json.loads((root / "reports" / f"{agency}.json").read_text())
    assert report["reconciled"] and report["rows_read"] == truth.height
    staged = set(pl.read_parquet(root / "staged" / agency / "identifiers.parquet")["record_key"])
    quarantined = set(result.quarantine["record_key"])
    assert staged | quarantined == set(truth["record_key"])
    planted = truth.filter(pl.col("err_invalid_row") | pl.col("err_duplicate_row"))
    assert set(planted["record_key"]) <= quarantined
    repeats = truth.filter("err_duplicate_row")["record_key"]
    assert report["duplicate_rows"] >= repeats.len()
    # every staged record says when it saw its identifiers (linkage's age evidence)
    seen = pl.read_parquet(root / "staged" / agency / "identifiers.parquet", columns=["seen"])
    assert seen.get_column("seen").null_count() == 0
