"""``enclave.synth.run``: truth and landing zones, all or nothing, byte-identical on rerun."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from enclave.config import SynthParams
from enclave.synth import run, simulate
from enclave.synth.world import PROGRAM_TABLES

pytestmark = pytest.mark.slow

PARAMS = SynthParams(persons=1200, seed=3)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    run(PARAMS, landing=root / "landing", truth=root / "truth")
    return root


def test_truth_zone_holds_every_table(written):
    truth = written / "truth"
    for name in ("persons", "surnames", "residences", "relations", "records"):
        assert (truth / f"{name}.parquet").is_file()
    for name in PROGRAM_TABLES:
        assert (truth / "programs" / f"{name}.parquet").is_file()
    effects = json.loads((truth / "effects.json").read_text())
    assert effects == simulate(PARAMS).effects
    persons = pl.read_parquet(truth / "persons.parquet")
    assert persons.height == PARAMS.persons


def test_records_truth_points_at_real_people(written):
    truth = written / "truth"
    records = pl.read_parquet(truth / "records.parquet")
    persons = pl.read_parquet(truth / "persons.parquet")
    assert records.height > 0
    assert records.join(persons, on="person_id", how="anti").height == 0
    landing = {p.parent.name for p in (written / "landing").rglob("*") if p.is_file()}
    assert landing == set(records["agency"].unique())


def test_rerun_gives_byte_identical_files(written, tmp_path):
    run(PARAMS, landing=tmp_path / "landing", truth=tmp_path / "truth")
    assert _files(tmp_path) == _files(written)


def test_a_failure_leaves_no_partial_output(tmp_path, monkeypatch):
    import enclave.synth.emit as emit

    def broken(*args, **kwargs):
        raise RuntimeError("emitter failed")

    monkeypatch.setattr(emit, "write_extracts", broken)
    with pytest.raises(RuntimeError):
        run(
            SynthParams(persons=300, seed=1), landing=tmp_path / "landing", truth=tmp_path / "truth"
        )
    assert not (tmp_path / "truth").exists()
    assert not (tmp_path / "landing").exists()
    assert list(tmp_path.iterdir()) == []


def test_frames_do_not_depend_on_the_number_of_threads(tmp_path):
    """Random draws follow row order, so no join's order may leak into the world."""
    import os
    import subprocess
    import sys

    # the parquet bytes, as enclave.io writes them (IPC bytes may differ in buffer layout)
    script = (
        "import hashlib, io, json, sys\n"
        "from enclave.config import SynthParams\n"
        "from enclave.io import PARQUET_OPTIONS\n"
        "from enclave.synth import simulate\n"
        "w = simulate(SynthParams(persons=800, seed=9))\n"
        "h = hashlib.sha256(json.dumps(w.effects, sort_keys=True).encode())\n"
        "for k in sorted(w.tables):\n"
        "    b = io.BytesIO()\n"
        "    w[k].write_parquet(b, **PARQUET_OPTIONS)\n"
        "    h.update(b.getvalue())\n"
        "sys.stdout.write(h.hexdigest())\n"
    )
    digests = set()
    for threads in ("1", "2"):
        env = {**os.environ, "POLARS_MAX_THREADS": threads}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout)
    assert len(digests) == 1
