"""``enclave lab`` (``make lab``): JupyterLab for one project, in the research sandbox.

The lab is started as a researcher would, on a made-up research zone; a kernel is
opened through the lab's own HTTP and WebSocket API (as the browser does), and code
run in it finds the project's data and the ``enclave`` kernel's settings, but not the
staged identifiers, the truth, the master key or the network. Its reads are sealed
into the audit log when the lab stops.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from enclave import lab, sandbox
from enclave.data import AccessError
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import Paths
from enclave.testing import analytic_zone
from enclave.testing import lab as lab_process

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    analytic_zone.write_analytic(tmp_path, persons=300, seed=3)
    (tmp_path / "notebooks").mkdir()
    # what a notebook must never see, in the zones beside the project's
    for decoy in ("data/staged/hfs/identifiers.parquet", "data/truth/persons.parquet"):
        (tmp_path / decoy).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / decoy).write_bytes(b"PAR1 identifiers")
    return tmp_path


def test_a_project_whose_zone_is_not_built_gets_a_clear_message(tmp_path):
    (tmp_path / "params.yaml").write_text("deid:\n  projects: [demo]\n")
    with pytest.raises(lab.LabError, match=r"has not been built yet .* run `make repro`"):
        lab.check_zone("demo", Paths(tmp_path))


def test_the_project_comes_from_the_user_s_memberships(root, monkeypatch):
    monkeypatch.setenv(USER_ENV, "ana_researcher")
    monkeypatch.delenv(lab.PROJECT_ENV, raising=False)
    assert lab.choose_project(None, Paths(root)) == "demo"
    monkeypatch.setenv(USER_ENV, "mallory")
    with pytest.raises(lab.LabError, match="mallory is a member of no project"):
        lab.choose_project(None, Paths(root))


def test_a_non_member_cannot_open_the_lab(root, monkeypatch):
    monkeypatch.setenv(USER_ENV, "mallory")
    monkeypatch.setenv(STATE_ENV, str(root / "state"))
    with pytest.raises(AccessError, match="mallory is not a member of project demo"):
        lab.run("demo", 0, root / "notebooks", Paths(root))


def _get(url: str, data: bytes | None = None) -> dict:
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _wait_for(url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _get(url)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _execute(ws_url: str, code: str) -> str:
    """Run ``code`` in the kernel over the lab's WebSocket; its printed output."""
    from tornado.ioloop import IOLoop
    from tornado.websocket import websocket_connect

    async def go() -> str:
        conn = await websocket_connect(ws_url)
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "session": uuid.uuid4().hex,
            "username": "test",
            "version": "5.3",
        }
        content = {"code": code, "silent": False, "store_history": False, "allow_stdin": False}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        await conn.write_message(json.dumps({**message, "channel": "shell"}))
        out: list[str] = []
        while True:
            raw = await conn.read_message()
            assert raw is not None, "the kernel's channel closed"
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                out.append(f"ERROR {msg['content']['ename']}")
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                conn.close()
                return "".join(out)

    return IOLoop.current().run_sync(go, timeout=120)


PROBE = """
import os, socket
import polars as pl
import enclave
print("who", os.environ.get("ENCLAVE_PROJECT"), os.environ.get("ENCLAVE_USER"))
root = os.environ["ENCLAVE_ROOT"]
for name in ("data/staged", "data/truth", "data/linkage"):
    print(name, os.path.exists(os.path.join(root, name)))
print("master key", "ENCLAVE_MASTER_KEY" in os.environ)
persons = enclave.load("persons", project="demo").select(pl.len()).collect().item()
print("loaded", persons > 0)
try:
    socket.create_connection(("1.1.1.1", 53), timeout=3).close()
    print("network open")
except OSError:
    print("network closed")
"""


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot sandbox here")
def test_the_lab_runs_a_kernel_in_the_sandbox_and_audits_its_reads(root, tmp_path):
    port = lab_process.free_port()
    env = {
        "ENCLAVE_ROOT": str(root),
        USER_ENV: "ana_researcher",
        STATE_ENV: str(tmp_path / "state"),
        "ENCLAVE_MASTER_KEY": "ab" * 32,
        lab.PROJECT_ENV: "",
    }
    process, url = lab_process.start(root, port, env)
    try:
        assert url, process.stderr.read()[-2000:]
        assert url.startswith(f"http://127.0.0.1:{port}/lab?token=")
        token = url.split("token=")[1]
        base = f"http://127.0.0.1:{port}/api"
        _wait_for(f"{base}/status?token={token}")
        specs = _get(f"{base}/kernelspecs?token={token}")
        assert specs["default"] == "enclave" and "enclave" in specs["kernelspecs"]
        kernel = _get(f"{base}/kernels?token={token}", json.dumps({"name": "enclave"}).encode())
        ws = f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels?token={token}"
        lines = _execute(ws, PROBE).splitlines()
        assert "who demo ana_researcher" in lines
        assert {"data/staged False", "data/truth False", "data/linkage False"} <= set(lines)
        assert "master key False" in lines
        assert "loaded True" in lines, lines
        assert "network closed" in lines
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
    assert process.returncode == 0
    entries = [json.loads(x) for x in (tmp_path / "state" / "audit.jsonl").read_text().splitlines()]
    loads = [e for e in entries if e["action"] == "load"]
    assert [(e["user"], e["project"], e["what"]["table"]) for e in loads] == [
        ("ana_researcher", "demo", "persons")
    ]
    assert any(e["action"] == "study" and e["what"].get("lab") == "start" for e in entries)
