"""The panel's county: the latest change on or before each quarter's end, per person,
whether dates fit the integer (person, day) key or fall back to an as-of join by pid."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from enclave.analytic.panel import build_panel


def _hfs(rows: list[tuple[str, date, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": [r[0] for r in rows],
            "elig_start": [r[1] for r in rows],
            "county_fips": [r[2] for r in rows],
        }
    )


def _spells(pids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": pids,
            "program": "MEDICAID",
            "start": date(2020, 1, 1),
            "end": date(2020, 9, 30),
        }
    )


@pytest.mark.parametrize("early", [date(2019, 6, 1), date(1200, 6, 1)])
def test_county_is_latest_change_of_the_same_person(early: date) -> None:
    # "b" has no county until Q2; "a"'s earlier county must not leak into "b"'s Q1
    base = {
        "hfs": _hfs(
            [
                ("a", early, "17001"),
                ("a", date(2020, 5, 3), "17003"),
                ("b", date(2020, 4, 1), "17005"),
            ]
        )
    }
    panel = build_panel(_spells(["a", "b"]), base)
    got = panel.select("pid", "quarter", "county_fips").rows()
    assert got == [
        ("a", 1, "17001"),
        ("a", 2, "17003"),
        ("a", 3, "17003"),
        ("b", 1, None),
        ("b", 2, "17005"),
        ("b", 3, "17005"),
    ]
