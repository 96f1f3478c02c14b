"""Frame-level checks: a row-wise one blames its rows; one answering once for the whole
delivery is counted in the report, never pinned on row 1; a check that crashes is a
contract fault, not a data fault."""

from __future__ import annotations

import dataclasses

import pandera.polars as pa
import polars as pl
import pytest
from ingest_toys import PARAMS, ROWS, TOY, ToyRaw, toy_csv

from enclave.ingest import ContractError, ingest


class AtLeastHundred(ToyRaw):
    @pa.dataframe_check(name="enough_rows")
    @classmethod
    def enough_rows(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.len() >= 100)


class Crashing(ToyRaw):
    @pa.dataframe_check(name="crashes")
    @classmethod
    def crashes(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("NO_SUCH_COLUMN") == "x")


def test_scalar_frame_check_is_counted_not_blamed_on_a_row():
    contract = dataclasses.replace(TOY, raw=AtLeastHundred)
    result = ingest(contract, toy_csv(), PARAMS)
    assert result.report["frame_checks_failed"] == {"enough_rows:frame": 1}
    assert result.report["rows_quarantined"] == 0
    assert result.report["rows_staged"] == len(ROWS)


def test_crashing_check_is_a_contract_error():
    contract = dataclasses.replace(TOY, raw=Crashing)
    with pytest.raises(ContractError) as exc:
        ingest(contract, toy_csv(), PARAMS)
    assert "crashes" in str(exc.value)
