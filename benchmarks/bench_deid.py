"""De-identification and the analytic build at scale: ``deidentify`` then ``build`` on a
generated staged zone of ``size`` persons (``enclave.testing.deid_zone``), each stage timed
in a fresh process, file to file, as the pipeline runs it.

    python -m benchmarks.bench_deid 1000000 world 3  # persons, mix, runs -> results/deid.json

The ``world`` mix has the synthetic world's agency mix and density (about 72 records
a person: IDHS member-months and IDES wage quarters dominate, as in
``data/staged`` of the 100k world, 73); ``fixture`` is the light test mix (about 7).
The zone is generated and written block by block, and both stages stream by pid
bucket, so memory follows a bucket, not the project. Target: 1M persons, both
stages together within 3 minutes on 2 cores.
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
from pathlib import Path

from enclave import allocator

# as ``enclave deidentify`` and ``enclave build`` do, before polars loads (this module
# is the first import of each measured process)
allocator.reuse_freed_pages()

import polars as pl  # noqa: E402

from benchmarks.common import measure, write  # noqa: E402
from enclave.config import BuildParams, DeidParams  # noqa: E402
from enclave.testing.deid_zone import write_zone  # noqa: E402

TARGET_SECONDS = 180.0


def _generate(size: int, mix: str, root: Path) -> dict:
    counts = write_zone(size, root, seed=1, mix=mix)
    return {"records": counts, "polars_threads": pl.thread_pool_size()}


def _megabytes(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.rglob("*.parquet")) / 2**20, 1)


def _cpu_seconds() -> float:
    """CPU time of this (fresh) process, all threads: unlike the wall time, it
    hardly moves when other work shares the machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 1)


def _deidentify(staged: Path, linkage: Path, base: Path, report: Path) -> dict:
    from enclave.deid import deidentify

    deidentify.run("bench", DeidParams(), staged, linkage, base.parent, base, report)
    return {"cpu_seconds": _cpu_seconds()}


def _build(base: Path, analytic: Path) -> dict:
    from enclave import analytic as stage

    stage.run(BuildParams(), base, analytic)
    rows = {p.stem: pl.scan_parquet(p).select(pl.len()).collect().item()
            for p in sorted(analytic.glob("*.parquet"))}  # fmt: skip
    return {"cpu_seconds": _cpu_seconds(), "rows": rows}


def main(size: int = 1_000_000, mix: str = "world", repeat: int = 3) -> dict:
    """Generate, then time deidentify and build (``repeat`` runs each, median); write
    benchmarks/results/deid.json."""
    os.environ.setdefault("ENCLAVE_MASTER_KEY", "be" * 32)  # a throwaway benchmark key
    load = [round(x, 1) for x in os.getloadavg()]  # other work on the machine: 1, 5, 15 min
    root = Path(tempfile.mkdtemp(prefix="bench_deid_"))
    # every step in a fresh process (benchmarks.common.measure), as a pipeline stage runs
    try:
        generated = measure(_generate, size, mix, root)
        staged, linkage = root / "staged", root / "linkage"
        base, analytic = root / "base", root / "analytic"
        deid = measure(_deidentify, staged, linkage, base, root / "risk.json", repeat=repeat)
        build = measure(_build, base, analytic, repeat=repeat)
        sizes = {d: _megabytes(root / d) for d in ("staged", "linkage", "base", "analytic")}
    finally:
        shutil.rmtree(root, ignore_errors=True)
    total = deid["median_seconds"] + build["median_seconds"]
    per_agency = generated["extra"]["records"]
    records = sum(per_agency.values())
    results = {
        "persons": size,
        "mix": mix,
        "records": records,
        "records_by_agency": per_agency,
        "parquet_mib": sizes,
        "records_per_person": round(records / size, 1),
        "polars_threads": generated["extra"]["polars_threads"],
        "generate_and_write_seconds": generated["median_seconds"],
        "deidentify": {**{k: v for k, v in deid.items() if k != "extra"}, **deid["extra"]},
        "build": {**{k: v for k, v in build.items() if k != "extra"}, **build["extra"]},
        "total_seconds": round(total, 2),
        "total_cpu_seconds": round(deid["extra"]["cpu_seconds"] + build["extra"]["cpu_seconds"], 1),
        "load_average_at_start": load,
        "target_seconds": TARGET_SECONDS,
        "within_target": total <= TARGET_SECONDS,
    }
    path = write("deid", results)
    print(f"deid+build: {size} persons, {records} records: {total:.1f} s -> {path}")
    return results


if __name__ == "__main__":
    main(*(int(a) if a.isdigit() else a for a in sys.argv[1:4]))
