"""``enclave link`` checks its inputs before linking: each fault is one line naming the
file, never a traceback, and unparseable dates are counted per file and column."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl
import pytest

from enclave import cli
from enclave.errors import InputError
from enclave.linkage.inputs import read_inputs, report

PARAMS = str(Path(__file__).parents[2] / "params.yaml")
BAD_DATE = "1975-13-40"


def _csv(path: Path, keys: list[str | None], dobs: list[str | None] | None = None) -> Path:
    frame = pl.DataFrame(
        {
            "record_key": keys,
            "first_name": ["ANN"] * len(keys),
            "last_name": ["LEE"] * len(keys),
            "dob": dobs or ["1980-02-03"] * len(keys),
        },
        schema={
            "record_key": pl.String,
            "first_name": pl.String,
            "last_name": pl.String,
            "dob": pl.String,
        },
    )
    frame.write_csv(path)
    return path


def _link(tmp_path: Path, *inputs: Path, caplog) -> str:
    out = tmp_path / "xw"
    with caplog.at_level(logging.ERROR):
        code = cli.main(["link", "--params", PARAMS, *map(str, inputs), "--out", str(out)])
    assert code == 2
    assert not out.exists() and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "Traceback" not in caplog.text
    return errors[0]


def test_a_repeated_record_key_in_one_file_is_an_error_naming_it(tmp_path, caplog):
    source = _csv(tmp_path / "new.csv", ["n-1", "n-2", "n-1", "n-3"])
    message = _link(tmp_path, source, caplog=caplog)
    assert str(source) in message and "record_key repeated: 2 row(s)" in message


def test_a_record_key_in_two_inputs_is_an_error_naming_both(tmp_path, caplog):
    first = _csv(tmp_path / "a.csv", ["k-1", "k-2"])
    second = _csv(tmp_path / "b.csv", ["k-3", "k-2"])
    message = _link(tmp_path, first, second, caplog=caplog)
    assert "repeated across inputs: 1 key(s)" in message
    assert str(first) in message and str(second) in message


def test_the_same_staged_folder_twice_is_caught(small_world, tmp_path, caplog):
    hfs = small_world / "data" / "staged" / "hfs"
    message = _link(tmp_path, hfs, hfs, caplog=caplog)
    assert "repeated across inputs" in message and "identifiers.parquet" in message


def test_a_missing_record_key_is_an_error(tmp_path, caplog):
    source = _csv(tmp_path / "new.csv", ["n-1", None])
    assert "record_key missing on 1 row(s)" in _link(tmp_path, source, caplog=caplog)


@pytest.mark.parametrize(
    ("content", "fault"),
    [(b"", "empty file"), (b"record_key,dob\n", "no records to link")],
)
def test_empty_inputs_are_one_line_errors(tmp_path, caplog, content, fault):
    source = tmp_path / "new.csv"
    source.write_bytes(content)
    message = _link(tmp_path, source, caplog=caplog)
    assert fault in message and str(source) in message


def test_a_file_that_is_not_parquet_is_named(tmp_path, caplog):
    source = tmp_path / "ids.parquet"
    source.write_text("record_key\nx-1\n")
    assert f"file {source}: not readable as parquet" in _link(tmp_path, source, caplog=caplog)


def test_unparsed_dates_are_counted_per_file_and_column_never_shown(tmp_path, caplog):
    source = _csv(
        tmp_path / "new.csv",
        ["n-1", "n-2", "n-3", "n-4"],
        [BAD_DATE, "1980-02-30", None, "1980-02-03"],
    )
    other = _csv(tmp_path / "other.csv", ["o-1"])
    with caplog.at_level(logging.WARNING):
        files = read_inputs([source, other])
    assert report(files) == {
        "inputs": [
            {"file": str(source), "records": 4, "unparsed_dates": {"dob": 2}},
            {"file": str(other), "records": 1, "unparsed_dates": {}},
        ],
        "records": 5,
    }
    assert "2 value(s) of dob are not dates" in caplog.text and str(source) in caplog.text
    assert BAD_DATE not in caplog.text and "1980-02-30" not in caplog.text
    dobs = files[0].frame.select("dob").collect().get_column("dob")
    assert dobs.dtype == pl.Date and dobs.null_count() == 3


def test_input_error_is_the_enclave_error_kind(tmp_path):
    with pytest.raises(InputError) as exc:
        read_inputs([tmp_path / "absent.csv"])
    assert exc.value.agency == "link" and exc.value.fault == "file not found"
