"""What the browser tests share: Debian's headless Chromium driven by selenium through
Debian's chromedriver (both installed by ``make tools``; a browser that downloads itself
fails here), a JupyterLab on a made-up research zone, and a folder for screenshots
(``build/screenshots/``, git-ignored: the tests' artifacts)."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from enclave import sandbox
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import ROOT_ENV
from enclave.testing import analytic_zone
from enclave.testing import lab as lab_process

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = REPO / "build" / "screenshots"
#: a phone's screen, in CSS pixels
PHONE = (390, 844)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def browser():
    """A fresh headless Chromium (its own profile, no background network)."""
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Debian's chromium and chromium-driver are not installed (make tools)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    if not sandbox.available():
        pytest.skip("bubblewrap cannot sandbox here (make tools)")
    root = tmp_path_factory.mktemp("lab_world")
    analytic_zone.write_analytic(root, persons=300, seed=6)
    (root / "notebooks").mkdir()
    shutil.copy(REPO / "notebooks" / "service_overlap.ipynb", root / "notebooks")
    (root / "notebooks" / "conftest.py").write_text("# test scaffolding\n")
    return root


@pytest.fixture(scope="session")
def lab(lab_root):
    """The lab's URL (with its token), serving ``lab_root`` as ana_researcher of demo."""
    env = {
        ROOT_ENV: str(lab_root),
        USER_ENV: "ana_researcher",
        STATE_ENV: str(lab_root / "state"),
    }
    process, url = lab_process.start(lab_root, lab_process.free_port(), env)
    assert url, process.stderr.read()[-2000:]
    lab_process.wait_ready(url)
    yield url
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
