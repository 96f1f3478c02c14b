"""No row value reaches an error message, a log record or the report: distinctive
values are planted in passing and failing rows and searched for everywhere."""

from __future__ import annotations

import logging

import pytest
from ingest_toys import HEADER, PARAMS, ROWS, TOY, TOY_PIPE_LATIN

from enclave import contracts, ingest
from enclave.errors import EnclaveError

PLANTED = ["Qzxwvy", "Jkplmn", "987650001", "19331122", "99991", "Zq-77"]
#: one passing row, and rows failing on purpose with planted values in them
ROWS_PLANTED = [
    *ROWS,
    "000101,Qzxwvy,Jkplmn,19331122,F,987650001,20190101,A,99991",
    "000102,Qzxwvy,Jkplmn,19331122,Zq-77,987650001,20190101,A,1",  # bad SEX
    "000103,Qzxwvy,Jkplmn,19331122,F,9876500011,20190101,A,1",  # bad SSN
    "000104,Qzxwvy,Jkplmn,19331122,F,987650001,Zq-77,A,1",  # bad START
    "000105,Qzxwvy,Jkplmn,19331122,F,987650001,20190101,Zq-77,1",  # bad CAT
    "000106,Qzxwvy,Jkplmn,19331122,F,987650001,20190101,A,99991,Zq-77",  # extra field
    "000101,Qzxwvy,Jkplmn,19331122,F,987650001,20190101,A,99991",  # duplicate
    "000101,Qzxwvy,Jkplmn,19331122,F,987650001,20190101,B,1",  # grain conflict
]


def _delivery(rows: list[str], header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def _leaks(text: str) -> list[str]:
    return [v for v in PLANTED if v in text]


def _chain(exc: BaseException) -> str:
    """Every message a traceback of ``exc`` would show."""
    parts = []
    while exc is not None:
        parts.append(f"{exc!s} {exc!r} {exc.args!r}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return " ".join(parts)


@pytest.fixture
def toy_registry(monkeypatch):
    registry = {"toy": TOY, "toyl": TOY_PIPE_LATIN}
    monkeypatch.setattr(contracts, "get", registry.__getitem__)


def test_no_value_in_logs_or_report(tmp_path, caplog, toy_registry):
    (tmp_path / "land").mkdir()
    (tmp_path / "land" / TOY.filename).write_bytes(_delivery(ROWS_PLANTED))
    caplog.set_level(logging.DEBUG)
    result = ingest.run(
        "toy", PARAMS, tmp_path / "land", tmp_path / "s", tmp_path / "q", tmp_path / "r.json"
    )
    assert result.report["rows_quarantined"] == 8  # every planted row failed (grain too)
    assert result.report["rows_staged"] == len(ROWS)
    logged = " ".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert caplog.records and not _leaks(logged)
    assert not _leaks((tmp_path / "r.json").read_text())
    # the planted values are where they belong: in the quarantine and staged zones
    quarantined = (tmp_path / "q" / "rows.parquet").read_bytes()
    assert quarantined and result.quarantine["FIRST"].to_list().count("Qzxwvy") == 8


FILE_FAULTS = {
    "headerless": _delivery(ROWS_PLANTED[len(ROWS) :], header=ROWS_PLANTED[len(ROWS)]),
    "renamed_to_value": _delivery(ROWS, header=HEADER.replace("FIRST", "Qzxwvy")),
    "duplicate_value_header": _delivery(ROWS, header=HEADER.replace("FIRST,LAST", "Jkplmn,Jkplmn")),
    "extra_value_header": _delivery(ROWS, header=HEADER + ",Zq-77"),
    "delimiter": _delivery(ROWS_PLANTED, header=HEADER.replace(",", ";")),
    "encoding": _delivery(ROWS_PLANTED).replace(b"Qzxwvy", "Qzxwvyé".encode("cp1252")),
    "malformed": _delivery([r + ",Zq-77,Qzxwvy" for r in ROWS_PLANTED]),
    "header_only": _delivery([], header="Qzxwvy,987650001"),
}


@pytest.mark.parametrize("name", sorted(FILE_FAULTS))
def test_no_value_in_file_level_errors(name, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(EnclaveError) as exc:
        ingest.ingest(TOY, FILE_FAULTS[name], PARAMS, source="landing/toy.csv")
    assert not _leaks(_chain(exc.value))
    assert not _leaks(" ".join(r.getMessage() for r in caplog.records))


def test_no_value_in_contract_errors():
    """A contract whose standardiser drops a column fails on its code, without values."""
    broken = TOY.__class__(
        **{
            **TOY.__dict__,
            "standardise": lambda raw: (
                TOY.standardise(raw)[0].drop("dob"),
                TOY.standardise(raw)[1],
            ),
        }
    )
    with pytest.raises(ingest.ContractError) as exc:
        ingest.ingest(broken, _delivery(ROWS_PLANTED), PARAMS)
    assert "dob" in str(exc.value) and not _leaks(_chain(exc.value))
