"""The service-overlap notebook run by ``enclave study`` on a made-up research zone.

Every output file is scanned for a count in (0, min_cell): CSV count columns, the
count cells of every HTML table, and any other number in the report's and the
executed notebook's text. The fixture is checked to hold such small counts before
protection, so the scan is not vacuous.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import polars as pl
import pytest
import world
import yaml

from enclave import cli
from enclave.disclosure import MARKER
from enclave.governance import agreement, projects
from enclave.paths import Paths
from enclave.studies import overlap
from enclave.testing import analytic_zone as fixture

REPO = Path(__file__).resolve().parents[2]
NAME = "service_overlap"
#: the agreement's minimum cell for the demo project's data (HFS: 11), the floor every
#: output is scanned against; ``enclave study`` refuses a lower ``disclosure.min_cell``
MIN_CELL = 11
#: the study's parameters for these tests (the notebook's committed defaults), never the
#: live params.yaml's, which an experiment may change
STUDY = world.OVERLAP_STUDY
INTEGER = re.compile(r"(?<![\d.])\d+(?![\d.])")


def _write_params(directory: Path, **study) -> Path:
    """This test's params file in ``directory`` (the study reads the agreement beside it),
    ``study`` overriding :data:`STUDY`."""
    fixed = {"disclosure": {"min_cell": MIN_CELL}, "studies": {NAME: {**STUDY, **study}}}
    path = directory / "study_params.yaml"
    path.write_text(yaml.safe_dump(fixed, sort_keys=False))
    return path


def _beside_the_agreement(directory: Path, **study) -> Path:
    """The fixed params beside the repository's agreement, whose rules the study meets."""
    shutil.copytree(REPO / "governance", directory / "governance")
    return _write_params(directory, **study)


@pytest.fixture(scope="module")
def params(tmp_path_factory) -> Path:
    return _beside_the_agreement(tmp_path_factory.mktemp("params"))


def _run(root: Path, out: Path, params: Path) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(root))
        argv = ["study", NAME, "--params", str(params)]
        argv += ["--notebooks", str(REPO / "notebooks"), "--out", str(out)]
        assert cli.main(argv) == 0


def test_the_minimum_cell_is_the_agreements_for_the_project():
    terms = agreement.load(root=REPO)
    project = projects.load(STUDY["project"], terms, REPO)
    assert terms.strictest(projects.parties_of(project, terms)).min_cell == MIN_CELL


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fixture_world")
    fixture.write_analytic(root, persons=1500, seed=1)
    return root


@pytest.fixture(scope="module")
def out(world, params) -> Path:
    target = world / "outputs" / NAME
    _run(world, target, params)
    return target


class _Cells(HTMLParser):
    """Collects the text of ``td.count`` cells and, separately, all other visible text
    except table labels (``th`` and ``td.dim``: category names such as "3" agencies)."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[str] = []
        self.text: list[str] = []
        self._skip = 0
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        if tag == "th" or (tag == "td" and ("class", "dim") in attrs):
            self._cell = "label"
        elif tag == "td":
            self._cell = "count"

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        if tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data):
        if self._skip or self._cell == "label":
            return
        (self.counts if self._cell == "count" else self.text).append(data)


def _small(token: str) -> bool:
    """A count below the minimum cell (a share or a bound, "0.0547", is no count)."""
    return token.isdigit() and 0 < int(token) < MIN_CELL


def _scan_html(html: str) -> tuple[int, list[str]]:
    """(number of count cells, offending tokens) of an HTML document or fragment."""
    parser = _Cells()
    parser.feed(html)
    bad = [c for c in parser.counts if c.strip() != MARKER and _small(c.strip())]
    bad += [t for text in parser.text for t in INTEGER.findall(text) if _small(t)]
    return len(parser.counts), bad


def test_the_fixture_holds_small_counts_before_protection(world):
    load = {
        t: pl.scan_parquet(Paths(world).analytic("demo") / f"{t}.parquet") for t in fixture.SCHEMAS
    }
    period = overlap.Period.parse("2019-01-01", "2019-12-31")
    touched = overlap.agencies_touched(
        load["program_spells"], load["life_events"], load["persons"], period, 0.9
    )
    ages = overlap.with_age_group(load["persons"], period, [0, 18, 26, 45, 65])
    raw = touched.join(ages, on="pid").group_by("age_group", "n_agencies").len().collect()
    assert raw.filter(pl.col("len") < MIN_CELL).height > 0


def test_outputs_are_complete(out):
    assert (out / f"{NAME}.ipynb").is_file()
    assert (out / "report.html").is_file()
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "agencies_per_person.png",
        "top_combinations.png",
    ]
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == [
        "agencies_by_age_group.csv",
        "agencies_by_county.csv",
        "agencies_per_person.csv",
        "snap_liheap.csv",
        "snap_medicaid.csv",
        "top_combinations.csv",
    ]
    assert not list(out.parent.glob(f".{NAME}.*")), "a temporary directory was left behind"


def test_every_output_is_certified_and_passes_the_checker(world, out):
    """The study's outputs pass ``enclave outputs check`` under the agreement's rules for its
    project: every table, figure and shown number came from a safe helper."""
    # the rules come from the agreement beside the params file: the world's own
    params = _write_params(world)
    argv = ["outputs", "check", str(out), "--study", NAME, "--params", str(params)]
    argv += ["--report", str(world / "reports" / "check.json")]
    assert cli.main(argv) == 0
    report = json.loads((world / "reports" / "check.json").read_text())
    assert report["passed"] and report["findings"] == []
    kinds = {f["file"]: f.get("certified") for f in report["files"]}
    assert all(kinds[f] == 1 for f in kinds if f.endswith((".csv", ".png"))), kinds
    assert kinds[f"{NAME}.ipynb"] >= 8  # five tables, two figures and the share sentence


def test_no_csv_publishes_a_small_count(out):
    suppressed = 0
    for path in (out / "tables").glob("*.csv"):
        table = pl.read_csv(path)
        # a count table's cells, or a table of shares' persons and events
        for column in {"n", "persons", "events"} & set(table.columns):
            counts = table.get_column(column).drop_nulls().cast(pl.Int64)
            assert not ((counts > 0) & (counts < MIN_CELL)).any(), (path.name, column)
        if "suppressed" not in table.columns:
            continue
        assert (
            table.filter(pl.col("suppressed")).get_column("n").null_count()
            == table.filter(pl.col("suppressed")).height
        )
        suppressed += int(table.get_column("suppressed").sum())
    assert suppressed > 0  # the fixture does have small cells to protect


def test_report_has_no_code_and_no_small_count(out):
    html = (out / "report.html").read_text()
    assert "agencies_touched" not in html and "show_table" not in html
    # the parameters block states dates and settings, not counts
    start, end = html.index('<section class="study-parameters">'), html.index("</section>")
    cells, bad = _scan_html(html[:start] + html[end:])
    assert cells > 0
    assert MARKER in html
    assert bad == []


def test_executed_notebook_outputs_show_no_small_count(out):
    nb = nbformat.read(out / f"{NAME}.ipynb", as_version=4)
    seen = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.output_type != "error"
            data = output.get("data", {})
            if "text/html" in data:
                cells, bad = _scan_html(data["text/html"])
                seen += cells
            elif "image/png" in data:
                continue  # figures draw only protected tables; their text/plain is a size
            else:
                text = data.get("text/markdown", "") + data.get("text/plain", "")
                text += output.get("text", "")
                bad = [t for t in INTEGER.findall(text) if _small(t)]
            assert bad == []
    assert seen > 0


def test_executed_notebook_has_no_timings_or_temporary_paths(out):
    text = (out / f"{NAME}.ipynb").read_text()
    for needle in ("start_time", "end_time", "duration", "iopub", str(out.parent)):
        assert needle not in text
    nb = nbformat.read(out / f"{NAME}.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert [c.id for c in injected] == ["injected-parameters"]
    assert nb.metadata.papermill.parameters.output_dir == "."


def test_a_rerun_gives_the_same_bytes(world, out, params, tmp_path):
    again = tmp_path / NAME
    _run(world, again, params)
    first = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in sorted(again.rglob("*")) if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_an_unknown_study_fails_cleanly(world, params, tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENCLAVE_ROOT", str(world))
        code = cli.main(["study", "nope", "--params", str(params), "--out", str(tmp_path / "x")])
    assert code == 2
    assert not (tmp_path / "x").exists()


def test_the_scan_catches_a_small_count():
    leaky = '<table><tr><th>3</th><td class="dim">2</td><td class="count">7</td></tr></table>'
    assert _scan_html(leaky) == (1, ["7"])
    assert _scan_html("<p>seen by 4 agencies, 12.5% of 40</p>") == (0, ["4"])


def test_a_period_holding_nobody_gives_tables_of_zeros(world, tmp_path):
    """The fixture zone holds 2019 only: a 1950 study runs, and publishes zeros. The
    energy-assistance table is of the last program year the records cover, whatever
    the period, so it is not among them."""
    params = _beside_the_agreement(
        tmp_path / "params", period_start="1950-01-01", period_end="1950-12-31"
    )
    out = tmp_path / NAME
    _run(world, out, params)
    tables = sorted((out / "tables").glob("*.csv"))
    assert len(tables) == 6 and (out / "tables" / "snap_liheap.csv") in tables
    for path in (t for t in tables if t.name != "snap_liheap.csv"):
        table = pl.read_csv(path, schema_overrides={"n": pl.Int64})
        assert table.get_column("n").to_list() == [0] * table.height, path.name
        assert not table.get_column("suppressed").any(), path.name
    nb = nbformat.read(out / f"{NAME}.ipynb", as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert all(o.output_type != "error" for o in outputs)
    shown = [o["data"].get("text/markdown", "") for o in outputs if "data" in o]
    assert any("nobody in the period" in text for text in shown)


def test_the_report_states_its_parameters_and_describes_every_figure(out):
    html = (out / "report.html").read_text()
    block = html[html.index('<section class="study-parameters">') : html.index("</section>")]
    assert "Reference period starts</dt><dd>2019-01-01" in block
    assert "Smallest count shown (minimum cell)</dt><dd>11" in block
    alts = re.findall(r'<img alt="([^"]*)"', html)
    assert len(alts) == 2 and all(a.startswith(("Bar chart", "Combination chart")) for a in alts)
    assert "No description has been provided" not in html
