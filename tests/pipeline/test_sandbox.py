"""From inside the research sandbox, a process reads its project's analytic zone and
nothing else: not the staged identifiers, the truth, the linkage zone, another
project's zone or the master key, and it cannot open a network connection. Each is
tried from a probe run in the sandbox, on the small world."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from enclave import cli, sandbox
from enclave.deid.pseudonym import default_key_path, resolve_master_key
from enclave.governance.audit import STATE_ENV, Log, audit_key
from enclave.paths import Paths
from enclave.testing import analytic_zone

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot sandbox here"),
]

PROBE = r"""
import json, socket, sys
results = {}
for name, path in json.loads(sys.argv[1]).items():
    try:
        with open(path, "rb") as handle:
            handle.read(16)
        results[name] = "read"
    except OSError as exc:
        results[name] = type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=5).close()
    results["network"] = "connected"
except OSError as exc:
    results["network"] = type(exc).__name__
import enclave, polars
results["python"] = "ok"
print(json.dumps(results))
"""


@pytest.fixture
def listener():
    """A server on this machine's loopback, outside the sandbox (bounded: one accept)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(10)

    def serve():
        with contextlib.suppress(OSError):
            server.accept()[0].close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def test_the_sandbox_shows_the_project_zone_and_nothing_else(small_world, tmp_path, listener):
    resolve_master_key()  # the key file exists outside, so a failed read is the sandbox's
    data = small_world / "data"
    targets = {
        "own zone": data / "research/demo/analytic/persons.parquet",
        "staged identifiers": data / "staged/hfs/identifiers.parquet",
        "truth": data / "truth/records.parquet",
        "crosswalk": data / "linkage/crosswalk.parquet",
        "other project": data / "research/reentry/analytic/persons.parquet",
        "other base zone": data / "research/demo/base/hfs.parquet",
        "master key": default_key_path(),
        "landing": next((data / "landing/hfs").iterdir()),
    }
    for path in targets.values():
        assert path.exists(), path  # each is really there, outside
    argv = [sys.executable, "-c", PROBE, json.dumps({k: str(v) for k, v in targets.items()})]
    argv.append(str(listener))
    wrapped = sandbox.command(
        argv,
        paths=Paths(small_world),
        project="demo",
        writable=[tmp_path],
        env=sandbox.carried_environment({"ENCLAVE_MASTER_KEY": "ab" * 32}),
    )
    done = subprocess.run(wrapped, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert results.pop("own zone") == "read" and results.pop("python") == "ok"
    assert results.pop("network") != "connected"
    assert results == dict.fromkeys(results, "FileNotFoundError"), results


def test_no_secret_crosses_into_the_sandbox(small_world, tmp_path):
    code = "import os, json; print(json.dumps(sorted(os.environ)))"
    wrapped = sandbox.command(
        [sys.executable, "-c", code],
        paths=Paths(small_world),
        project="demo",
        env=sandbox.carried_environment(
            {"ENCLAVE_MASTER_KEY": "ab" * 32, "ENCLAVE_SECRET_FILE": "/x", "ENCLAVE_USER": "ana"}
        ),
    )
    names = json.loads(subprocess.run(wrapped, capture_output=True, text=True, check=True).stdout)
    assert "ENCLAVE_MASTER_KEY" not in names and "ENCLAVE_SECRET_FILE" not in names
    assert "ENCLAVE_USER" in names and "ENCLAVE_ROOT" in names


REPO = Path(__file__).resolve().parents[2]


def _study(root: Path, out: Path) -> int:
    argv = ["study", "service_overlap", "--params", str(REPO / "params.yaml")]
    argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
    return cli.main(argv)


@pytest.fixture
def fixture_root(tmp_path, monkeypatch):
    root = tmp_path / "root"
    analytic_zone.write_analytic(root, persons=600, seed=3)
    monkeypatch.setenv("ENCLAVE_ROOT", str(root))
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    return root


def test_a_study_runs_in_the_sandbox_and_its_reads_are_sealed_into_the_log(
    fixture_root, tmp_path, monkeypatch
):
    monkeypatch.chdir(fixture_root)  # as dvc runs it: relative paths from the root
    assert _study(fixture_root, Path("outputs/service_overlap")) == 0
    assert (fixture_root / "outputs/service_overlap/report.html").is_file()
    log = Log(tmp_path / "state", audit_key())
    entries = log.entries()
    loads = [e for e in entries if e["action"] == "load"]
    tables = {"program_spells", "life_events", "persons", "coverage"}
    assert {e["what"]["table"] for e in loads} == tables
    assert all(e["what"]["sandboxed"] is True and e["user"] == "enclave-pipeline" for e in loads)
    assert entries[-1]["action"] == "study" and entries[-1]["what"]["sandboxed"] is True
    assert log.verify().ok


def test_without_a_sandbox_a_study_refuses_unless_told_otherwise(
    fixture_root, tmp_path, monkeypatch, caplog
):
    monkeypatch.setattr(sandbox, "available", lambda: False)
    assert _study(fixture_root, tmp_path / "out") == 2
    assert "the research sandbox cannot be made here" in caplog.text
    assert not (tmp_path / "out").exists()
    monkeypatch.setenv("ENCLAVE_UNSANDBOXED", "1")
    assert _study(fixture_root, tmp_path / "out") == 0
    last = Log(tmp_path / "state", audit_key()).entries()[-1]
    assert last["action"] == "study" and last["what"]["sandboxed"] is False
