"""The whole pipeline, stage by stage, at several world sizes, as ``dvc repro`` runs it.

    python -m benchmarks.bench_pipeline                  # 100k and 1M persons
    python -m benchmarks.bench_pipeline 100000           # one size
    python -m benchmarks.bench_pipeline 100000 --no-compare

Each size runs in its own workspace, ``build/bench/persons_<N>/`` (params.yaml with
``synth.persons = N``, the agreement and the notebooks beside it), every command of
every stage (``enclave.testing.pipeline.stage_commands``: synthesize, validate per
agency, link, evaluate_linkage, deidentify and build per project, each study and its
output check) in a fresh process. Per command: wall seconds, CPU seconds (user +
system) and peak resident memory, the larger of the kernel's accounting of the child
(``os.wait4``, its waited-for children included) and a poll of its whole process tree
every quarter second (a study's kernel runs in the sandbox's PID namespace, where
``wait4`` does not see it); and the rows it read and wrote (Parquet row counts, text
lines less a header). A stage's figures sum its
commands' seconds and rows and take their largest peak.

Comparisons in the same run, on the same data, after ``validate``:

- linkage against a plain Splink configuration (``benchmarks.bench_linkage --world``);
- validation against the same checks as plain polars expressions
  (``benchmarks.bench_ingest``, on an HFS delivery of as many rows as the world's).

Writes ``reports/bench.json`` and ``reports/bench.md`` (a table per size), and the same
as the record in ``benchmarks/results/pipeline.json`` and ``.md``; see
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from enclave import config, partfiles
from enclave.paths import delivered
from enclave.testing.pipeline import DATA_STAGES, stage_commands

REPO = Path(__file__).resolve().parents[1]
WORKSPACES = REPO / "build" / "bench"
REPORT = REPO / "reports" / "bench.json"
RESULTS = REPO / "benchmarks" / "results"
RECORD = RESULTS / "pipeline.json"
SIZES = (100_000, 1_000_000)
#: what a stage keeps for its next run (dvc.yaml's ``persist: true``): a stage measured
#: again with ``--only`` starts without it, or it would measure the reuse of its
#: earlier output (validation keeps a delivery staged from the same bytes)
PERSISTED = {
    "validate": ("data/staged", "data/quarantine"),
    "link": ("data/linkage",),
    "deidentify": ("data/deid",),
}


#: the full run from delivery to the last study (the target's 15 minutes)
DELIVERY_TO_STUDY = (
    "validate",
    "link",
    "evaluate_linkage",
    "deidentify",
    "build",
    "study",
    "check_outputs",
)


def workspace(persons: int, fresh: bool = True) -> Path:
    """A root for a world of ``persons``: params, agreement and notebooks (``fresh``:
    emptied first; else the data of an earlier run stay, and the rest is refreshed)."""
    root = WORKSPACES / f"persons_{persons}"
    if fresh:
        shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    for folder in ("governance", "notebooks"):
        shutil.rmtree(root / folder, ignore_errors=True)
    params = yaml.safe_load((REPO / "params.yaml").read_text())
    params["synth"]["persons"] = persons
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    for folder in ("governance", "notebooks"):
        shutil.copytree(REPO / folder, root / folder)
    return root


def rows(path: Path) -> int:
    """Rows under ``path``: Parquet row counts (a linkage zone's file with its months'
    parts), and lines less a header of other files."""
    if not path.exists():
        return 0
    if path.is_file() and (path.parent / partfiles.PARTS).is_file():  # a linkage zone after a month
        return len(partfiles.rows(path.parent, path.stem))
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    total = 0
    for file in files:
        if file.suffix == ".parquet":
            total += pl.scan_parquet(file).select(pl.len()).collect().item()
        elif file.suffix in (".json", ".png", ".html", ".ipynb"):  # certificates, reports
            continue
        else:
            with file.open("rb") as handle:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 24), b""))
            total += max(lines - 1, 0)
    return total


def _option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def io_paths(root: Path, argv: list[str]) -> tuple[list[Path], list[Path]]:
    """What a command reads and writes, for its row counts."""
    command = argv[0]
    if command == "validate":
        return [root / _option(argv, "--landing")], [
            root / _option(argv, "--staged") / "content.parquet",
            root / _option(argv, "--quarantine"),
        ]
    if command == "link" and "--staged" in argv:
        folders = sorted((root / _option(argv, "--staged")).glob("*/identifiers.parquet"))
        staged = [f for p in folders for f in delivered(p.parent, "identifiers.parquet")]
        return staged, [root / _option(argv, "--out") / "crosswalk.parquet"]
    if command == "link":
        staged = [root / a / "identifiers.parquet" for a in argv[1 : argv.index("--out")]]
        return staged, [root / _option(argv, "--out") / "crosswalk.parquet"]
    if command == "evaluate-linkage":
        return [root / "data" / "linkage" / "crosswalk.parquet"], []
    if command == "deidentify":
        return [root / "data" / "linkage" / "crosswalk.parquet"], [root / _option(argv, "--out")]
    if command == "build":
        return [root / _option(argv, "--base")], [root / _option(argv, "--out")]
    if command == "study":
        params = config.load(root / "params.yaml")
        project = getattr(params.studies, argv[1]).project
        out = root / _option(argv, "--out")
        return [root / "data" / "research" / project / "analytic"], [out / "tables"]
    if command == "synthesize":
        return [], [root / "data" / "landing"]
    return [], []


def label(argv: list[str]) -> str:
    """A command's name in the results: the subcommand and what it is for.

    >>> label(["validate", "hfs", "--landing", "data/landing/hfs"])
    'validate hfs'
    >>> label(["deidentify", "--project", "demo", "--out", "x"]), label(["link", "data/staged/hfs"])
    ('deidentify demo', 'link')
    >>> label(["outputs", "check", "outputs/x", "--study", "x"])
    'outputs check x'

    """
    if argv[0] == "outputs":
        return f"outputs check {_option(argv, '--study')}"
    if "--project" in argv:
        return f"{argv[0]} {_option(argv, '--project')}"
    named = len(argv) > 1 and not argv[1].startswith(("-", "data/"))
    return f"{argv[0]} {argv[1]}" if named else argv[0]


class TreeSampler:
    """Polls a process and all its descendants (a study's sandbox, papermill and kernel:
    the kernel is reaped inside the sandbox's PID namespace, so ``wait4`` never counts
    it): the largest resident memory of the tree at one time, and each process's CPU
    seconds as last seen (a process's last quarter second can be missed)."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        import threading

        import psutil

        self._root, self._every = psutil.Process(pid), every
        self.peak_rss = 0
        self.cpu: dict[tuple[int, float], float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(self._every):
            try:
                tree = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                return
            rss = 0
            for process in tree:
                try:
                    with process.oneshot():
                        rss += process.memory_info().rss
                        times = process.cpu_times()
                        self.cpu[(process.pid, process.create_time())] = times.user + times.system
                except psutil.Error:
                    continue
            self.peak_rss = max(self.peak_rss, rss)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_command(root: Path, argv: list[str]) -> dict[str, Any]:
    """Run one ``enclave`` command in ``root``; its figures (raises if it fails). Memory
    and CPU are the larger of the kernel's accounting of the child (``wait4``) and the
    polled process tree (:class:`TreeSampler`)."""
    env = {**os.environ, "ENCLAVE_PROGRESS": "off", "ENCLAVE_ROOT": str(root)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "enclave", *argv], cwd=root, env=env)
    sampler = TreeSampler(proc.pid)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    sampler.stop()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"enclave {argv[0]} failed (exit {proc.returncode}) in {root}")
    inputs, outputs = io_paths(root, argv)
    cpu = max(usage.ru_utime + usage.ru_stime, sum(sampler.cpu.values()))
    return {
        "command": label(argv),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(max(usage.ru_maxrss * 1024, sampler.peak_rss) / 2**20, 1),
        "rows_in": sum(rows(p) for p in inputs),
        "rows_out": sum(rows(p) for p in outputs),
    }


def summarise(commands: list[dict[str, Any]]) -> dict[str, Any]:
    """A stage's figures from its commands'."""
    return {
        "commands": len(commands),
        "wall_seconds": round(sum(c["wall_seconds"] for c in commands), 2),
        "cpu_seconds": round(sum(c["cpu_seconds"] for c in commands), 2),
        "peak_rss_mib": max(c["peak_rss_mib"] for c in commands),
        "rows_in": sum(c["rows_in"] for c in commands),
        "rows_out": sum(c["rows_out"] for c in commands),
    }


def _module(name: str, *args: str) -> None:
    subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=REPO, check=True)


def compare(root: Path, persons: int) -> dict[str, Any]:
    """Linkage against plain Splink and validation against plain polars, on this world."""
    _module("bench_linkage", "--world", str(root))
    linkage = json.loads((RESULTS / "linkage.json").read_text())[f"persons_{persons}"]
    hfs = rows(root / "data" / "landing" / "hfs")
    _module("bench_ingest", str(hfs))
    ingest = json.loads((RESULTS / "ingest.json").read_text())
    return {
        "linkage_vs_plain_splink": {
            side: {k: v for k, v in linkage[side].items() if k != "extra"}
            | {k: v for k, v in linkage[side].get("extra", {}).items() if "f1" in k}
            for side in ("enclave", "plain_splink")
            if side in linkage
        },
        "validation_vs_plain_polars": {
            "rows": ingest["rows"],
            "seconds": ingest["seconds"],
            "pandera_over_plain_polars": ingest["pandera_over_plain_polars"],
            "same_failures": ingest["same_failures"],
        },
    }


def bench(
    persons: int, with_comparisons: bool = True, only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Every stage at ``persons`` in a fresh workspace; with ``only``, those stages
    again on the workspace an earlier run left."""
    root = workspace(persons, fresh=not only)
    for stage in only:  # measured again from nothing, not from what the stage kept
        for folder in PERSISTED.get(stage, ()):
            shutil.rmtree(root / folder, ignore_errors=True)
    params = config.load(root / "params.yaml")
    commands: dict[str, list[dict[str, Any]]] = {}
    comparisons: dict[str, Any] = {}
    start = time.perf_counter()
    for stage, argv in stage_commands(params):
        if only and stage not in only:
            continue
        figures = run_command(root, argv)
        commands.setdefault(stage, []).append(figures)
        print(f"persons {persons}: {stage} {figures}", flush=True)
        validated = stage == "validate" and len(commands[stage]) == len(params.agencies)
        if validated and with_comparisons:
            comparisons = compare(root, persons)
    return {
        "persons": persons,
        "total_wall_seconds": round(time.perf_counter() - start, 1),
        "stages": {name: summarise(c) for name, c in commands.items()},
        "commands": commands,
        "comparisons": comparisons,
    }


def delivery_seconds(size: dict[str, Any]) -> float:
    """The stages' wall seconds from delivery to the last study (issue #19's target)."""
    return sum(size["stages"][s]["wall_seconds"] for s in DELIVERY_TO_STUDY if s in size["stages"])


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Pipeline benchmark",
        "",
        f"Machine: {report['machine']['cpus']} cores, Python {report['machine']['python']}.",
        "Stage figures sum the stage's commands; peak memory is the largest of them.",
        *([report["notes"]] if report.get("notes") else []),
    ]
    for size in report["sizes"].values():
        lines += [
            "",
            f"## {size['persons']:,} persons: {size['total_wall_seconds']:.0f} s in all",
            "",
            f"From delivery to the last study ({', '.join(DELIVERY_TO_STUDY)}): "
            f"{delivery_seconds(size):,.1f} s.",
            "",
            "| stage | commands | wall s | CPU s | peak RSS MiB | rows in | rows out |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, s in size["stages"].items():
            lines.append(
                f"| {name} | {s['commands']} | {s['wall_seconds']:.1f} | {s['cpu_seconds']:.1f}"
                f" | {s['peak_rss_mib']:,.0f} | {s['rows_in']:,} | {s['rows_out']:,} |"
            )
        compared = size.get("comparisons") or {}
        for side, figures in compared.get("linkage_vs_plain_splink", {}).items():
            lines.append(
                f"\nLinkage, {side}: {figures.get('median_seconds')} s, "
                f"{figures.get('peak_rss_mib')} MiB peak."
            )
        if "validation_vs_plain_polars" in compared:
            v = compared["validation_vs_plain_polars"]
            lines.append(
                f"\nValidation of {v['rows']:,} HFS rows: pandera checks take "
                f"{v['pandera_over_plain_polars']}x the time of the same checks in plain "
                f"polars (same failures: {v['same_failures']})."
            )
        if "monthly" in size:
            lines += _monthly_lines(size["monthly"])
    return "\n".join(lines) + "\n"


def _monthly_lines(month: dict[str, Any]) -> list[str]:
    """The monthly delivery's table (``benchmarks.bench_monthly``)."""
    lines = [
        "",
        f"### A month of {month['agency']} ({month['month']}, {month['month_rows']:,} rows)",
        "",
        "| stage | wall s | share of the full run's stage |",
        "|---|---:|---:|",
    ]
    share = month.get("share_of_full_stage", {})
    for stage, seconds in month["wall_seconds"].items():
        part = f"{share[stage]:.1%}" if stage in share else ""
        lines.append(f"| {stage} | {seconds:.1f} | {part} |")
    if "share_of_full_run" in month:
        lines.append(
            f"\nThe month: {month['total_wall_seconds']:.0f} s, "
            f"{month['share_of_full_run']:.1%} of the full run from delivery to the last "
            f"study ({month['full_run_delivery_to_last_study_seconds']:.0f} s)."
        )
    return lines


def earlier_report() -> dict[str, Any]:
    """The last run's report (this checkout's, else the record's), which figures
    measured again join, with this machine's description."""
    last = next((p for p in (REPORT, RECORD) if p.exists()), None)
    earlier = json.loads(last.read_text()) if last else {}
    return {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "sizes": earlier.get("sizes", {}),
    }


def write_report(report: dict[str, Any], measured: list[str]) -> None:
    """``reports/bench.json`` and ``.md`` (the run's: DVC's folder, not in git), and the
    record in ``benchmarks/results/``, as the per-stage benchmarks keep: the sizes
    ``measured`` replace the record's, and the record keeps the others and its notes
    (a checkout's own report may lack a size the record has)."""
    record = load_record()
    record = {**record, "machine": report["machine"], "sizes": dict(record.get("sizes", {}))}
    record["sizes"] |= {size: report["sizes"][size] for size in measured}
    save(report, REPORT)
    save(record, RECORD)


def load_record() -> dict[str, Any]:
    return json.loads(RECORD.read_text()) if RECORD.exists() else {"sizes": {}}


def save(content: dict[str, Any], path: Path) -> None:
    """``content`` as ``path`` (JSON) and its Markdown summary beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n")
    path.with_suffix(".md").write_text(markdown(content))


def main(
    sizes: tuple[int, ...] = SIZES, with_comparisons: bool = True, only: tuple[str, ...] = ()
) -> dict[str, Any]:
    report = earlier_report()
    for persons in sizes:
        result = bench(persons, with_comparisons and not only, only)
        if not only:
            report["sizes"][str(persons)] = result
            write_report(report, [str(persons)])
            continue
        # stages measured again replace their earlier figures in this checkout's report
        # and in the record; the rest of each stays
        record = load_record()
        for content, path in ((report, REPORT), (record, RECORD)):
            kept = content["sizes"].setdefault(str(persons), result)
            if kept is not result:
                kept["stages"] |= result["stages"]
                kept["commands"] |= result["commands"]
                # stages of different runs: the total is their sum (no harness time)
                kept["total_wall_seconds"] = round(
                    sum(s["wall_seconds"] for s in kept["stages"].values()), 1
                )
                kept.setdefault("remeasured", []).extend(only)
            save(content, path)
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=list(SIZES))
    parser.add_argument("--no-compare", action="store_true", help="skip the comparisons")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[*DATA_STAGES, "study", "check_outputs"],
        help="measure this stage again (repeatable)",
    )
    args = parser.parse_args()
    main(tuple(args.sizes), not args.no_compare, tuple(args.only))
