"""Ingestion against the real agency contracts: a valid delivery generated from each
contract stages every row, and the same mutations as the toy corpus, applied to every
contract, give their documented outcomes with the counts reconciled."""

from __future__ import annotations

import pytest
from ingest_examples import free_text_column, render, render_text, rows
from ingest_toys import PARAMS

from enclave import contracts
from enclave.contracts import StagedIdentifiers
from enclave.contracts.base import Delimited
from enclave.errors import InputError
from enclave.ingest import ingest

AGENCIES = list(contracts.ALL)
N = 10
#: metadata key -> (a value failing it, the reason check name)
BREAKERS = {
    "codes": ("?", "code"),
    "date": ("XX", "date_format"),
    "pattern": ("?", "format"),
    "minimum": ("abc", "numeric"),
}


def _reconciled(result, n: int) -> None:
    report = result.report
    assert report["reconciled"] and report["rows_read"] == n
    assert report["rows_staged"] + report["rows_quarantined"] == n
    assert result.identifiers.height == result.content.height == report["rows_staged"]


@pytest.mark.parametrize("agency", AGENCIES)
def test_valid_delivery_stages_every_row(agency):
    contract = contracts.get(agency)
    result = ingest(contract, render(contract, rows(contract, N)), PARAMS)
    _reconciled(result, N)
    assert result.report["rows_quarantined"] == 0
    assert result.identifiers.columns == list(StagedIdentifiers.to_schema().columns)
    assert result.identifiers["agency"].unique().to_list() == [agency]
    assert result.identifiers["record_key"].to_list() == [
        f"{agency}-{i:09d}" for i in range(1, N + 1)
    ]
    assert result.content["record_key"].equals(result.identifiers["record_key"])


def _broken_cases():
    for agency in AGENCIES:
        contract = contracts.get(agency)
        schema = contract.raw.to_schema()
        for name in contract.columns:
            meta = schema.columns[name].metadata or {}
            key = next((k for k in BREAKERS if k in meta), None)
            if key:
                yield pytest.param(agency, name, *BREAKERS[key], id=f"{agency}-{name}")
            if not schema.columns[name].nullable:
                yield pytest.param(agency, name, "", "not_nullable", id=f"{agency}-{name}-empty")


@pytest.mark.parametrize(("agency", "column", "bad", "check"), list(_broken_cases()))
def test_a_broken_value_quarantines_its_row_only(agency, column, bad, check):
    contract = contracts.get(agency)
    table = rows(contract, N)
    table[3][contract.columns.index(column)] = bad
    result = ingest(contract, render(contract, table), PARAMS)
    _reconciled(result, N)
    assert result.quarantine["record_key"].to_list() == [f"{agency}-{4:09d}"]
    assert f"{check}:{column}" in result.quarantine["reasons"][0].to_list()


@pytest.mark.parametrize("agency", AGENCIES)
def test_truncated_last_line_and_duplicate(agency):
    contract = contracts.get(agency)
    table = rows(contract, N)
    data = render(contract, [*table, table[0]])
    data = data[: -len(render_text(contract, [table[0]]).splitlines()[-1]) // 2]
    result = ingest(contract, data, PARAMS)
    _reconciled(result, N + 1)
    got = dict(
        zip(result.quarantine["record_key"], result.quarantine["reasons"].to_list(), strict=True)
    )
    structural = "field_count:row" if isinstance(contract.layout, Delimited) else "line_length:row"
    # the cut repeat is no longer an exact duplicate: only its structure is wrong
    assert got == {f"{agency}-{N + 1:09d}": [structural]}
    dup = ingest(contract, render(contract, [*table, table[0]]), PARAMS)
    assert dup.report["duplicate_rows"] == 1 and dup.report["reasons"] == {"duplicate:row": 1}


@pytest.mark.parametrize("agency", AGENCIES)
def test_empty_and_header_only(agency):
    contract = contracts.get(agency)
    with pytest.raises(InputError) as exc:
        ingest(contract, b"", PARAMS)
    assert exc.value.fault == "empty:file"
    if isinstance(contract.layout, Delimited):
        with pytest.raises(InputError) as exc:
            ingest(contract, render(contract, []), PARAMS)
        assert exc.value.fault == "empty:header_only"


@pytest.mark.parametrize("agency", AGENCIES)
def test_wrong_encoding(agency):
    contract = contracts.get(agency)
    table = rows(contract, N)
    column = free_text_column(contract)
    checked = "pattern" in (contract.raw.to_schema().columns[column].metadata or {})
    table[2][contract.columns.index(column)] = "NÚÑEZ, ANA" if checked else "NÚÑEZ"
    own = contract.layout.encoding
    if own != "ascii":
        assert ingest(contract, render(contract, table), PARAMS).report["rows_staged"] == N
    wrong, fault = (
        ("utf-8", "encoding:utf8") if own == "cp1252" else ("cp1252", "encoding:undecodable")
    )
    with pytest.raises(InputError) as exc:
        ingest(contract, render_text(contract, table).encode(wrong), PARAMS)
    assert exc.value.fault == fault
