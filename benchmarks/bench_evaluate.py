"""The linkage evaluation stage (``enclave evaluate-linkage``) at scale: wall time, CPU
time and peak memory of the stage's own command, run as dvc.yaml runs it, on a world
already through ``link`` (the project's own by default).

    python -m benchmarks evaluate                        # the project's world, 3 runs
    python -m benchmarks.bench_evaluate --world ROOT     # another world's data/
    python -m benchmarks.bench_evaluate --copies 10      # ten disjoint copies of it

Each run is a fresh process writing its report and curve into a temporary folder (never
``reports/``), measured by the kernel (``wait4``: the process's own peak RSS and CPU
seconds); the medians of ``repeat`` runs are kept, with the load average at the start,
since the wall time moves when other work shares the machine and the CPU time hardly.

``--copies K`` writes K disjoint copies of the stage's inputs into a temporary folder
(record keys, person keys, identity and person ids made distinct per copy), a stand-in
for a world K times larger: same records per person, same linkage graph per copy, so
every rate in the report is the original's and every count K times it. Ten copies of
the 100k world are within 1% of the 1M world's records, identities and scored pairs
(benchmarks/results/linkage.json); the cross-copy structure of a real world (more
namesakes in a larger population) is not there.

Targets: 100k persons within 10 s wall on 2 cores; 1M within 8 GiB. Results go to
benchmarks/results/evaluate.json, one entry per data set.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from benchmarks.common import RESULTS, measure, write

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 10.0
TARGET_MIB_AT_1M = 8 * 1024


def _stage(data: Path, out: Path) -> dict[str, float]:
    """One run of the stage's command, as dvc.yaml has it, into ``out``."""
    cmd = [sys.executable, "-m", "enclave.cli", "evaluate-linkage"]
    cmd += ["--linkage", str(data / "linkage"), "--staged", str(data / "staged")]
    cmd += ["--truth", str(data / "truth")]
    cmd += ["--report", str(out / "linkage.json"), "--plots", str(out / "linkage_pr.csv")]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"evaluate-linkage exited with {proc.returncode}")
    return {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def _measure(data: Path, repeat: int) -> dict[str, Any]:
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-evaluate-") as tmp:
        for i in range(repeat):
            runs.append(_stage(data, Path(tmp) / str(i)))
        report = json.loads((Path(tmp) / "0" / "linkage.json").read_text())
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]}
    return {
        "median_seconds": median["seconds"],
        "median_cpu_seconds": median["cpu_seconds"],
        "median_peak_rss_mib": median["peak_rss_mib"],
        "runs_seconds": [round(r["seconds"], 2) for r in runs],
        "runs_cpu_seconds": [round(r["cpu_seconds"], 2) for r in runs],
        "runs_peak_rss_mib": [round(r["peak_rss_mib"], 1) for r in runs],
        "records": report["records"],
    }


# --------------------------------------------------------------------------- copies


def _suffixed(frame: pl.DataFrame, k: int, keys: list[str], ids: dict[str, int]) -> pl.DataFrame:
    """Copy ``k`` of ``frame``: string keys suffixed, integer ids shifted."""
    present = frame.columns
    return frame.with_columns(
        *[(pl.col(c) + f"~{k}").alias(c) for c in keys if c in present],
        *[pl.col(c) + k * shift for c, shift in ids.items() if c in present],
    )


def _write(path: Path, parts) -> None:
    """Write frames one after another into one parquet file (never all in memory)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    for part in parts:
        table = part.to_arrow()
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=262_144)
    if writer is not None:
        writer.close()


def write_copies(data: Path, copies: int, out: Path) -> Path:
    """``copies`` disjoint copies of the stage's inputs under ``data``, written to ``out``
    in the layout the stage reads (crosswalk, identity map and staged files still side
    by side: per agency, copy after copy)."""
    staged = sorted(data.glob("staged/*/identifiers.parquet"))
    crosswalk = pl.read_parquet(data / "linkage" / "crosswalk.parquet")
    identity_map = pl.read_parquet(data / "linkage" / "identity_map.parquet")
    people = identity_map.filter(pl.col("role").is_null())
    parents = identity_map.filter(pl.col("role").is_not_null())
    persons = pl.read_parquet(data / "truth" / "persons.parquet")
    ids = {"identity_id": int(identity_map.get_column("identity_id").max()) + 1}
    person_ids = dict.fromkeys(
        ("person_id", "mother_id", "father_id", "twin_id", "household_id"),
        int(persons.get_column("person_id").max()) + 1,
    )
    heights = [pq.ParquetFile(f).metadata.num_rows for f in staged]
    starts = [sum(heights[:i]) for i in range(len(heights))]
    slices = list(zip(starts, heights, strict=True))

    def by_agency(frame: pl.DataFrame, keys: list[str]):
        for start, height in slices:
            for k in range(copies):
                yield _suffixed(frame.slice(start, height), k, keys, ids)

    linkage = out / "linkage"
    _write(linkage / "crosswalk.parquet", by_agency(crosswalk, ["record_key", "person_key"]))
    rows = list(by_agency(people, ["record_key"]))
    rows += [_suffixed(parents, k, ["record_key"], ids) for k in range(copies)]
    _write(linkage / "identity_map.parquet", rows)
    del crosswalk, identity_map, people, parents, rows
    for f in staged:
        part = pl.read_parquet(f)
        target = out / "staged" / f.parent.name / f.name
        _write(target, (_suffixed(part, k, ["record_key"], {}) for k in range(copies)))
    family = pl.read_parquet(data / "linkage" / "family.parquet")
    keys = ["record_key", "child_person_key", "parent_person_key"]
    _write(linkage / "family.parquet", (_suffixed(family, k, keys, {}) for k in range(copies)))
    pairs = pl.read_parquet(data / "linkage" / "pairs.parquet")
    shift = {"id_l": ids["identity_id"], "id_r": ids["identity_id"]}
    _write(linkage / "pairs.parquet", (_suffixed(pairs, k, [], shift) for k in range(copies)))
    records = pl.read_parquet(data / "truth" / "records.parquet")
    truth = out / "truth"
    copied = (_suffixed(records, k, ["record_key"], person_ids) for k in range(copies))
    _write(truth / "records.parquet", copied)
    _write(
        truth / "persons.parquet", (_suffixed(persons, k, [], person_ids) for k in range(copies))
    )
    return out


def _persons(data: Path) -> int:
    return pl.scan_parquet(data / "truth" / "persons.parquet").select(pl.len()).collect().item()


def main(world: str | None = None, copies: int = 1, repeat: int = 3) -> dict[str, Any]:
    """Time the stage on ``world``'s data/ (the project's by default), or on ``copies``
    disjoint copies of it; write benchmarks/results/evaluate.json."""
    data = Path(world or ROOT) / "data"
    persons = _persons(data)
    load = [round(x, 1) for x in os.getloadavg()]
    tmp = Path(tempfile.mkdtemp(prefix="bench-evaluate-copies-")) if copies > 1 else None
    try:
        # copies are written in a process of their own: a child forked from a parent
        # holding them would count the parent's memory as its own peak (ru_maxrss)
        source = measure(write_copies, data, copies, tmp)["extra"] if tmp else data
        entry = _measure(source, repeat)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    label = f"persons_{persons}" + (f"_x{copies}" if copies > 1 else "")
    entry |= {
        "data": str(data) + (f", {copies} disjoint copies" if copies > 1 else ""),
        "persons": persons * copies,
        "load_average_at_start": load,
    }
    if copies == 1:
        entry |= {"target_seconds": TARGET_SECONDS}
        entry["within_target"] = entry["median_seconds"] <= TARGET_SECONDS
    elif persons * copies >= 1_000_000:
        entry |= {"target_peak_rss_mib": TARGET_MIB_AT_1M}
        entry["within_target"] = entry["median_peak_rss_mib"] <= TARGET_MIB_AT_1M
    results = _earlier() | {label: entry}
    path = write("evaluate", results)
    print(json.dumps(entry, indent=2))
    print(f"-> {path}")
    return results


def _earlier() -> dict[str, Any]:
    """Results already written, by data set."""
    path = RESULTS / "evaluate.json"
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    old.pop("machine", None)
    return old


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--world", default=None, help="a world's root (with data/)")
    parser.add_argument("--copies", type=int, default=1, help="disjoint copies of its data")
    parser.add_argument("--repeat", type=int, default=3, help="runs (the medians are kept)")
    args = parser.parse_args()
    main(args.world, args.copies, args.repeat)
