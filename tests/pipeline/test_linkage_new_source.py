"""A steward links a new source (CSV, some dates invalid) against staged agencies: the
crosswalk covers every record once, and the linkage report counts the bad dates."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from enclave import cli

pytestmark = pytest.mark.slow


def test_new_source_with_invalid_dates_links_and_reports_them(small_world, tmp_path, caplog):
    staged = small_world / "data" / "staged"
    rows = pl.read_parquet(staged / "hfs" / "identifiers.parquet").head(300)
    bad = pl.int_range(pl.len()) % 50 == 0  # rows 0, 50, ..., 250: six of them
    source = tmp_path / "new_source.csv"
    rows.drop("agency").with_columns(
        pl.format("new-{}", "record_key").alias("record_key"),
        pl.when(bad)
        .then(pl.lit("1975-13-40"))
        .otherwise(pl.col("dob").cast(pl.String))
        .alias("dob"),
        pl.col("seen").cast(pl.String),
    ).write_csv(source)
    out = tmp_path / "xw"
    argv = ["link", "--params", str(small_world / "params.yaml"), str(source)]
    argv += [str(staged / "hfs"), str(staged / "aging"), "--out", str(out)]
    with caplog.at_level(logging.WARNING):
        assert cli.main(argv) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["inputs"][0] == {
        "file": str(source),
        "records": 300,
        "unparsed_dates": {"dob": 6},
    }
    crosswalk = pl.read_parquet(out / "crosswalk.parquet")
    assert crosswalk.height == report["records"] == crosswalk.get_column("record_key").n_unique()
    assert "6 value(s) of dob are not dates" in caplog.text and "1975-13-40" not in caplog.text
