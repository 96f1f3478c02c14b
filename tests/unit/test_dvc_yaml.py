"""dvc.yaml and the code agree: every stage calls one enclave subcommand and declares
only params keys that exist in the typed configuration."""

from __future__ import annotations

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


def test_every_agency_is_validated():
    params = config.load(REPO / "params.yaml")
    assert PIPELINE["validate"]["foreach"] == "${agencies}"
    link_cmd = PIPELINE["link"]["cmd"]
    for agency in params.agencies:
        assert f"data/staged/{agency}" in link_cmd


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
