"""A study's report and the catalog, as readers see them in Chromium: the report on a
phone-width screen states the study's parameters (reference period first) and shows a
protected table and a figure with alternative text, without scrolling sideways; the
catalog lists every table the project may read. Screenshots go to ``build/screenshots/``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import world
import yaml
from selenium.webdriver.common.by import By

from enclave import cli, sandbox
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import ROOT_ENV
from enclave.testing import analytic_zone

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PHONE = (390, 844)


@pytest.fixture(scope="module")
def zone(tmp_path_factory):
    """A made-up research zone, and the environment a researcher of demo works in."""
    root = tmp_path_factory.mktemp("report_world")
    analytic_zone.write_analytic(root, persons=1500, seed=1)
    shutil.copytree(REPO / "governance", root / "governance", dirs_exist_ok=True)
    env = {ROOT_ENV: str(root), USER_ENV: "ana_researcher", STATE_ENV: str(root / "state")}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        yield root


@pytest.fixture(scope="module")
def report(zone) -> Path:
    if not sandbox.available():
        pytest.skip("bubblewrap cannot sandbox here (make tools)")
    study = {"notebook": "service_overlap", **world.OVERLAP_STUDY}
    params = zone / "study_params.yaml"
    params.write_text(
        yaml.safe_dump({"disclosure": {"min_cell": 11}, "studies": {"service_overlap": study}})
    )
    out = zone / "outputs" / "service_overlap"
    argv = ["study", "service_overlap", "--params", str(params)]
    assert cli.main([*argv, "--notebooks", str(REPO / "notebooks"), "--out", str(out)]) == 0
    return out / "report.html"


def _fits_the_screen(browser) -> bool:
    return browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def test_the_report_reads_on_a_phone(browser, report, screenshots):
    browser.set_window_size(*PHONE)
    browser.get(report.as_uri())
    header = browser.find_element(By.CSS_SELECTOR, "section.study-parameters")
    terms = [dt.text for dt in header.find_elements(By.TAG_NAME, "dt")]
    assert terms[:2] == ["Reference period starts", "Reference period ends"]
    assert "code" not in {e.tag_name for e in browser.find_elements(By.CSS_SELECTOR, "pre")}
    tables = browser.find_elements(By.CSS_SELECTOR, "table")
    assert tables and tables[0].find_elements(By.CSS_SELECTOR, "tbody tr")
    figures = browser.find_elements(By.CSS_SELECTOR, "img")
    assert figures and all(f.get_attribute("alt") for f in figures)
    assert all(browser.execute_script("return arguments[0].naturalWidth", f) > 100 for f in figures)
    assert "Medicaid" in browser.page_source  # programs by their names, not agency codes
    assert _fits_the_screen(browser), "the report scrolls sideways on a phone"
    browser.save_screenshot(str(screenshots / "report_phone_top.png"))
    browser.execute_script("arguments[0].scrollIntoView()", figures[0])
    browser.save_screenshot(str(screenshots / "report_phone_figure.png"))


def test_the_catalog_lists_every_table_the_project_may_read(browser, zone, screenshots):
    import enclave

    catalog = enclave.catalog(project="demo")
    page = zone / "catalog.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="viewport" '
        'content="width=device-width, initial-scale=1"><title>Catalog</title></head>'
        f"<body>{catalog._repr_html_()}</body></html>",
        encoding="utf-8",
    )
    browser.get(page.as_uri())
    text = browser.find_element(By.TAG_NAME, "body").text
    approved = yaml.safe_load((zone / "governance" / "projects" / "demo.yaml").read_text())
    for table in approved["tables"]:
        assert table in text
    assert "project pseudonym of the person" in text  # the columns' descriptions
    browser.save_screenshot(str(screenshots / "catalog.png"))
