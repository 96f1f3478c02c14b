"""dvc.yaml and the code agree: every stage calls one enclave subcommand and declares
only params keys that exist in the typed configuration."""

from __future__ import annotations

import ast
import inspect
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from enclave import cli, config

REPO = Path(__file__).resolve().parents[2]
PIPELINE = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
SUBCOMMANDS = set(cli._parser()._subparsers._group_actions[0].choices)


def _stage_bodies():
    for name, stage in PIPELINE.items():
        yield name, stage.get("do", stage)


@pytest.mark.parametrize(("name", "stage"), list(_stage_bodies()))
def test_stage_calls_one_subcommand(name, stage):
    words = stage["cmd"].split()
    assert words[0] == "enclave", name
    assert words[1] in SUBCOMMANDS, name


@pytest.mark.parametrize(("name", "stage"), list(_stage_bodies()))
def test_declared_params_exist(name, stage):
    params = config.to_mapping(config.load(REPO / "params.yaml"))
    for key in stage.get("params", []):
        node = params
        for part in key.replace("${key}", "service_overlap").split("."):
            assert part in node, f"stage {name} declares unknown params key {key}"
            node = node[part]


def test_every_agency_is_validated_and_linked():
    """The agencies come from params.yaml (``agencies``) alone: validate@ runs over
    them, link takes data/staged/<agency> for each (``--staged``) and depends on the
    staged zone as a whole, and no stage lists an agency's directory by hand."""
    params = config.load(REPO / "params.yaml")
    assert params.agencies == config.AGENCIES
    assert PIPELINE["validate"]["foreach"] == "${agencies}"
    link = PIPELINE["link"]
    assert "--staged data/staged" in link["cmd"] and "data/staged" in link["deps"]
    assert "agencies" in link["params"]
    text = (REPO / "dvc.yaml").read_text()
    for agency in params.agencies:
        assert f"/{agency}" not in text, f"dvc.yaml names {agency} by hand"


def test_link_staged_takes_every_agency_of_params(tmp_path, monkeypatch):
    seen = {}
    monkeypatch.setattr(
        "enclave.linkage.run", lambda params, inputs, out, **_: seen.update(inputs=inputs)
    )
    params = tmp_path / "params.yaml"
    params.write_text("agencies: [hfs, djj]\n")
    code = cli.main(["link", "--params", str(params), "--staged", str(tmp_path / "s"),
                     "--out", str(tmp_path / "l")])  # fmt: skip
    assert code == 0
    assert seen["inputs"] == [tmp_path / "s" / "hfs", tmp_path / "s" / "djj"]


@pytest.mark.skipif(
    shutil.which("dvc") is None and not (REPO / ".venv/bin/dvc").exists(),
    reason="dvc not installed",
)
def test_dvc_dag_lists_every_stage():
    dvc = shutil.which("dvc") or str(REPO / ".venv/bin/dvc")
    result = subprocess.run(
        [dvc, "dag", "--md"], cwd=REPO, capture_output=True, text=True, check=True
    )
    for stage in [
        "synthesize",
        "validate@hfs",
        "link",
        "evaluate_linkage",
        "deidentify@demo",
        "build@demo",
        "study@service_overlap",
    ]:
        assert stage in result.stdout


def test_dvc_analytics_off_and_remote_configured():
    text = (REPO / ".dvc" / "config").read_text()
    assert "analytics = false" in text
    assert "remote = local" in text


#: modules every stage uses (files, logging, settings, errors, locks and scratch, fail
#: points, the sandbox a stage runs in, progress bars): a change to one of them is not
#: a change to a stage's logic or outputs, so no stage lists them and none reruns for them
SHARED = {
    "enclave",
    "enclave.io",
    "enclave.scratch",
    "enclave.failpoints",
    "enclave.sandbox",
    "enclave.log",
    "enclave.config",
    "enclave.errors",
    "enclave.paths",
    "enclave.progress",
}
SRC = REPO / "src"


def _module_file(module: str) -> Path:
    path = SRC / Path(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _enclave_imports(module: str) -> set[str]:
    """The enclave modules ``module`` imports anywhere in its file (functions too)."""
    found = set()
    for node in ast.walk(ast.parse(_module_file(module).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names]
            candidates = [node.module, *names]
        elif isinstance(node, ast.Import):
            candidates = [a.name for a in node.names]
        else:
            continue
        for name in candidates:
            if name.split(".")[0] == "enclave" and _module_file(name).exists():
                found.add(name)
    return found


def _closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in SHARED:
            continue
        todo += _enclave_imports(current)
        parts = current.split(".")  # importing a.b.c runs a/__init__ and a/b/__init__
        todo += [".".join(parts[:i]) for i in range(2, len(parts))]
    return seen - SHARED


def _entry_module(subcommand: str) -> str:
    source = inspect.getsource(getattr(cli, "cmd_" + subcommand.replace("-", "_")))
    return re.search(r"from (enclave[\w.]*) import (?:\w+, )*run\b", source).group(1)


@pytest.mark.parametrize(("name", "stage"), list(_stage_bodies()))
def test_code_deps_cover_every_module_the_stage_runs(name, stage):
    deps = [REPO / d for d in stage.get("deps", []) if str(d).startswith("src/")]
    modules = _closure(_entry_module(stage["cmd"].split()[1]))
    covered = [m for m in modules if any(_module_file(m).is_relative_to(d) for d in deps)]
    uncovered = sorted(modules - set(covered))
    assert not uncovered, f"stage {name}: dvc.yaml deps miss {uncovered}"
