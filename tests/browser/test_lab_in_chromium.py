"""The researcher's JupyterLab in a real browser (Debian's headless Chromium, driven by
selenium): the lab offers the project's kernel and its notebooks, and a study notebook
opens on the ``enclave`` kernel (no kernel dialog), runs every cell in the sandbox, and
shows its protected table and figure. Screenshots go to ``build/screenshots/``."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.slow

#: seconds a step may take on a loaded 2-core machine
PATIENCE = 240
OUTPUT = ".jp-OutputArea-output"


def _wait(browser, css: str):
    return WebDriverWait(browser, PATIENCE).until(
        ready.presence_of_element_located((By.CSS_SELECTOR, css))
    )


def _menu(browser, menu: str, item: str) -> None:
    """Click ``menu`` in the menu bar, then ``item`` in it."""
    bar = f"//div[contains(@class,'lm-MenuBar-itemLabel') and text()='{menu}']"
    browser.find_element(By.XPATH, bar).click()
    entry = f"//div[contains(@class,'lm-Menu-itemLabel') and text()='{item}']"
    WebDriverWait(browser, PATIENCE).until(ready.element_to_be_clickable((By.XPATH, entry))).click()


def test_the_lab_offers_the_project_kernel_and_its_notebooks(browser, lab, screenshots):
    browser.get(lab)
    _wait(browser, ".jp-LauncherCard")
    page = browser.page_source
    browser.save_screenshot(str(screenshots / "lab_launcher.png"))
    assert "enclave (demo)" in page  # the launcher offers the project's kernel
    assert "Python 3 (ipykernel)" not in page  # and no other
    assert "service_overlap.ipynb" in page
    assert "conftest.py" not in page


def test_a_study_runs_in_the_lab_and_shows_its_table_and_figure(browser, lab, screenshots):
    base, token = lab.split("/lab?")
    browser.get(f"{base}/lab/tree/service_overlap.ipynb?{token}")
    # the notebook names the lab's kernel: it starts without asking, and goes idle
    kernel = "//*[contains(@class,'jp-Toolbar')]//*[contains(text(),'enclave (demo)')]"
    WebDriverWait(browser, PATIENCE).until(ready.presence_of_element_located((By.XPATH, kernel)))
    _wait(browser, ".jp-Notebook-ExecutionIndicator[data-status='idle']")
    assert not browser.find_elements(By.CSS_SELECTOR, ".jp-Dialog")
    _menu(browser, "Run", "Run All Cells")
    _wait(browser, f"{OUTPUT} img")
    _wait(browser, f"{OUTPUT} table")
    _wait(browser, ".jp-Notebook-ExecutionIndicator[data-status='idle']")
    browser.save_screenshot(str(screenshots / "lab_study_run.png"))
    stderr = "[data-mime-type='application/vnd.jupyter.stderr']"
    errors = browser.find_elements(By.CSS_SELECTOR, stderr)
    assert not errors, "a cell wrote to stderr or raised"
    table = browser.find_element(By.CSS_SELECTOR, f"{OUTPUT} table")
    assert table.find_elements(By.CSS_SELECTOR, "tbody tr"), "the table has no rows"
    figure = browser.find_element(By.CSS_SELECTOR, f"{OUTPUT} img")
    assert browser.execute_script("return arguments[0].naturalWidth", figure) > 100
    browser.execute_script("arguments[0].scrollIntoView()", figure)
    browser.save_screenshot(str(screenshots / "lab_study_figure.png"))
