"""enclave.load reads an approved project's analytic tables and nothing else."""

from __future__ import annotations

import os

import polars as pl
import pytest

import enclave
from enclave.data import TABLES, AccessError, load
from enclave.paths import Paths


@pytest.fixture
def root(tmp_path):
    """A project root with params.yaml, an analytic table, and files of other zones."""
    (tmp_path / "params.yaml").write_text("deid:\n  projects: [demo, other]\n")
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


def test_project_must_be_approved_in_params(root):
    (root / "data/research/rogue/analytic").mkdir(parents=True)
    pl.DataFrame({"pid": ["b"]}).write_parquet(
        root / "data/research/rogue/analytic/persons.parquet"
    )
    with pytest.raises(AccessError, match="not approved"):
        load("persons", project="rogue", paths=Paths(root))


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
    assert TABLES == ("persons", "program_spells", "person_quarters", "life_events", "family_links")


def test_a_root_without_params_is_a_clear_error(tmp_path):
    with pytest.raises(AccessError, match="ENCLAVE_ROOT"):
        load("persons", project="demo", paths=Paths(tmp_path))
