"""The truth-side service-overlap measures (for evaluation) on inline staged tables."""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies import truth
from enclave.studies.overlap import Period

D = dt.date
YEAR = Period.parse("2019-01-01", "2019-12-31")

RECORDS = pl.LazyFrame(
    {
        "record_key": ["hfs-1", "hfs-2", "idhs-1", "idhs-2", "idph-1", "idph-2", "idph-3"],
        "agency": ["hfs", "hfs", "idhs", "idhs", "idph", "idph", "idph"],
        "person_id": [1, 2, 1, 3, 4, 5, 6],
        "mother_id": [None, None, None, None, 1, None, None],
        "father_id": [None, None, None, None, 7, None, None],
    },
    schema_overrides={"mother_id": pl.Int64, "father_id": pl.Int64},
)

CONTENT = {
    "hfs": pl.LazyFrame(
        {
            "record_key": ["hfs-1", "hfs-2"],
            "agency": ["hfs", "hfs"],
            "elig_start": [D(2018, 3, 1), D(2017, 1, 1)],
            "elig_end": [None, D(2018, 12, 31)],  # open spell; one that ends before 2019
            "elig_category": ["A", "A"],
            "zip": [None, None],
        },
        schema_overrides={"elig_end": pl.Date, "zip": pl.String},
    ),
    "idhs": pl.LazyFrame(
        {
            "record_key": ["idhs-1", "idhs-2"],
            "agency": ["idhs", "idhs"],
            "benefit_month": [D(2019, 12, 1), D(2019, 2, 1)],
            "program": ["SNAP", "SNAP"],
            "case_id": ["c", "d"],
            "relationship": ["HEAD", "HEAD"],
            "zip": [None, None],
        },
        schema_overrides={"zip": pl.String},
    ),
    "idph": pl.LazyFrame(
        {
            "record_key": ["idph-1", "idph-2", "idph-3"],
            "agency": ["idph"] * 3,
            "record_type": ["BIRTH", "DEATH", "DEATH"],
            "event_date": [D(2019, 5, 5), D(2019, 8, 1), D(2020, 1, 1)],
            "county_fips": [None, None, None],
            "plurality": [1, None, None],
        },
        schema_overrides={"county_fips": pl.String, "plurality": pl.Int8},
    ),
}


def test_true_agency_sets():
    out = truth.agencies_touched(RECORDS, CONTENT, YEAR).collect()
    got = dict(zip(out["pid"], out["combination"], strict=True))
    # 1: open Medicaid span, SNAP in December, and mother of a child born in 2019
    # 3: SNAP; 5: died in 2019; 7: father of the child; 2 and 6: nothing in 2019
    assert got == {
        "1": "Medicaid + SNAP/TANF + Vital records",
        "3": "SNAP/TANF",
        "5": "Vital records",
        "7": "Vital records",
    }


def test_true_snap_medicaid_counts():
    assert truth.snap_medicaid_counts(RECORDS, CONTENT, YEAR) == (2, 1)
