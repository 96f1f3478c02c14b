"""The bucket leak scan (``deid_stream.scan_chunk``) raises exactly where
``leakscan.scan_frame`` does, naming the same column and kind."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from enclave.deid.leakscan import LeakReference, scan_frame
from enclave.deid.stream import merge_reference, scan_chunk
from enclave.errors import LeakError

IDENTIFIERS = pl.LazyFrame(
    {
        "agency_id": ["HFS0001", " 12345 ", "IDHS77"],
        "roster": [None, None, "C000012345"],  # an IDHS case: a household's number
        "first_name": ["Anna", "Jose", "Wei"],
        "last_name": ["Smith", "Garcia", "Lee"],
        "dob": [date(1980, 1, 2), date(1990, 3, 4), date(2001, 5, 6)],
    }
)
CLEAN = pl.DataFrame(
    {
        "pid": ["0a1b2c3d4e5f6a7b", "ffffffffffffffff"],
        "program": ["ANNA", "SNAP"],  # a name without its birth date is no leak
        "wages": [1234.0, 99.5],
        "year": [2020, 2021],
        "event_date": [date(2020, 1, 1), date(1980, 1, 2)],
    }
)
PLANTS = [
    ("program", "078-05-1120", "ssn_pattern"),
    ("program", "IDHS77", "agency_id"),
    ("program", "C000012345", "agency_id"),  # a case number is an agency id too
    ("year", 12345, "agency_id"),
    ("pid", "hfs0001", None),  # ids match exactly (after trimming), not ignoring case
    ("program", " jose ", None),
    ("program", "anna", "name_with_birth_date"),
]


def outcome(scan, frame, reference):
    try:
        scan(frame, reference, "t.parquet")
    except LeakError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def reference():
    return merge_reference([LeakReference.from_identifiers(IDENTIFIERS)])


def test_a_clean_frame_passes_both_scans(reference):
    assert outcome(scan_chunk, CLEAN, reference) is None
    assert outcome(scan_frame, CLEAN, reference) is None


@pytest.mark.parametrize(("column", "value", "kind"), PLANTS)
def test_a_planted_value_is_caught_as_leakscan_catches_it(reference, column, value, kind):
    values = CLEAN.get_column(column).to_list()
    values[1] = value
    frame = CLEAN.with_columns(pl.Series(column, values, dtype=CLEAN.schema[column]))
    expected = outcome(scan_frame, frame, reference)
    assert outcome(scan_chunk, frame, reference) == expected
    assert (expected is None) == (kind is None)
    if kind is not None:
        assert kind in expected and column in expected
