"""``enclave link`` on identifier files unlike the default world's: one file or two, a
column missing entirely or mostly null, tiny inputs. Each gives a crosswalk covering
every record once, and the report says how training adapted; never a traceback."""

from __future__ import annotations

import json
import logging

import polars as pl
import pytest

from enclave import cli

pytestmark = pytest.mark.slow

ROWS = 400


def _drop(*columns):
    return lambda f: f.drop(*columns)


def _mostly_null(column, keep=0.05):
    def change(f):
        kept = (pl.int_range(pl.len()) % int(1 / keep)) == 0
        return f.with_columns(pl.when(kept).then(pl.col(column)).otherwise(None).alias(column))

    return change


SHAPES = {
    "no SSN column": _drop("ssn", "ssn_last4"),
    "SSN mostly null": lambda f: _mostly_null("ssn")(_mostly_null("ssn_last4")(f)),
    "no date of birth": _drop("dob"),
    "date of birth mostly null": _mostly_null("dob"),
    "no sex": _drop("sex"),
    "no middle name": _drop("middle_name"),
    "no ZIP": _drop("zip"),
    "names and dates only": lambda f: f.select("record_key", "first_name", "last_name", "dob"),
}


def _link(small_world, tmp_path, frames: list[pl.DataFrame], caplog) -> tuple[pl.DataFrame, dict]:
    paths = []
    for index, frame in enumerate(frames):
        path = tmp_path / f"source{index}.parquet"
        frame.write_parquet(path)
        paths.append(str(path))
    out = tmp_path / "xw"
    argv = ["link", "--params", str(small_world / "params.yaml"), *paths, "--out", str(out)]
    with caplog.at_level(logging.WARNING):
        code = cli.main(argv)
    assert code == 0, caplog.text
    assert "Traceback" not in caplog.text
    crosswalk = pl.read_parquet(out / "crosswalk.parquet")
    keys = pl.concat([f.select("record_key") for f in frames]).get_column("record_key")
    assert crosswalk.height == keys.len() == crosswalk.get_column("record_key").n_unique()
    assert crosswalk.get_column("person_key").null_count() == 0
    assert set(crosswalk.get_column("record_key")) == set(keys)
    return crosswalk, json.loads((out / "report.json").read_text())


def _staged(small_world, agency: str, rows: int = ROWS) -> pl.DataFrame:
    path = small_world / "data" / "staged" / agency / "identifiers.parquet"
    return pl.read_parquet(path).head(rows)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_two_files_of_an_odd_shape_link(small_world, tmp_path, caplog, shape):
    change = SHAPES[shape]
    frames = [change(_staged(small_world, "hfs")), change(_staged(small_world, "idhs"))]
    _, report = _link(small_world, tmp_path, frames, caplog)
    passes = report["training"]["em_passes"]
    assert [p["rule"] for p in passes] == [
        "ssn4",
        "dob & last_sdx",
        "first_name & last_name & birth_year",
    ]
    for entry in passes:  # every skipped pass is in the log too
        if entry["status"] != "trained":
            assert f"EM pass on {entry['rule']} {entry['status']}" in caplog.text
    assert 0 < report["training"]["prior"]["value"] < 1


def test_one_file_is_deduplicated(small_world, tmp_path, caplog):
    frame = _staged(small_world, "idhs", 2000)  # member-months: a person on many rows
    crosswalk, _ = _link(small_world, tmp_path, [frame], caplog)
    assert crosswalk.get_column("person_key").n_unique() < frame.height


@pytest.mark.parametrize("rows", [1, 2, 5])
def test_tiny_inputs_link(small_world, tmp_path, caplog, rows):
    frame = _staged(small_world, "hfs", rows)
    _, report = _link(small_world, tmp_path, [frame], caplog)
    assert report["records"] == rows


def test_one_person_twice_under_two_keys_is_one_person(small_world, tmp_path, caplog):
    row = _staged(small_world, "hfs", 1)
    twice = pl.concat([row, row.with_columns(pl.lit("copy-1").alias("record_key"))])
    crosswalk, _ = _link(small_world, tmp_path, [twice], caplog)
    assert crosswalk.get_column("person_key").n_unique() == 1
    assert crosswalk.get_column("link_evidence").cast(pl.String).to_list() == ["single"] * 2
