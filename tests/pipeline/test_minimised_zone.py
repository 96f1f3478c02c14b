"""A project's research zone holds only what its approval names (data minimisation),
checked against the approval on the small world: the ``reentry`` project asked for
corrections and wage records from 2010 on, and four analytic tables."""

from __future__ import annotations

import datetime

import polars as pl
import pytest

from enclave import analytic, config
from enclave.analytic.records import in_period
from enclave.governance import agreement, projects

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def approval(small_world):
    terms = agreement.load(root=small_world)
    return projects.load("reentry", terms, small_world)


def test_the_base_zone_holds_only_the_approved_agencies(small_world, approval):
    base = small_world / "data/research/reentry/base"
    agencies = set(approval.datasets)
    assert {p.stem for p in base.glob("*.parquet")} == agencies | {"demographics", "family_links"}
    assert agencies == {"idoc", "ides"}


def test_every_record_falls_in_the_study_period(small_world, approval):
    period = (
        datetime.date.fromisoformat(approval.period_start),
        datetime.date.fromisoformat(approval.period_end),
    )
    base = small_world / "data/research/reentry/base"
    for agency in approval.datasets:
        table = pl.read_parquet(base / f"{agency}.parquet")
        assert table.height > 0
        assert table.select(in_period(agency, period).all()).item(), agency
    # the full project keeps what this one cut: the cut is real
    full = pl.read_parquet(small_world / "data/research/demo/base/idoc.parquet")
    assert not full.select(in_period("idoc", period).all()).item()


def test_only_persons_with_an_approved_record_are_in_the_zone(small_world, approval):
    base = small_world / "data/research/reentry/base"
    holders = pl.concat(
        pl.read_parquet(base / f"{a}.parquet", columns=["pid"]) for a in approval.datasets
    ).get_column("pid")
    persons = pl.read_parquet(base / "demographics.parquet").get_column("pid")
    assert set(persons) == set(holders)
    everyone = pl.read_parquet(small_world / "data/research/demo/base/demographics.parquet")
    assert persons.len() < everyone.height
    family = pl.read_parquet(base / "family_links.parquet")
    assert set(family["child_pid"]) | set(family["parent_pid"]) <= set(persons)


def test_the_analytic_zone_holds_only_the_approved_tables(small_world, approval):
    analytic_dir = small_world / "data/research/reentry/analytic"
    assert {p.stem for p in analytic_dir.glob("*.parquet")} == set(approval.tables)
    spells = pl.read_parquet(analytic_dir / "program_spells.parquet")
    assert set(spells["program"]) <= {"PRISON", "EMPLOYMENT"}
    events = pl.read_parquet(analytic_dir / "life_events.parquet")
    assert set(events["agency"]) <= {"idoc", "ides"}
    quarters = pl.read_parquet(analytic_dir / "person_quarters.parquet")
    assert not quarters["medicaid"].any() and not quarters["snap"].any()


def test_build_writes_only_the_approved_columns(small_world, tmp_path):
    params = config.load(small_world / "params.yaml").build
    out = tmp_path / "analytic"
    analytic.run(
        params,
        base=small_world / "data/research/reentry/base",
        out=out,
        tables=("persons", "program_spells"),
        columns={"persons": ("birth_year", "sex")},
    )
    assert {p.stem for p in out.glob("*.parquet")} == {"persons", "program_spells"}
    assert pl.read_parquet_schema(out / "persons.parquet").names() == ["pid", "birth_year", "sex"]
