"""The evaluate-linkage stage on files (``evaluate.run``): its streamed pass over the
linkage zone, staged identifiers and truth gives what the metric functions give on the
same tables in memory, and the same bytes when the files are not side by side."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from enclave import io
from enclave.config import LinkageParams
from enclave.linkage import link
from enclave.linkage.evaluate import STAGED_COLUMNS, evaluate, pr_curve, run
from enclave.testing.planted import planted


@pytest.fixture(scope="module")
def world():
    identifiers, records, persons = planted(300, seed=5)
    return identifiers, records, persons, link(identifiers.lazy(), LinkageParams())


def _write_zone(root: Path, world, crosswalk: pl.DataFrame | None = None) -> Path:
    """The stage's inputs under ``root``: linkage zone, staged agencies, truth."""
    identifiers, records, persons, linked = world
    zone = root / "linkage"
    zone.mkdir(parents=True)
    (crosswalk if crosswalk is not None else linked.crosswalk).write_parquet(
        zone / "crosswalk.parquet"
    )
    linked.identity_map.write_parquet(zone / "identity_map.parquet")
    linked.pairs.write_parquet(zone / "pairs.parquet")
    linked.family.write_parquet(zone / "family.parquet")
    for (agency,), part in identifiers.partition_by("agency", as_dict=True).items():
        (root / "staged" / agency).mkdir(parents=True)
        part.sort("record_key").write_parquet(root / "staged" / agency / "identifiers.parquet")
    (root / "truth").mkdir()
    records.write_parquet(root / "truth" / "records.parquet")
    persons.write_parquet(root / "truth" / "persons.parquet")
    return root


def _run(root: Path) -> tuple[bytes, bytes]:
    out = root / "reports"
    run(root / "linkage", root / "staged", root / "truth", out / "m.json", out / "pr.csv")
    return (out / "m.json").read_bytes(), (out / "pr.csv").read_bytes()


def test_files_give_the_in_memory_metrics(tmp_path, world):
    identifiers, records, persons, linked = world
    metrics, curve = _run(_write_zone(tmp_path, world))
    want = evaluate(
        linked.crosswalk, linked.family, records, persons, identifiers.select(STAGED_COLUMNS)
    )
    io.write_json(want, tmp_path / "want.json")
    assert json.loads(metrics) == want
    assert metrics == (tmp_path / "want.json").read_bytes()
    want_curve = pr_curve(linked.identity_map, linked.pairs, records)
    assert pl.read_csv(curve).equals(want_curve)


def test_files_not_side_by_side_give_the_same_bytes(tmp_path, world):
    # a crosswalk in another order is joined on the key, not read beside the others
    _, _, _, linked = world
    aligned = _run(_write_zone(tmp_path / "a", world))
    shuffled = linked.crosswalk.sample(fraction=1.0, shuffle=True, seed=2)
    assert _run(_write_zone(tmp_path / "b", world, crosswalk=shuffled)) == aligned
