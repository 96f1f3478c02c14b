"""enclave.load reads an approved project's analytic tables and nothing else."""

from __future__ import annotations

import getpass
import os
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml

import enclave
from enclave.data import TABLES, AccessError, load
from enclave.governance.audit import STATE_ENV, USER_ENV, Log, audit_key
from enclave.paths import Paths

REPO = Path(__file__).resolve().parents[2]
RESEARCHER = "ana_researcher"  # the demo project's lead (governance/projects/demo.yaml)


@pytest.fixture
def root(tmp_path, monkeypatch):
    """A project root with params.yaml, the repository's governance files, an analytic
    table, and files of other zones; the user is the demo project's lead."""
    (tmp_path / "params.yaml").write_text("deid:\n  projects: [demo, other, reentry]\n")
    shutil.copytree(REPO / "governance", tmp_path / "governance")
    monkeypatch.setenv(USER_ENV, RESEARCHER)
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    analytic = tmp_path / "data/research/demo/analytic"
    analytic.mkdir(parents=True)
    pl.DataFrame({"pid": ["a"], "birth_year": [1990]}).write_parquet(analytic / "persons.parquet")
    for zone in ("staged/hfs", "linkage", "truth", "research/demo/base"):
        (tmp_path / "data" / zone).mkdir(parents=True)
        pl.DataFrame({"secret": [1]}).write_parquet(tmp_path / "data" / zone / "x.parquet")
    return tmp_path


def test_reads_an_analytic_table_lazily(root):
    frame = load("persons", project="demo", paths=Paths(root))
    assert isinstance(frame, pl.LazyFrame)
    assert frame.collect().to_dicts() == [{"pid": "a", "birth_year": 1990}]


def test_root_comes_from_the_environment(root, monkeypatch):
    monkeypatch.setenv("ENCLAVE_ROOT", str(root))
    assert enclave.load("persons", project="demo").collect().height == 1


def test_root_defaults_to_the_working_directory(root, monkeypatch):
    monkeypatch.delenv("ENCLAVE_ROOT", raising=False)
    monkeypatch.chdir(root)
    assert load("persons", project="demo").collect().height == 1


@pytest.mark.parametrize(
    "table",
    [
        "identifiers",
        "x",
        "../../../staged/hfs/x",
        "../../../linkage/x",
        "../../../truth/x",
        "../base/x",
        "persons.parquet",
        "/etc/passwd",
        "Persons",
        "",
    ],
)
def test_refuses_anything_but_an_analytic_table(root, table):
    with pytest.raises(AccessError, match="unknown analytic table"):
        load(table, project="demo", paths=Paths(root))


@pytest.mark.parametrize("project", ["nope", "../demo", "demo/../other", "DEMO", "", "de mo"])
def test_refuses_unapproved_or_malformed_projects(root, project):
    with pytest.raises(AccessError, match="project"):
        load("persons", project=project, paths=Paths(root))


def test_project_must_have_an_approved_request(root):
    (root / "data/research/rogue/analytic").mkdir(parents=True)
    pl.DataFrame({"pid": ["b"]}).write_parquet(
        root / "data/research/rogue/analytic/persons.parquet"
    )
    with pytest.raises(AccessError, match="project rogue is not approved: no request"):
        load("persons", project="rogue", paths=Paths(root))


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_a_project_missing_a_stewards_approval_is_refused(root):
    _edit(root / "governance/projects/demo.yaml", lambda d: d["approvals"].pop("idoc"))
    with pytest.raises(AccessError, match="project demo: no approval yet from idoc"):
        load("persons", project="demo", paths=Paths(root))


def test_an_expired_project_is_refused(root):
    _edit(root / "governance/projects/demo.yaml", lambda d: d.update(expiry="2026-03-01"))
    with pytest.raises(AccessError, match="project demo: approval expired"):
        load("persons", project="demo", paths=Paths(root))


@pytest.mark.parametrize("user", ["mallory", "cara_researcher", "hfs_steward"])
def test_a_user_outside_the_project_is_refused(root, monkeypatch, user):
    monkeypatch.setenv(USER_ENV, user)
    with pytest.raises(AccessError, match=f"user {user} is not a member of project demo"):
        load("persons", project="demo", paths=Paths(root))


def test_the_operating_system_user_is_the_default(root, monkeypatch):
    monkeypatch.delenv(USER_ENV)
    monkeypatch.setattr(getpass, "getuser", lambda: "ben_analyst")  # a member of demo
    assert load("persons", project="demo", paths=Paths(root)).collect().height == 1
    monkeypatch.setattr(getpass, "getuser", lambda: "root")
    with pytest.raises(AccessError, match="user root is not a member"):
        load("persons", project="demo", paths=Paths(root))


def test_a_table_outside_the_approval_is_refused(root, monkeypatch):
    monkeypatch.setenv(USER_ENV, "cara_researcher")  # reentry: four tables, no family links
    with pytest.raises(AccessError, match="project reentry: table family_links is outside"):
        load("family_links", project="reentry", paths=Paths(root))


def test_each_load_writes_exactly_one_audit_entry(root):
    log = Log(root / "state", audit_key())
    load("persons", project="demo", paths=Paths(root))
    load("persons", project="demo", paths=Paths(root))
    with pytest.raises(AccessError):
        load("persons", project="rogue", paths=Paths(root))  # a refusal reads nothing
    entries = log.entries()
    assert [(e["action"], e["user"], e["project"], e["what"]) for e in entries] == [
        ("load", RESEARCHER, "demo", {"table": "persons"})
    ] * 2
    assert entries[0]["purpose"] == "strategic policymaking"
    assert log.verify().ok


def test_the_data_version_is_the_zones_dvc_hash(root):
    (root / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  build@demo:\n    outs:\n"
        "    - path: data/research/demo/analytic\n      md5: abc123.dir\n"
    )
    load("persons", project="demo", paths=Paths(root))
    assert Log(root / "state", audit_key()).entries()[-1]["data_version"] == "abc123.dir"


def test_a_table_not_built_yet_is_a_clear_error(root):
    with pytest.raises(AccessError, match="not built yet"):
        load("life_events", project="demo", paths=Paths(root))


def test_a_symlink_out_of_the_zone_is_refused(root):
    link = root / "data/research/demo/analytic/program_spells.parquet"
    os.symlink(root / "data/staged/hfs/x.parquet", link)
    with pytest.raises(AccessError, match="outside the analytic zone"):
        load("program_spells", project="demo", paths=Paths(root))


def test_error_messages_name_no_path_beyond_the_table(root):
    with pytest.raises(AccessError) as info:
        load("../../../truth/x", project="demo", paths=Paths(root))
    assert "truth" not in str(info.value)


def test_the_tables_are_those_of_the_interface():
    """TABLES lists the tables docs/INTERFACES.md documents under "build -> analytic
    tables", in its order, and each has a model."""
    from enclave.analytic.schemas import MODELS

    text = (Path(__file__).resolve().parents[2] / "docs" / "INTERFACES.md").read_text()
    section = text.split("## build -> analytic tables", 1)[1].split("\n## ", 1)[0]
    documented = tuple(re.findall(r"^\| `(\w+)` \|", section, flags=re.M))
    assert documented == TABLES
    assert set(TABLES) == set(MODELS)


def test_a_root_without_params_is_a_clear_error(tmp_path):
    with pytest.raises(AccessError, match="ENCLAVE_ROOT"):
        load("persons", project="demo", paths=Paths(tmp_path))
