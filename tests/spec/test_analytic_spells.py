"""Spell merging, one behaviour per inline table (gap tolerance in months)."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from enclave.analytic.spells import merge_spells


def d(text: str) -> date:
    return date.fromisoformat(text)


def records(rows: list[tuple[str, str | None]], mp: list[float] | None = None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": ["a"] * len(rows),
            "program": ["SNAP"] * len(rows),
            "agency": ["idhs"] * len(rows),
            "start": [d(s) for s, _ in rows],
            "end": [d(e) if e else None for _, e in rows],
            "match_probability": mp or [1.0] * len(rows),
        },
        schema_overrides={"end": pl.Date},
    )


def spans(frame: pl.DataFrame) -> list[tuple[str, str | None, int]]:
    return [
        (str(s), str(e) if e else None, n)
        for s, e, n in frame.select("start", "end", "n_records").rows()
    ]


JAN = ("2020-01-01", "2020-01-31")
FEB = ("2020-02-01", "2020-02-29")
MAR = ("2020-03-01", "2020-03-31")
APR = ("2020-04-01", "2020-04-30")


@pytest.mark.parametrize(
    ("rows", "gap", "expected"),
    [
        # single month
        ([JAN], 1, [("2020-01-01", "2020-01-31", 1)]),
        # consecutive months merge even with no tolerance
        ([JAN, FEB], 0, [("2020-01-01", "2020-02-29", 2)]),
        # a one-month gap: bridged at tolerance 1, not at 0
        ([JAN, MAR], 1, [("2020-01-01", "2020-03-31", 2)]),
        ([JAN, MAR], 0, [("2020-01-01", "2020-01-31", 1), ("2020-03-01", "2020-03-31", 1)]),
        # a two-month gap is above tolerance 1
        ([JAN, APR], 1, [("2020-01-01", "2020-01-31", 1), ("2020-04-01", "2020-04-30", 1)]),
        ([JAN, APR], 2, [("2020-01-01", "2020-04-30", 2)]),
        # overlapping spans merge; a span inside another adds nothing to its length
        (
            [("2020-01-10", "2020-06-30"), ("2020-03-01", "2020-04-15")],
            0,
            [("2020-01-10", "2020-06-30", 2)],
        ),
        # order of input rows does not matter
        ([MAR, JAN, FEB], 0, [("2020-01-01", "2020-03-31", 3)]),
        # an open-ended record keeps the spell open and swallows later records
        ([("2020-01-01", None), APR], 0, [("2020-01-01", None, 2)]),
        # an open record after a gap opens a new, open spell
        (
            [JAN, ("2020-06-01", None)],
            1,
            [("2020-01-01", "2020-01-31", 1), ("2020-06-01", None, 1)],
        ),
        # an end before its start is read as a one-day record
        ([("2020-05-10", "2020-05-01")], 0, [("2020-05-10", "2020-05-10", 1)]),
    ],
)
def test_merge(rows, gap, expected):
    assert spans(merge_spells(records(rows), gap)) == expected


def test_long_spell_bridges_later_short_gap():
    # the reach is the latest end so far, not the previous record's end
    rows = [("2020-01-01", "2020-12-31"), FEB, ("2021-02-01", "2021-02-28")]
    assert spans(merge_spells(records(rows), 1)) == [("2020-01-01", "2021-02-28", 3)]


def test_spell_keeps_weakest_link():
    out = merge_spells(records([JAN, FEB], mp=[0.99, 0.91]), 0)
    assert out.get_column("match_probability").to_list() == [0.91]


def test_programs_and_persons_never_merge_together():
    frame = pl.concat(
        [
            records([JAN]),
            records([FEB]).with_columns(pl.lit("TANF").alias("program")),
            records([FEB]).with_columns(pl.lit("b").alias("pid")),
        ]
    )
    assert merge_spells(frame, 1).height == 3
