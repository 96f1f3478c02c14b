"""``enclave.catalog()``: the data dictionary of what the project may read, read through
``enclave.load`` on a made-up research zone."""

from __future__ import annotations

import pytest

import enclave
from enclave.browse import _about
from enclave.data import AccessError
from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import ROOT_ENV
from enclave.testing import analytic_zone


@pytest.fixture
def zone(tmp_path, monkeypatch):
    analytic_zone.write_analytic(tmp_path, persons=300, seed=4)
    monkeypatch.setenv(ROOT_ENV, str(tmp_path))
    monkeypatch.setenv(USER_ENV, "ana_researcher")
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "state"))
    monkeypatch.setenv("ENCLAVE_PROJECT", "demo")
    return tmp_path


def test_the_catalog_lists_every_approved_table_with_descriptions_and_coverage(zone):
    shown = enclave.catalog()
    assert [e.table for e in shown.entries] == list(enclave.data.TABLES)
    spells = next(e for e in shown.entries if e.table == "program_spells")
    assert "Healthcare and Family Services" in spells.agencies  # the test agreement's names
    lo, hi = spells.years
    assert 2015 <= lo <= 2019 <= hi <= 2023  # the made-up zone is built around 2019
    columns = {c.name: c.description for c in spells.columns}
    assert columns["pid"].startswith("project pseudonym")
    page = shown._repr_html_()
    assert "<code>program_spells</code>" in page and "linkage match probability" in page


def test_one_table_or_a_refusal_naming_the_reason(zone, monkeypatch):
    assert [e.table for e in enclave.catalog("persons").entries] == ["persons"]
    with pytest.raises(AccessError, match="table wages is outside its approval"):
        enclave.catalog("wages")
    monkeypatch.setenv(USER_ENV, "mallory")
    with pytest.raises(AccessError, match="mallory is not a member of project demo"):
        enclave.catalog()


def test_row_counts_are_shown_approximately():
    assert [_about(n) for n in (7, 99, 1234, 56_789, 571_234)] == [7, 99, 1200, 57_000, 570_000]
