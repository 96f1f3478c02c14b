"""The analytic builders' fast paths give what the plain polars operations they replace
give: the quarter flags, each person's latest county, the spell sort's fallback, and
the background writes."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave import io
from enclave.analytic.panel import _or_by_key
from enclave.analytic.records import latest_county
from enclave.analytic.spells import merge_spells
from enclave.parallel import BackgroundWrites


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from([1, 2, 4, 8])), max_size=80))
def test_or_by_key_equals_the_bitwise_or_group_by(rows):
    quarters = pl.DataFrame(rows, schema={"_k": pl.Int64, "bit": pl.Int32}, orient="row")
    expected = quarters.group_by("_k").agg(pl.col("bit").bitwise_or()).sort("_k")
    assert _or_by_key(quarters).equals(expected)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["p1", "p2", "p3"]),
            st.one_of(st.none(), st.integers(0, 5)),  # day
            st.one_of(st.none(), st.sampled_from(["17031", "17043", "17201"])),
        ),
        max_size=40,
    )
)
def test_latest_county_is_the_latest_dated_largest_code(rows):
    frame = pl.DataFrame(
        {
            "pid": [p for p, _, _ in rows],
            "event_date": [None if d is None else date(2020, 1, 1 + d) for _, d, _ in rows],
            "county_fips": [c for _, _, c in rows],
        },
        schema={"pid": pl.String, "event_date": pl.Date, "county_fips": pl.String},
    )
    expected = (
        frame.drop_nulls()
        .sort(["pid", "event_date", "county_fips"], descending=[False, True, True])
        .group_by("pid", maintain_order=True)
        .agg(pl.col("county_fips").first())
    )
    assert latest_county({"idph": frame}).equals(expected)


def test_spells_outside_the_packed_date_range_merge_the_same():
    """Starts too far apart for one packed sort key fall back to the three-column sort."""
    days = [date(1500, 1, 1), date(1500, 1, 20), date(3500, 1, 1), date(3500, 1, 5)]
    records = pl.DataFrame(
        {
            "pid": ["a"] * 4,
            "program": "SNAP",
            "agency": "idhs",
            "start": days,
            "end": days,
            "match_probability": [1.0, 0.9, 0.8, 0.7],
        }
    )
    spells = merge_spells(records, gap_months=1)
    assert spells.select("start", "n_records").rows() == [
        (date(1500, 1, 1), 2),
        (date(3500, 1, 1), 2),
    ]


def test_background_writes_keep_order_and_raise_failures(tmp_path):
    frames = [pl.DataFrame({"x": [i, i + 1]}) for i in range(0, 10, 2)]
    sink = io.ParquetSink(tmp_path / "a.parquet", frames[0].schema)
    with sink, BackgroundWrites(depth=1) as writes:
        for frame in frames:
            writes.write(sink, frame)
    assert pl.read_parquet(tmp_path / "a.parquet").get_column("x").to_list() == list(range(10))
    sink = io.ParquetSink(tmp_path / "b.parquet", frames[0].schema)
    with sink, pytest.raises(ValueError), BackgroundWrites() as writes:
        writes.write(sink, pl.DataFrame({"y": [1]}))  # schema differs: the write fails
        writes.wait()
