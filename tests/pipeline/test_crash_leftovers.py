"""A killed stage leaves no trace once the next run is done, and never leaves
identifiable scratch in the research zone.

Each stage runs as ``dvc repro`` runs it, a separate ``enclave`` process, on a copy of
the small world's inputs. It is stopped with SIGKILL from outside at each of its fail
points (:mod:`enclave.failpoints`: the process pauses there, this test kills it), one
after another, so the leftovers of every point pile up. Then one plain run must:

* succeed, and write outputs byte for byte those of the uninterrupted small world;
* leave no file in any zone but the inputs and the stage's declared outputs (dvc.yaml);
* leave no scratch directory behind (the scratch root and ``TMPDIR`` are the test's own).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from enclave.config import AGENCIES

pytestmark = pytest.mark.slow

STAGED = [f"data/staged/{a}" for a in AGENCIES]


@dataclass(frozen=True)
class Stage:
    argv: list[str]
    inputs: list[str]
    outputs: list[str]
    points: list[str]


DEIDENTIFY = ["deidentify", "--project", "demo", "--out", "data/research/demo/base"]
DEIDENTIFY += ["--report", "reports/disclosure_risk/demo.json"]

STAGES = {
    "validate": Stage(
        argv=[
            "validate",
            "hfs",
            "--landing",
            "data/landing/hfs",
            "--staged",
            "data/staged/hfs",
            "--quarantine",
            "data/quarantine/hfs",
            "--report",
            "reports/validation/hfs.json",
        ],
        inputs=["data/landing/hfs"],
        outputs=["data/staged/hfs", "data/quarantine/hfs", "reports/validation/hfs.json"],
        points=["validate.opened", "validate.batch", "validate.written"],
    ),
    "link": Stage(
        argv=["link", *STAGED, "--out", "data/linkage"],
        inputs=STAGED,
        outputs=["data/linkage"],
        points=["link.trained", "link.crosswalk", "link.pairs"],
    ),
    "deidentify": Stage(
        argv=DEIDENTIFY,
        inputs=[*STAGED, "data/linkage"],
        outputs=["data/research/demo/base", "reports/disclosure_risk/demo.json"],
        points=["deidentify.spilled", "deidentify.written"],
    ),
    # as dvc.yaml runs it: the spill goes to the kept state in the trusted zone
    "deidentify_kept": Stage(
        argv=[*DEIDENTIFY, "--state", "data/deid/demo"],
        inputs=[*STAGED, "data/linkage"],
        outputs=["data/research/demo/base", "reports/disclosure_risk/demo.json", "data/deid/demo"],
        points=["deidentify.spilled", "deidentify.written"],
    ),
    "build": Stage(
        argv=["build", "--base", "data/research/demo/base", "--out", "data/research/demo/analytic"],
        inputs=["data/research/demo/base"],
        outputs=["data/research/demo/analytic"],
        points=["build.bucket", "build.written"],
    ),
}


def _files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}


def _copy_inputs(world: Path, root: Path, stage: Stage) -> None:
    for path in stage.inputs:
        shutil.copytree(world / path, root / path)
    (root / "params.yaml").write_bytes((world / "params.yaml").read_bytes())
    shutil.copytree(world / "governance", root / "governance")


class Run:
    """One ``enclave`` process on ``root``, its scratch and temp dirs inside ``box``."""

    def __init__(self, root: Path, box: Path) -> None:
        self.root, self.box = root, box
        self.scratch, self.tmp = box / "scratch", box / "tmp"
        self.scratch.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENCLAVE_FAILPOINT")}
        return env | {"ENCLAVE_SCRATCH": str(self.scratch), "TMPDIR": str(self.tmp), **extra}

    def start(self, argv: list[str], point: str) -> subprocess.Popen:
        """Start the stage and wait until it pauses at ``point``."""
        ready = self.box / f"ready-{point}-{time.monotonic_ns()}"
        process = subprocess.Popen(
            [sys.executable, "-m", "enclave", *argv],
            cwd=self.root,
            env=self.env(ENCLAVE_FAILPOINT=point, ENCLAVE_FAILPOINT_READY=str(ready)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 300
        while not ready.exists():
            if process.poll() is not None:
                _, err = process.communicate()
                pytest.fail(f"{argv[0]} ended (exit {process.returncode}) before {point}: {err}")
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"{argv[0]} did not reach {point}")
            time.sleep(0.02)
        assert int(ready.read_text()) == process.pid
        return process

    def kill_at(
        self, argv: list[str], point: str, signum: int = signal.SIGKILL, thread: bool = False
    ) -> int:
        """Stop the stage at ``point`` with ``signum``: sent to the process, or with
        ``thread`` to one of its worker threads (the kernel may hand a process-wide
        signal to any thread; the handler must still run on the main one at once)."""
        process = self.start(argv, point)
        if thread:
            tids = {int(t) for t in os.listdir(f"/proc/{process.pid}/task")} - {process.pid}
            libc = ctypes.CDLL(None, use_errno=True)
            assert libc.tgkill(process.pid, min(tids), signum) == 0, ctypes.get_errno()
        else:
            process.send_signal(signum)
        process.communicate(timeout=120)
        return process.returncode

    def run(self, argv: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "enclave", *argv],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )


def _research_parquets_without_dob(root: Path) -> None:
    """No parquet file under ``data/research`` (hidden temporary folders included) has a
    date-of-birth column: the de-identification spill must not be there."""
    for path in (root / "data" / "research").rglob("*.parquet"):
        names = pl.read_parquet_schema(path)
        assert "dob" not in names, f"{path} holds dates of birth"


@pytest.mark.parametrize("name", list(STAGES))
def test_killed_stage_leaves_no_trace_after_the_next_run(name, small_world, tmp_path):
    stage = STAGES[name]
    root, box = tmp_path / "root", tmp_path / "box"
    root.mkdir()
    _copy_inputs(small_world, root, stage)
    inputs = _files(root)
    run = Run(root, box)

    for point in stage.points:
        assert run.kill_at(stage.argv, point) == -signal.SIGKILL
        if point == "deidentify.spilled":  # the case found in the issue: DOBs in research/
            kept = "--state" in stage.argv
            where = root / "data" / "deid" if kept else run.scratch
            spills = list(where.glob(".demo.tmp-*" if kept else "enclave-deid-*"))
            assert spills and all((p.stat().st_mode & 0o777) == 0o700 for p in spills)
            assert any(p.is_file() for p in spills[0].rglob("*"))
            _research_parquets_without_dob(root)
    leftovers = _files(root) - inputs
    assert leftovers or any(run.scratch.iterdir()), "the kills left nothing to clean up"

    result = run.run(stage.argv)
    assert result.returncode == 0, result.stderr

    declared = tuple(stage.outputs)
    stray = sorted(
        f
        for f in _files(root) - inputs
        if not any(f == o or f.startswith(o + "/") for o in declared)
    )
    assert stray == [], f"left behind by {name}: {stray}"
    assert list(run.scratch.iterdir()) == []
    assert list(run.tmp.iterdir()) == []
    for path in sorted(_files(root) - inputs):  # same bytes as a run never interrupted
        assert (root / path).read_bytes() == (small_world / path).read_bytes(), path


@pytest.mark.parametrize("thread", [False, True], ids=["process", "worker-thread"])
def test_a_stop_signal_removes_scratch_and_partial_output_at_once(small_world, tmp_path, thread):
    stage = STAGES["deidentify"]
    root, box = tmp_path / "root", tmp_path / "box"
    root.mkdir()
    _copy_inputs(small_world, root, stage)
    inputs = _files(root)
    run = Run(root, box)
    stopped = run.kill_at(stage.argv, "deidentify.spilled", signal.SIGTERM, thread=thread)
    assert stopped == 128 + signal.SIGTERM
    assert _files(root) - inputs == set()
    assert [p for p in (root / "data").rglob("*") if p.name.startswith(".")] == []
    assert list(run.scratch.iterdir()) == []


def test_a_second_run_on_the_same_output_stops_naming_the_first(small_world, tmp_path):
    stage = STAGES["validate"]
    root, box = tmp_path / "root", tmp_path / "box"
    root.mkdir()
    _copy_inputs(small_world, root, stage)
    run = Run(root, box)
    first = run.start(stage.argv, "validate.opened")
    try:
        second = run.run(stage.argv)
        assert second.returncode == 2
        assert "data/staged/hfs is being written by another run" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert "enclave validate hfs" in second.stderr or "validate hfs" in second.stderr
        assert not (root / "data" / "staged" / "hfs").exists()
    finally:
        first.kill()
        first.communicate()
    assert run.run(stage.argv).returncode == 0
    assert (root / "data" / "staged" / "hfs" / "content.parquet").exists()
