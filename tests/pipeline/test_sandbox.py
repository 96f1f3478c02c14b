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

import pytest

from enclave import sandbox
from enclave.deid.pseudonym import default_key_path, resolve_master_key
from enclave.paths import Paths

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
