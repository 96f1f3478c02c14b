"""Memory-bounded building gives the same bytes: ``enclave.synth.run`` builds the
SNAP/TANF member-months a range of people at a time and writes each extract a
piece of records at a time, two pieces built at once and written in order (records
truth set aside in pieces, merged at the end).
Here, with pieces made tiny, every file matches the straightforward build: the
world simulated in one piece, each extract built whole in memory
(``emit.build_extract``), rendered and written at once."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from enclave import contracts
from enclave.config import AGENCIES, SynthParams
from enclave.io import write_json, write_parquet
from enclave.synth import benefits, emit, run, simulate
from enclave.synth.world import PROGRAM_TABLES

pytestmark = pytest.mark.slow

PARAMS = SynthParams(persons=1500, seed=21, start_year=2008, end_year=2021)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _whole(params: SynthParams, landing: Path, truth: Path) -> None:
    """The build without pieces, as ``run`` did before building in pieces."""
    world = simulate(params)
    for name in ("persons", "surnames", "residences", "relations"):
        write_parquet(world[name], truth / f"{name}.parquet")
    for name in PROGRAM_TABLES:
        write_parquet(world[name], truth / "programs" / f"{name}.parquet")
    write_json(world.effects, truth / "effects.json")
    truths = []
    for agency in AGENCIES:
        contract = contracts.get(agency)
        raw, records = emit.build_extract(world, params, agency)
        path = landing / agency / contract.filename
        path.parent.mkdir(parents=True)
        path.write_bytes(emit.render(contract, raw))
        truths.append(records)
    write_parquet(pl.concat(truths), truth / "records.parquet")


@pytest.fixture(scope="module")
def whole(tmp_path_factory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("whole")
    _whole(PARAMS, root / "landing", root / "truth")
    return _files(root)


def test_pieces_give_the_bytes_of_the_whole(whole, tmp_path, monkeypatch):
    monkeypatch.setattr(emit, "CHUNK_ROWS", 2003)
    monkeypatch.setattr(benefits, "MONTHS_PER_PIECE", 3000)
    run(PARAMS, landing=tmp_path / "landing", truth=tmp_path / "truth")
    pieces = _files(tmp_path)
    assert sorted(pieces) == sorted(whole)
    # the pieces really were many: the largest extracts span dozens of them
    records = pl.read_parquet(tmp_path / "truth" / "records.parquet")
    assert records.group_by("agency").len()["len"].max() > 10 * 2003
    for name in whole:
        assert pieces[name] == whole[name], name


def test_default_pieces_give_the_same_bytes(whole, tmp_path):
    run(PARAMS, landing=tmp_path / "landing", truth=tmp_path / "truth")
    assert _files(tmp_path) == whole


def test_no_records_parts_are_left_behind(tmp_path):
    run(SynthParams(persons=300, seed=2), landing=tmp_path / "landing", truth=tmp_path / "truth")
    hidden = [p for p in (tmp_path / "truth").rglob(".*")]
    assert hidden == []
