"""The disclosure rules are the agreement's, for the data read: a study cannot lower them."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from enclave.data import load
from enclave.disclosure import protect_1d, protect_2d, rules
from enclave.disclosure.rules import DisclosureError
from enclave.governance import agreement
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import Paths

REPO = Path(__file__).resolve().parents[2]
COUNTS = pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 40, 50]})


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text("deid:\n  projects: [demo, reentry]\n")
    shutil.copytree(REPO / "governance", tmp_path / "governance")
    for project in ("demo", "reentry"):
        analytic = tmp_path / "data/research" / project / "analytic"
        analytic.mkdir(parents=True)
        pl.DataFrame({"pid": ["a"]}).write_parquet(analytic / "persons.parquet")
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    return tmp_path


@pytest.mark.parametrize("min_cell", [0, -3, 2.5, True])
def test_a_min_cell_below_one_is_always_refused(min_cell):
    with pytest.raises(DisclosureError, match="at least 1"):
        protect_1d(COUNTS, "k", min_cell=min_cell)


def test_before_any_read_only_the_floor_applies():
    assert rules.in_force() is None
    assert protect_1d(COUNTS, "k", min_cell=1).frame.get_column("n").to_list() == [3, 40, 50, 93]


def test_after_reading_medicaid_data_a_lower_min_cell_is_refused(root, monkeypatch):
    monkeypatch.setenv(USER_ENV, "ana_researcher")
    load("persons", project="demo", paths=Paths(root))
    assert rules.in_force().min_cell == 11 and "hfs" in rules.parties_read()
    for min_cell in (1, 5, 10):
        with pytest.raises(DisclosureError, match=r"below the agreement's minimum cell 11") as exc:
            protect_1d(COUNTS, "k", min_cell=min_cell)
        assert "hfs" in str(exc.value)
    with pytest.raises(DisclosureError, match="below the agreement's"):
        protect_2d(COUNTS.with_columns(c=pl.lit("x")), "k", "c", min_cell=10)
    assert protect_1d(COUNTS, "k", min_cell=11).min_cell == 11


def test_the_rules_follow_the_parties_read(root, monkeypatch):
    monkeypatch.setenv(USER_ENV, "cara_researcher")
    load("persons", project="reentry", paths=Paths(root))  # corrections and wages: 10
    assert rules.parties_read() == ("ides", "idoc")
    assert rules.in_force() == agreement.load(root=root).strictest(["ides", "idoc"])
    protect_1d(COUNTS, "k", min_cell=10)  # allowed: neither party asks for more
    with pytest.raises(DisclosureError):
        protect_1d(COUNTS, "k", min_cell=9)
