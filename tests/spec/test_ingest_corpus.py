"""Every malformed delivery of the corpus gives its documented outcome, and no row is
lost: rows read = rows staged + rows quarantined, each row in exactly one place."""

from __future__ import annotations

from pathlib import Path

import pytest
from ingest_corpus import CASES, FILE_CASES, Case, markdown_table
from ingest_toys import PARAMS, TOY

from enclave.errors import InputError
from enclave.ingest import ingest, run

DOCS = Path(__file__).parents[2] / "docs" / "ingestion.md"


def test_corpus_is_large_enough():
    assert len(CASES) + len(FILE_CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", [c for c in CASES if c.error], ids=lambda c: c.name)
def test_file_level_faults_stop_the_stage(case: Case):
    with pytest.raises(InputError) as exc:
        ingest(case.contract, case.data, case.params, source="landing/x")
    assert exc.value.fault == case.error
    assert exc.value.agency == case.contract.agency
    assert "landing/x" in str(exc.value)


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=lambda c: c.name)
def test_rows_go_where_documented_and_reconcile(case: Case):
    result = ingest(case.contract, case.data, case.params)
    report = result.report
    assert report["rows_read"] == case.rows
    assert report["rows_staged"] + report["rows_quarantined"] == case.rows
    assert report["reconciled"] is True
    assert report["duplicate_rows"] == case.duplicates
    agency = case.contract.agency
    expected = {f"{agency}-{r:09d}": sorted(rs) for r, rs in case.quarantined.items()}
    got = dict(
        zip(result.quarantine["record_key"], result.quarantine["reasons"].to_list(), strict=True)
    )
    assert got == expected
    staged = set(result.identifiers["record_key"])
    assert staged == set(result.content["record_key"])
    assert staged.isdisjoint(got)
    assert staged | set(got) == {f"{agency}-{r:09d}" for r in range(1, case.rows + 1)}


def test_reason_counts_match_quarantine():
    case = next(c for c in CASES if c.name == "grain_conflict")
    report = ingest(case.contract, case.data, case.params).report
    assert report["reasons"] == {"grain_unique:row": 2}


def test_missing_file(tmp_path):
    with pytest.raises(InputError) as exc:
        run("hfs", PARAMS, tmp_path, tmp_path / "s", tmp_path / "q", tmp_path / "r.json")
    assert exc.value.fault == "file:missing"
    assert not (tmp_path / "s").exists() and not (tmp_path / "r.json").exists()


def test_unreadable_file(tmp_path):
    from enclave.contracts import get

    (tmp_path / get("hfs").filename).mkdir()
    with pytest.raises(InputError) as exc:
        run("hfs", PARAMS, tmp_path, tmp_path / "s", tmp_path / "q", tmp_path / "r.json")
    assert exc.value.fault == "file:unreadable"
    assert not (tmp_path / "s").exists()


def test_docs_table_matches_corpus():
    assert markdown_table() in DOCS.read_text(encoding="utf-8")


def test_quoted_values_keep_their_delimiter():
    case = next(c for c in CASES if c.name == "quoted_delimiter")
    result = ingest(TOY, case.data, PARAMS)
    assert result.identifiers["last_name"][0] == "Lee, Jr"
