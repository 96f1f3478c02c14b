"""Output locks, leftover sweeps and private scratch (enclave.scratch, enclave.io)."""

from __future__ import annotations

import multiprocessing
import os
import stat

import pytest

from enclave import io
from enclave.scratch import (
    OutputBusyError,
    Scratch,
    claim,
    lock_path,
    output_lock,
    sweep_scratch,
    sweep_siblings,
)


def test_output_lock_names_its_holder_and_goes_with_it(tmp_path):
    target = tmp_path / "staged" / "hfs"
    with output_lock(target):
        text = lock_path(target).read_text()
        assert text.startswith(f"pid {os.getpid()}, started ")
        with output_lock(target):  # re-entrant in one process: claim, then write
            assert lock_path(target).exists()
        assert lock_path(target).exists()
    assert not lock_path(target).exists()
    with output_lock(target):  # free again
        pass


def test_claim_locks_and_sweeps_every_output_before_work(tmp_path):
    staged, report = tmp_path / "staged" / "hfs", tmp_path / "reports" / "hfs.json"
    report.parent.mkdir(parents=True)
    (report.parent / ".hfs.json.tmp-dead0001").write_text("partial")
    with claim(staged, report):
        assert lock_path(staged).exists() and lock_path(report).exists()
        assert list(report.parent.iterdir()) == [lock_path(report)]
        with io.atomic_file(report) as tmp:
            tmp.write_text("{}")
    assert sorted(p.name for p in report.parent.iterdir()) == ["hfs.json"]
    assert not lock_path(staged).exists()


def test_a_lock_file_left_by_a_dead_run_is_taken_over_and_removed(tmp_path):
    target = tmp_path / "hfs"
    lock_path(target).write_text("pid 1, started long ago: enclave validate hfs\n")
    with output_lock(target):
        assert str(os.getpid()) in lock_path(target).read_text()
    assert not lock_path(target).exists()


def _hold(target, ready, release):
    with output_lock(target):
        ready.set()
        release.wait(30)


def test_a_lock_held_by_another_process_refuses_this_one(tmp_path):
    target = tmp_path / "out"
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold, args=(target, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(OutputBusyError, match=f"pid {holder.pid}"), io.atomic_dir(target):
            pass
        assert not target.exists()
    finally:
        release.set()
        holder.join(60)
    with io.atomic_dir(target) as tmp:
        (tmp / "a").write_text("x")
    assert (target / "a").read_text() == "x"


def test_sweep_removes_only_the_temporary_siblings_of_its_target(tmp_path):
    target = tmp_path / "hfs"
    dead = [tmp_path / ".hfs.tmp-abcd1234", tmp_path / ".hfs.q1w2e3r4"]  # new and old style
    for d in dead:
        d.mkdir()
        (d / "identifiers.parquet").write_bytes(b"x")
    (tmp_path / ".hfs.json.tmp-abcd1234").write_text("{}")  # another output's
    (tmp_path / "hfs.keep").write_text("")
    (tmp_path / ".hfs.tmp-short").mkdir()  # not a name mkdtemp gives
    assert sweep_siblings(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".hfs.json.tmp-abcd1234",
        ".hfs.tmp-short",
        "hfs.keep",
    ]


def test_atomic_writes_sweep_what_killed_runs_left(tmp_path):
    target = tmp_path / "reports" / "r.json"
    target.parent.mkdir()
    (target.parent / ".r.json.tmp-zzzz9999").write_text("partial")
    with io.atomic_file(target) as tmp:
        tmp.write_text("{}")
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]


def test_scratch_is_private_and_goes_with_its_run(tmp_path):
    with Scratch("deid", root=tmp_path) as path:
        assert path.parent == tmp_path and path.name.startswith("enclave-deid-")
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
        (path / "spill.parquet").write_bytes(b"x")
        assert sweep_scratch(tmp_path, "deid") == 0  # held by this live run: kept
        assert path.exists()
    assert list(tmp_path.iterdir()) == []


def test_scratch_sweeps_unheld_folders_of_its_kind_only(tmp_path):
    for name in ("enclave-deid-dead0001", "enclave-duckdb-dead0002", "other-deid-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "f").write_text("x")
    scratch = Scratch("deid", root=tmp_path)
    try:
        names = sorted(p.name for p in tmp_path.iterdir())
        assert "enclave-deid-dead0001" not in names
        assert "enclave-duckdb-dead0002" in names and "other-deid-x" in names
    finally:
        scratch.close()
    scratch.close()  # twice is harmless
    assert sorted(p.name for p in tmp_path.iterdir()) == ["enclave-duckdb-dead0002", "other-deid-x"]


def test_scratch_root_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ENCLAVE_SCRATCH", str(tmp_path / "s"))
    with Scratch("link") as path:
        assert path.parent == tmp_path / "s"
