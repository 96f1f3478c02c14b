"""Starting ``enclave lab`` from a test, as a researcher would from a shell."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(root: Path, port: int, env: Mapping[str, str]) -> tuple[subprocess.Popen, str]:
    """``enclave lab`` on ``root`` (its notebooks and params.yaml) in the background; the
    process and the address it prints (EOF if it stopped: then the address is empty)."""
    command = [sys.executable, "-m", "enclave", "lab", "--port", str(port)]
    command += ["--notebooks", str(root / "notebooks"), "--params", str(root / "params.yaml")]
    process = subprocess.Popen(
        command,
        cwd=root,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stdout:
        if "token=" in line:
            return process, line.strip()
    return process, ""


def wait_ready(url: str, timeout: float = 90) -> None:
    """Wait until the lab at ``url`` (the printed address) answers its status API."""
    import time
    import urllib.request

    base, token = url.split("/lab?")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?{token}", timeout=5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
