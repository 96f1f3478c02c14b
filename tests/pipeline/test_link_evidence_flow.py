"""The evidence class of each link reaches the analyst: crosswalk -> research zone base
tables (beside match_probability) -> analytic persons and spells (name_only_records)."""

from __future__ import annotations

import polars as pl
import pytest

from enclave.config import AGENCIES
from enclave.contracts.base import LINK_EVIDENCE, LINK_EVIDENCE_CLASSES
from enclave.deid.deidentify import ProjectKeys
from enclave.deid.pseudonym import keyed_record_ids, resolve_master_key

pytestmark = pytest.mark.slow


def test_every_record_carries_its_evidence_into_the_research_zone(small_world):
    crosswalk = pl.read_parquet(small_world / "data" / "linkage" / "crosswalk.parquet")
    assert crosswalk.schema["link_evidence"] == LINK_EVIDENCE
    assert crosswalk.get_column("link_evidence").null_count() == 0
    keys = ProjectKeys.derive(resolve_master_key(), "demo")
    crosswalk = crosswalk.with_columns(
        keyed_record_ids(crosswalk.get_column("record_key"), keys.record).alias("record_pid")
    )
    base = small_world / "data" / "research" / "demo" / "base"
    for agency in ("hfs", "idhs", "ides", "isbe"):
        table = pl.read_parquet(base / f"{agency}.parquet")
        columns = table.columns
        assert columns.index("link_evidence") == columns.index("match_probability") + 1
        joined = table.select("record_pid", "link_evidence").join(
            crosswalk.select("record_pid", pl.col("link_evidence").alias("linked")),
            on="record_pid",
        )
        assert joined.height == table.height  # every research record found in the crosswalk
        assert (joined["link_evidence"] == joined["linked"]).all(), agency


def test_analytic_tables_count_name_only_records(small_world):
    analytic = small_world / "data" / "research" / "demo" / "analytic"
    base = small_world / "data" / "research" / "demo" / "base"
    persons = pl.read_parquet(analytic / "persons.parquet")
    spells = pl.read_parquet(analytic / "program_spells.parquet")
    records = pl.concat(
        pl.read_parquet(base / f"{a}.parquet", columns=["pid", "link_evidence"])
        for a in AGENCIES
        if (base / f"{a}.parquet").exists()
    )
    expected = records.group_by("pid").agg(
        (pl.col("link_evidence").cast(pl.String) == "name_only").sum().cast(pl.Int32).alias("n")
    )
    got = persons.select("pid", "name_only_records").join(expected, on="pid", how="left")
    assert (got["name_only_records"] == got["n"].fill_null(0)).all()
    assert spells.get_column("name_only_records").min() >= 0
    assert (spells["name_only_records"] <= spells["n_records"]).all()
    assert set(records.get_column("link_evidence").cast(pl.String).unique()) <= set(
        LINK_EVIDENCE_CLASSES
    )
