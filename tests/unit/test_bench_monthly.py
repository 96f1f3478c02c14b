"""The monthly-delivery benchmark's arithmetic: each month stage's share of the full
run's same stage, and the month's share of the full run from delivery to last study."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench():
    """``benchmarks.bench_monthly`` and ``bench_pipeline`` (``benchmarks`` is not an
    installed package)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        monthly = importlib.import_module("benchmarks.bench_monthly")
        yield monthly.shares, sys.modules["benchmarks.bench_pipeline"]._monthly_lines


def _stage(seconds: float) -> dict:
    return {"wall_seconds": seconds}


FULL = {
    "stages": {
        "synthesize": _stage(700.0),  # not part of delivery to last study
        "validate": _stage(400.0),
        "link": _stage(500.0),
        "deidentify": _stage(300.0),
        "build": _stage(100.0),
        "study": _stage(150.0),
        "check_outputs": _stage(50.0),
    }
}
MONTH = {
    "agency": "idhs",
    "month": "2024-12",
    "month_rows": 1234,
    "commands": {
        "validate": [{"wall_seconds": 4.0}],
        "link": [{"wall_seconds": 50.0}],
        "deidentify": [{"wall_seconds": 20.0}, {"wall_seconds": 10.0}],
    },
}


def test_each_stage_is_set_against_the_same_stage_of_the_full_run(bench):
    shares, _ = bench
    result = shares(MONTH, FULL)
    assert result["wall_seconds"] == {"validate": 4.0, "link": 50.0, "deidentify": 30.0}
    assert result["share_of_full_stage"] == {"validate": 0.01, "link": 0.1, "deidentify": 0.1}
    assert result["full_run_delivery_to_last_study_seconds"] == 1500.0
    assert result["share_of_full_run"] == round(84.0 / 1500.0, 4)


def test_without_a_full_run_only_the_month_is_reported(bench):
    shares, _monthly_lines = bench
    result = shares(MONTH, None)
    assert result["total_wall_seconds"] == 84.0 and "share_of_full_run" not in result
    lines = "\n".join(_monthly_lines(MONTH | result))
    assert "| link | 50.0 |  |" in lines and "of the full run from" not in lines


def test_the_summary_names_the_month_and_its_share(bench):
    shares, _monthly_lines = bench
    lines = "\n".join(_monthly_lines(MONTH | shares(MONTH, FULL)))
    assert "A month of idhs (2024-12, 1,234 rows)" in lines
    assert "| deidentify | 30.0 | 10.0% |" in lines and "5.6% of the full run" in lines


def test_a_linkage_zone_in_parts_counts_its_months_rows(bench, tmp_path):
    """The link's rows out after a month: the whole crosswalk and the month's part."""
    import polars as pl

    from enclave import io, partfiles

    rows = sys.modules["benchmarks.bench_pipeline"].rows
    before, after = tmp_path / "before", tmp_path / "after"
    whole = pl.DataFrame({"record_key": ["a-1", "c-1"], "person_key": ["P1", "P2"]})
    io.write_parquet(whole, before / "crosswalk.parquet")
    month = pl.DataFrame({"record_key": ["b-1", "b-2", "b-3"], "person_key": ["P3"] * 3})
    layout = partfiles.add_part(partfiles.rows(before, "crosswalk"), month, after, 1)
    io.write_json({"crosswalk": layout}, after / partfiles.PARTS)
    assert rows(before / "crosswalk.parquet") == 2
    assert rows(after / "crosswalk.parquet") == 5
