"""The researcher's JupyterLab, opened in a real browser (Debian's Chromium, headless,
installed by ``make tools``): the lab shows the project's kernel and notebooks, and a
study notebook opens with the ``enclave`` kernel running in the sandbox."""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import pytest

from enclave import sandbox
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import ROOT_ENV
from enclave.testing import analytic_zone
from enclave.testing import lab as lab_process

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot sandbox here"),
]

#: headless Chromium on a closed network: no background requests, a fresh profile
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=30000",
]


def _page(url: str, *extra: str) -> str:
    """The page's DOM after its scripts ran."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, "--dump-dom", url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr[-1000:]
    return done.stdout


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab_world")
    analytic_zone.write_analytic(root, persons=300, seed=6)
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "service_overlap.ipynb", root / "notebooks")
    (root / "notebooks" / "conftest.py").write_text("# test scaffolding\n")
    env = {ROOT_ENV: str(root), USER_ENV: "ana_researcher", STATE_ENV: str(root / "state")}
    process, url = lab_process.start(root, lab_process.free_port(), env)
    assert url, process.stderr.read()[-2000:]
    lab_process.wait_ready(url)
    yield url
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)


def test_the_lab_shows_the_project_kernel_and_the_notebooks(lab):
    dom = _page(lab)
    assert "jp-LabShell" in dom
    assert "enclave (demo)" in dom  # the launcher offers the project's kernel
    assert "Python 3 (ipykernel)" not in dom  # and no other
    assert "service_overlap.ipynb" in dom
    assert "conftest.py" not in dom


def test_a_study_notebook_opens_on_the_enclave_kernel(lab):
    base, token = lab.split("/lab?")
    dom = _page(f"{base}/lab/tree/service_overlap.ipynb?{token}")
    assert "Service overlap: how many agencies does one person touch?" in dom
    assert "enclave (demo)" in dom  # the notebook's kernel, shown in its toolbar
