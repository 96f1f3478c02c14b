"""A one-agency monthly delivery against the full run, at a world size (issue #19).

    python -m benchmarks.bench_monthly 1000000            # IDHS's December 2024
    python -m benchmarks.bench_monthly 100000 --agency ides

In its own workspace, ``build/bench/monthly_<N>/`` (``synth.last_month: {<agency>:
separate}``), as ``dvc repro`` would run it:

1. the world is synthesised, and the agency's last month is held back (moved aside);
2. every agency is validated and linked, and each project's research zone and
   analytic tables built: the pipeline as it stood before the month;
3. the month is delivered (moved back), and the stages DVC re-runs for it run again,
   each timed: ``validate`` of that agency alone, ``link``, ``deidentify`` and
   ``build`` of each project.

Step 2 takes an agency's staged output from ``build/bench/persons_<N>/`` when its
landing files are the same bytes (the world is the same but for the held month), so
validation keeps it rather than reading it again: it is the full run's, not timed here.

The month's figures go to ``reports/bench.json`` and the record
``benchmarks/results/pipeline.json`` under ``sizes.<N>.monthly``, with each stage's
share of the same stage in the full run of that size (``sizes.<N>.stages``), when there
is one, and the whole month's share of the full run from delivery to the last study.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.bench_pipeline import (
    DELIVERY_TO_STUDY,
    RECORD,
    REPORT,
    WORKSPACES,
    earlier_report,
    load_record,
    rows,
    run_command,
    save,
    workspace,
)
from enclave import config
from enclave.paths import months
from enclave.testing.pipeline import stage_commands

#: the stages a month re-runs, in order (the month's share is theirs over the full run's)
MONTH_STAGES = ("validate", "link", "deidentify", "build")


def monthly_workspace(persons: int, agency: str) -> Path:
    """``workspace(persons)``'s files under ``monthly_<persons>``, the agency's last
    month a delivery of its own."""
    full = workspace(persons, fresh=False)
    root = WORKSPACES / f"monthly_{persons}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    params = yaml.safe_load((full / "params.yaml").read_text())
    params["synth"]["last_month"] = {agency: "separate"}
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for folder in ("governance", "notebooks"):
        shutil.copytree(full / folder, root / folder)
    return root


def _same_files(a: Path, b: Path) -> bool:
    """Whether two landing folders hold the same files (names and sizes; validation
    itself compares their SHA-256 with what it staged before)."""
    if not (a.is_dir() and b.is_dir()):
        return False

    def listing(folder: Path) -> list[tuple[str, int]]:
        return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*"))

    return listing(a) == listing(b)


def _take_staged(root: Path, full: Path, agency: str) -> bool:
    """The full run's staged and quarantined output of ``agency``, hard-linked in, when
    its landing files are the same."""
    if not _same_files(root / "data/landing" / agency, full / "data/landing" / agency):
        return False
    for zone in ("staged", "quarantine"):
        source, target = full / "data" / zone / agency, root / "data" / zone / agency
        if not source.is_dir():
            return False
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(source, target, copy_function=os.link)
    return True


def bench_month(persons: int, agency: str, resume: bool = False) -> dict[str, Any]:
    root = WORKSPACES / f"monthly_{persons}"
    landing = root / "data/landing" / agency
    held = sorted((root / "build/held").glob("*")) if resume else []
    if held:  # the world of an earlier run, its month still held back
        month, held = held[0].name, held[0]
    else:
        root = monthly_workspace(persons, agency)
        run_command(root, ["synthesize"])
        (month,) = months(landing)
        held = root / "build/held" / month
        held.parent.mkdir(parents=True, exist_ok=True)
        (landing / month).rename(held)
    params = config.load(root / "params.yaml")
    steps = stage_commands(params, studies=False)

    full = WORKSPACES / f"persons_{persons}"
    taken = [a for a in params.agencies if a != agency and _take_staged(root, full, a)]
    print(f"before the month: staged output taken from {full.name} for {taken}", flush=True)
    before: dict[str, float] = {}
    for stage, argv in steps:
        if stage in MONTH_STAGES:
            figures = run_command(root, argv)
            before[stage] = before.get(stage, 0.0) + figures["wall_seconds"]
    print(f"before the month: {before}", flush=True)

    held.rename(landing / month)
    commands: dict[str, list[dict[str, Any]]] = {}
    for stage, argv in steps:
        if stage not in MONTH_STAGES or (stage == "validate" and argv[1] != agency):
            continue
        figures = run_command(root, argv)
        commands.setdefault(stage, []).append(figures)
        print(f"month of {agency}: {stage} {figures}", flush=True)
    return {
        "agency": agency,
        "month": month,
        "month_rows": rows(landing / month),
        "staged_taken_from_full_run": taken,
        "before_wall_seconds": before,
        "commands": commands,
    }


def shares(month: dict[str, Any], full: dict[str, Any] | None) -> dict[str, Any]:
    """Each month stage's wall seconds and its share of the full run's same stage."""
    stages = {
        s: round(sum(c["wall_seconds"] for c in cs), 2) for s, cs in month["commands"].items()
    }
    result: dict[str, Any] = {"wall_seconds": stages, "total_wall_seconds": sum(stages.values())}
    if full:
        ran = full["stages"]
        whole = sum(ran[s]["wall_seconds"] for s in DELIVERY_TO_STUDY if s in ran)
        result["full_run_delivery_to_last_study_seconds"] = round(whole, 1)
        result["share_of_full_run"] = round(result["total_wall_seconds"] / whole, 4)
        result["share_of_full_stage"] = {
            s: round(v / ran[s]["wall_seconds"], 4) for s, v in stages.items() if s in ran
        }
    return result


def main(persons: int, agency: str, resume: bool = False) -> dict[str, Any]:
    start = time.perf_counter()
    month = bench_month(persons, agency, resume)
    month["total_seconds_with_setup"] = round(time.perf_counter() - start, 1)
    # the month joins its size's entry in this checkout's report and in the record,
    # each set against that entry's full run (if it has one)
    report, record = earlier_report(), load_record()
    for content, path in ((report, REPORT), (record, RECORD)):
        entry = content["sizes"].setdefault(
            str(persons), {"persons": persons, "total_wall_seconds": 0.0, "stages": {}}
        )
        entry["monthly"] = month | shares(month, entry if entry["stages"] else None)
        save(content, path)
    return month


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("persons", type=int)
    parser.add_argument("--agency", default="idhs")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on in the workspace an interrupted run left (its month still held back)",
    )
    args = parser.parse_args()
    print(json.dumps(main(args.persons, args.agency, args.resume), indent=2))
