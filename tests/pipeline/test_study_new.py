"""``enclave study new NAME``: a study from the template runs without code changes, its
parameters are checked against its notebook, and its outputs pass the checker."""

from __future__ import annotations

import json
import os

import nbformat
import pytest
import yaml

from enclave import cli, sandbox
from enclave.paths import ROOT_ENV
from enclave.testing import analytic_zone


@pytest.fixture
def root(tmp_path, monkeypatch):
    analytic_zone.write_analytic(tmp_path, persons=400, seed=5)
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    return tmp_path


def _args(root, *argv):
    return [*argv, "--params", str(root / "params.yaml"), "--notebooks", str(root / "notebooks")]


def test_a_new_study_is_written_from_the_template(root, capsys):
    assert cli.main(_args(root, "study", "new", "kin_care")) == 0
    said = capsys.readouterr().out
    assert "next: dvc repro study@kin_care" in said
    nb = nbformat.read(root / "notebooks" / "kin_care.ipynb", as_version=4)
    parameters = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1 and 'project = "demo"' in parameters[0].source
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert all(h in prose for h in ("## Question", "## Method", "## Limitations"))
    assert all(c.outputs == [] for c in nb.cells if c.cell_type == "code")
    section = yaml.safe_load((root / "params.yaml").read_text())["studies"]["kin_care"]
    assert section == {
        "notebook": "kin_care",
        "project": "demo",
        "period_start": "2019-01-01",
        "period_end": "2019-12-31",
        "min_match_probability": 0.9,
    }
    assert "deid:" in (root / "params.yaml").read_text()  # the rest of the file is kept
    # a second time is refused, naming what exists
    assert cli.main(_args(root, "study", "new", "kin_care")) == 2
    assert cli.main(_args(root, "study", "new", "Bad-Name")) == 2


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot sandbox here")
def test_the_new_study_runs_and_passes_the_checker(root):
    assert cli.main(_args(root, "study", "new", "kin_care")) == 0
    out = root / "outputs" / "kin_care"
    assert cli.main(_args(root, "study", "kin_care", "--out", str(out))) == 0
    assert (out / "tables" / "persons_by_sex.csv").is_file()
    report = root / "reports" / "check.json"
    argv = ["outputs", "check", str(out), "--study", "kin_care"]
    assert cli.main([*argv, "--params", str(root / "params.yaml"), "--report", str(report)]) == 0
    assert json.loads(report.read_text())["passed"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('    colour: "red"\n', "unknown key 'studies.kin_care.colour': kin_care.ipynb has no"),
        ("    period_start: 2019\n", "'studies.kin_care.period_start': expected text"),
        ("    min_cell: 3\n", "'studies.kin_care.min_cell': set by the study runner"),
        ("    min_match_probability: 1.5\n", "must lie in [0, 1]"),
    ],
)
def test_a_bad_section_is_named_before_anything_runs(root, caplog, line, message):
    assert cli.main(_args(root, "study", "new", "kin_care")) == 0
    params = root / "params.yaml"
    text = params.read_text()
    key = line.split(":")[0].strip()
    kept = [ln for ln in text.splitlines(keepends=True) if not ln.strip().startswith(f"{key}:")]
    params.write_text("".join(kept) + line)
    assert cli.main(_args(root, "study", "kin_care", "--out", str(root / "o"))) == 2
    assert message in caplog.text
    assert not (root / "o").exists()


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot sandbox here")
def test_the_readme_recipe_runs_the_new_study_under_dvc(tmp_path):
    """As the README says: `enclave study new kin_care`, then `dvc repro study@kin_care`
    in the project; the study's table lands in outputs/kin_care/. A copy of the project
    (dvc.yaml, params.yaml, the package, notebooks) over a made-up research zone stands
    in for one where `make repro` has run; only the new study's stage is reproduced."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    project = tmp_path / "project"
    project.mkdir()
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(repo / name, project / name)
    for name in ("src", "notebooks"):
        shutil.copytree(repo / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    analytic_zone.write_analytic(project, persons=400, seed=5)  # and its agreement
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    env = {**os.environ, ROOT_ENV: str(project), "PATH": path}

    def run(*argv: str) -> str:
        done = subprocess.run(argv, cwd=project, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout

    run("git", "init", "-q")
    run("dvc", "init", "-q")
    run("enclave", "study", "new", "kin_care", "--project", "demo")
    run("dvc", "repro", "--single-item", "study@kin_care")
    out = project / "outputs" / "kin_care"
    assert (out / "tables" / "persons_by_sex.csv").is_file()
    assert (out / "report.html").is_file() and (out / "kin_care.ipynb").is_file()
