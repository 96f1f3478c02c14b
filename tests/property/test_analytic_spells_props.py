"""Invariants of spell merging over random monthly and span records."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.analytic.spells import merge_spells

BASE = date(2020, 1, 1).toordinal()

record = st.tuples(
    st.sampled_from(["a", "b"]),
    st.integers(0, 400),  # start: days after 2020-01-01
    st.one_of(st.none(), st.integers(0, 120)),  # length in days, None = open
)


def frame(rows):
    starts = [date.fromordinal(BASE + s) for _, s, _ in rows]
    ends = [None if n is None else date.fromordinal(BASE + s + n) for _, s, n in rows]
    return pl.DataFrame(
        {
            "pid": [p for p, _, _ in rows],
            "program": "SNAP",
            "agency": "idhs",
            "start": starts,
            "end": ends,
            "match_probability": 1.0,
        },
        schema_overrides={"end": pl.Date, "start": pl.Date},
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(record, min_size=1, max_size=25), st.integers(0, 3))
def test_merged_spells_are_disjoint_and_cover_every_record(rows, gap):
    records = frame(rows)
    spells = merge_spells(records, gap)
    assert spells.get_column("n_records").sum() == records.height
    for _, group in spells.group_by("pid"):
        ordered = group.sort("start").rows(named=True)
        for before, after in pairwise(ordered):
            # an open spell is never followed by another of the same person
            assert before["end"] is not None
            assert after["start"] > before["end"]
    covered = records.join(spells, on=["pid", "program", "agency"], suffix="_s").filter(
        (pl.col("start") >= pl.col("start_s"))
        & (pl.col("end_s").is_null() | (pl.col("end").fill_null(date.max) <= pl.col("end_s")))
        & (pl.col("end").is_not_null() | pl.col("end_s").is_null())
    )
    # every record lies inside exactly one spell
    assert covered.height == records.height


@settings(max_examples=40, deadline=None)
@given(st.lists(record, min_size=1, max_size=25), st.integers(0, 2))
def test_more_tolerance_never_gives_more_spells(rows, gap):
    records = frame(rows)
    assert merge_spells(records, gap + 1).height <= merge_spells(records, gap).height
