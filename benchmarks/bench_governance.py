"""From request to a provisioned, minimised research zone, timed on the default world.

    python -m benchmarks governance          # needs data/staged and data/linkage (make repro)

Each step runs as a person would type it, one ``enclave`` command in a fresh process,
in a scratch root that links to the repository's staged and linkage zones and holds a
copy of its governance files and params.yaml:

1. ``enclave governance request``: a new project (wage records and schooling, 2015 on,
   three analytic tables);
2. ``enclave governance approve`` by each of its two stewards;
3. ``enclave deidentify --project`` and ``enclave build --project``: its zone.

The weeks to months a project request took before the agreement are the comparison
(README). Results: benchmarks/results/governance.json.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import write

REPO = Path(__file__).resolve().parents[1]
PROJECT = "school_to_work"


def _steps(root: Path) -> list[tuple[str, list[str]]]:
    research = f"data/research/{PROJECT}"
    return [
        (
            "request",
            [
                "governance",
                "request",
                PROJECT,
                "--title",
                "From school to work",
                "--purpose",
                "strategic policymaking",
                "--lead",
                "ana_researcher",
                "--dataset",
                "isbe",
                "--dataset",
                "ides",
                "--table",
                "persons",
                "--table",
                "program_spells",
                "--table",
                "person_quarters",
                "--period",
                "2015-01-01",
                "2024-12-31",
                "--expiry",
                "2030-12-31",
            ],
        ),
        (
            "approve isbe",
            ["governance", "approve", PROJECT, "--agency", "isbe", "--by", "isbe_steward"],
        ),
        (
            "approve ides",
            ["governance", "approve", PROJECT, "--agency", "ides", "--by", "ides_steward"],
        ),
        (
            "deidentify",
            [
                "deidentify",
                "--project",
                PROJECT,
                "--out",
                f"{research}/base",
                "--report",
                f"reports/disclosure_risk/{PROJECT}.json",
            ],
        ),
        (
            "build",
            [
                "build",
                "--project",
                PROJECT,
                "--base",
                f"{research}/base",
                "--out",
                f"{research}/analytic",
            ],
        ),
    ]


def run() -> dict:
    staged, linkage = REPO / "data" / "staged", REPO / "data" / "linkage"
    if not (linkage / "crosswalk.parquet").exists():
        raise SystemExit(
            "bench_governance: run `make repro` first (needs data/staged, data/linkage)"
        )
    with tempfile.TemporaryDirectory(prefix="bench-governance-") as tmp:
        root = Path(tmp)
        (root / "data").mkdir()
        os.symlink(staged, root / "data" / "staged")
        os.symlink(linkage, root / "data" / "linkage")
        shutil.copytree(REPO / "governance", root / "governance")
        shutil.copy(REPO / "params.yaml", root / "params.yaml")
        env = os.environ | {"ENCLAVE_STATE": str(root / "state")}
        seconds = {}
        start = time.perf_counter()
        for name, argv in _steps(root):
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "enclave", *argv],
                cwd=root,
                env=env,
                check=True,
                capture_output=True,
            )
            seconds[name] = round(time.perf_counter() - began, 2)
        total = round(time.perf_counter() - start, 2)
        zone = root / "data" / "research" / PROJECT
        files = sorted(p.relative_to(zone).as_posix() for p in zone.rglob("*.parquet"))
    return {"steps_seconds": seconds, "total_seconds": total, "zone_files": files}


def main() -> None:
    result = run()
    path = write("governance", {"request_to_zone_100k": result})
    print(f"request -> approvals -> zone: {result['total_seconds']} s {result['steps_seconds']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
