"""The service-overlap measures and their disclosure control at scale.

    python -m benchmarks.bench_study 1000000   # persons -> results/study.json

Times, each in a fresh process: every table of the study (agency sets per person,
distribution, top combinations, by age group, by county, SNAP and Medicaid) on a
made-up research zone of ``size`` persons (``enclave.testing.analytic_zone``), and the
secondary suppression of a county-sized two-way table (102 x 8) with many small
cells, the worst case for the audit.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import measure, write
from enclave.paths import Paths
from enclave.studies import overlap
from enclave.testing import analytic_zone as fixture


def _study(root: Path) -> dict:
    paths = Paths(root)
    scan = {t: pl.scan_parquet(paths.analytic("demo") / f"{t}.parquet") for t in fixture.SCHEMAS}
    period = overlap.Period.parse("2019-01-01", "2019-12-31")
    spells, events, persons = scan["program_spells"], scan["life_events"], scan["persons"]
    touched = overlap.agencies_touched(spells, events, persons, period, 0.9).collect().lazy()
    tables = [
        overlap.distribution(touched, min_cell=10),
        overlap.top_combinations(touched, 15, min_cell=10),
        overlap.by_age_group(touched, persons, period, [0, 18, 26, 45, 65], min_cell=10),
        overlap.by_county(touched, persons, min_cell=10),
        overlap.snap_medicaid(spells, period, 0.9, min_cell=10),
    ]
    return {"suppressed_cells": sum(int(t.frame["suppressed"].sum()) for t in tables)}


def _suppress_county_table(seed: int) -> dict:
    from enclave.disclosure import protect_2d

    rng = np.random.default_rng(seed)
    counts = rng.negative_binomial(1, 0.08, size=(102, 8))  # many cells below 10
    frame = pl.DataFrame(
        {
            "county": [f"{i:03d}" for i in range(102) for _ in range(8)],
            "k": [str(j) for _ in range(102) for j in range(8)],
            "n": counts.ravel(),
        }
    )
    table = protect_2d(frame, "county", "k", min_cell=10)
    return {
        "primary": int(((counts > 0) & (counts < 10)).sum()),
        "suppressed": int(table.frame["suppressed"].sum()),
    }


def _write(root: Path, size: int) -> dict:
    fixture.write_analytic(root, persons=size, seed=0)
    return {}


def main(size: int = 200_000) -> None:
    # each step runs in a fresh process (benchmarks.common.measure)
    root = Path(tempfile.mkdtemp(prefix="bench_study."))
    try:
        results = {
            "persons": size,
            "write_fixture": measure(_write, root, size),
            "study_tables": measure(_study, root),
            "county_table_suppression": measure(_suppress_county_table, 0),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    path = write("study", results)
    print(f"wrote {path}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
