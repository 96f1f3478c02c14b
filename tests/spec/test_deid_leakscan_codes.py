"""Codes are exempt from the name check: a code that is also somebody's surname,
dated on that person's birthday, is not a leak; a real name in a code column is."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from enclave.deid.leakscan import LeakReference, code_sets, scan_frame
from enclave.deid.stream import scan_chunk
from enclave.errors import LeakError

BIRTH = dt.date(2015, 3, 4)


def _reference() -> LeakReference:
    identifiers = pl.LazyFrame(
        {"agency_id": ["D1"], "first_name": ["Ana"], "last_name": ["Kin"], "dob": [BIRTH]}
    )
    return LeakReference.from_identifiers(identifiers)


def _placement(placement_type: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "pid": ["a1b2"],
            "agency": ["dcfs"],
            "event_type": ["PLACEMENT"],
            "event_start": [BIRTH],
            "placement_type": [placement_type],
        }
    )


def test_dcfs_code_sets_come_from_the_contract():
    assert "KIN" in code_sets("dcfs")["placement_type"]
    assert code_sets("not-an-agency") == {}


def test_a_code_equal_to_a_surname_on_a_birthday_is_not_a_leak():
    scan_frame(_placement("KIN"), _reference(), "dcfs.parquet", code_sets("dcfs"))


def test_a_name_in_a_code_column_is_a_leak():
    with pytest.raises(LeakError, match="name_with_birth_date") as exc:
        scan_frame(_placement("Ana"), _reference(), "dcfs.parquet", code_sets("dcfs"))
    assert "Ana" not in str(exc.value)


def test_without_code_sets_the_name_check_still_applies():
    with pytest.raises(LeakError, match="name_with_birth_date"):
        scan_frame(_placement("KIN"), _reference(), "other.parquet")


def test_the_streamed_scan_exempts_codes_too():
    scan_chunk(_placement("KIN"), _reference(), "research/demo/base/dcfs.parquet")
    with pytest.raises(LeakError, match="name_with_birth_date"):
        scan_chunk(_placement("Ana"), _reference(), "research/demo/base/dcfs.parquet")
