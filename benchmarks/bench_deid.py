"""De-identification and the analytic build at scale: ``deidentify`` then ``build`` on a
generated staged zone of ``size`` persons (``enclave.deid_fixture``), each stage timed
in a fresh process, file to file, as the pipeline runs it.

    python -m benchmarks.bench_deid 1000000 1   # persons, density scale -> results/deid.json

Scale 1 gives about 7 records a person; scale 9 about 100, near the synthetic
world's density (about 77: IDHS member-months and IDES wage quarters dominate).
Both stages hold a project in memory (about 0.5 GB per million records), so 1M
persons at scale 9 does not fit this machine yet. Target: 1M persons, both stages
together within 3 minutes.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl

from benchmarks.common import measure, write
from enclave.config import BuildParams, DeidParams
from enclave.deid_fixture import make_zone

TARGET_SECONDS = 180.0


def _generate(size: int, scale: int, root: Path) -> dict:
    zone = make_zone(size, seed=1, scale=scale)
    zone.write(root)
    return {
        "records": sum(frame.height for frame in zone.content.values()),
        "polars_threads": pl.thread_pool_size(),
    }


def _deidentify(staged: Path, linkage: Path, base: Path, report: Path) -> None:
    from enclave import deidentify

    deidentify.run("bench", DeidParams(), staged, linkage, base.parent, base, report)


def _build(base: Path, analytic: Path) -> dict:
    from enclave import analytic as stage

    stage.run(BuildParams(), base, analytic)
    return {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
            for p in sorted(analytic.glob("*.parquet"))}  # fmt: skip


def main(size: int = 1_000_000, scale: int = 1) -> dict:
    """Generate, then time deidentify and build; write benchmarks/results/deid.json."""
    os.environ.setdefault("ENCLAVE_MASTER_KEY", "be" * 32)  # a throwaway benchmark key
    root = Path(tempfile.mkdtemp(prefix="bench_deid_"))
    # every step in its own forked process: polars must not start threads in the parent
    try:
        generated = measure(_generate, size, scale, root)
        staged, linkage = root / "staged", root / "linkage"
        base, analytic = root / "base", root / "analytic"
        deid = measure(_deidentify, staged, linkage, base, root / "risk.json")
        build = measure(_build, base, analytic)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    total = deid["median_seconds"] + build["median_seconds"]
    records = generated["extra"]["records"]
    results = {
        "persons": size,
        "records": records,
        "records_per_person": round(records / size, 1),
        "polars_threads": generated["extra"]["polars_threads"],
        "generate_and_write_seconds": generated["median_seconds"],
        "deidentify": deid,
        "build": {**{k: v for k, v in build.items() if k != "extra"}, "rows": build["extra"]},
        "total_seconds": round(total, 2),
        "target_seconds": TARGET_SECONDS,
        "within_target": total <= TARGET_SECONDS,
    }
    results["deidentify"].pop("extra", None)
    path = write("deid", results)
    print(f"deid+build: {size} persons, {records} records: {total:.1f} s -> {path}")
    return results


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
