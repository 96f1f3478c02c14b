"""k-anonymity generalisation and consensus demographics, on inline tables."""

from __future__ import annotations

from datetime import date

import polars as pl

from enclave.config import DeidParams
from enclave.deid.deidentify import consensus_demographics, k_anonymise


def qi(rows: list[tuple[int | None, int | None, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": [f"p{i:03d}" for i in range(len(rows))],
            "birth_year": [r[0] for r in rows],
            "birth_month": [r[1] for r in rows],
            "sex": [r[2] for r in rows],
            "county_fips": [r[3] for r in rows],
        },
        schema={
            "pid": pl.String,
            "birth_year": pl.Int32,
            "birth_month": pl.Int8,
            "sex": pl.String,
            "county_fips": pl.String,
        },
    )


def levels(frame: pl.DataFrame) -> list[int]:
    return frame.sort("pid").get_column("level").to_list()


def test_classes_at_k_are_untouched():
    out, report = k_anonymise(qi([(1980, 3, "F", "17031")] * 3), k=3)
    assert levels(out) == [0, 0, 0]
    assert report["persons_month_withheld"] == 0
    assert report["class_sizes_before"] == report["class_sizes_after"]


def test_month_withheld_when_that_reaches_k():
    rows = [(1980, m, "F", "17031") for m in (1, 2, 3)]
    out, report = k_anonymise(qi(rows), k=3)
    assert out.get_column("birth_month").is_null().all()
    assert levels(out) == [1, 1, 1]
    assert report["persons_month_withheld"] == 3
    assert report["persons_county_to_region"] == 0


def test_county_goes_to_region_then_is_suppressed():
    # two collar counties, Cook, and a person with no county at all
    rows = [
        (1980, 1, "F", "17043"),
        (1980, 2, "F", "17089"),
        (1980, 3, "F", "17031"),
        (1980, None, "F", None),
    ]
    out, report = k_anonymise(qi(rows), k=2)
    by_pid = dict(zip(out["pid"], out["county_fips"], strict=True))
    # DuPage and Kane share the collar region; Cook, alone in its region, is suppressed
    # and joins the person without a county
    assert by_pid["p000"] == by_pid["p001"] == "R-COLLAR"
    assert by_pid["p002"] is None
    assert levels(out) == [2, 2, 3, 3]
    assert report["persons_county_to_region"] == 4
    assert report["persons_county_suppressed"] == 2
    assert report["persons_below_k_after"] == 0


def test_last_resort_withholds_birth_year():
    rows = [(1950, 1, "M", None), (1960, 1, "M", None)]
    out, report = k_anonymise(qi(rows), k=2)
    assert out.get_column("birth_year").is_null().all()
    assert levels(out) == [4, 4]
    assert report["persons_birth_year_withheld"] == 2


def test_report_counts_classes_and_persons_by_size():
    rows = [(1980, 1, "F", "17031")] * 5 + [(1990, 1, "M", "17031")]
    _, report = k_anonymise(qi(rows), k=5)
    before = {b["size"]: (b["classes"], b["persons"]) for b in report["class_sizes_before"]}
    assert before["1"] == (1, 1) and before["5-9"] == (1, 5)
    assert sum(b["persons"] for b in report["class_sizes_after"]) == 6


def test_consensus_takes_the_most_common_dob_and_sex_with_stable_ties():
    ids = pl.DataFrame(
        {
            "record_key": ["r1", "r2", "r3", "r4", "r5"],
            "dob": [date(1980, 5, 1), date(1980, 1, 5), date(1980, 5, 1), None, date(1999, 9, 9)],
            "sex": ["F", "M", "M", "F", None],
        }
    )
    links = pl.DataFrame(
        {
            "record_key": ["r1", "r2", "r3", "r4", "r5"],
            "pid": ["a", "a", "a", "a", "b"],
            "match_probability": 1.0,
        }
    )
    out = consensus_demographics(ids.lazy(), links, DeidParams()).sort("pid")
    assert out.row(0) == ("a", 1980, 5, "F")  # dob 2 votes; sex tie F/M -> F
    assert out.row(1) == ("b", 1999, 9, None)
    year_only = consensus_demographics(ids.lazy(), links, DeidParams(dob_precision="year"))
    assert year_only.get_column("birth_month").is_null().all()
