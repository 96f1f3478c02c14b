"""Outputs kept from an earlier run are hard links (``io.link_or_copy``): every writer of
``enclave.io`` writes a new file, never through such a link, so the earlier run's file
stays as it was (its folder is still in place until the new one replaces it)."""

from __future__ import annotations

import polars as pl
import pytest

from enclave import io

EARLIER = pl.DataFrame({"a": [1, 2]})
LATER = pl.DataFrame({"a": [3, 4, 5]})


def _write_json(path):
    io.write_json({"a": [3, 4, 5]}, path)


def _write_parquet(path):
    io.write_parquet(LATER, path)


def _sink(path):
    with io.ParquetSink(path, LATER.schema) as sink:
        sink.write(LATER)


def _parts(path):
    io.write_parquet_parts(iter([LATER.head(1), LATER.tail(-1)]), path)


@pytest.mark.parametrize("write", [_write_json, _write_parquet, _sink, _parts])
def test_a_write_never_changes_the_file_it_replaces_through_a_link(tmp_path, write):
    earlier, kept = tmp_path / "earlier" / "f", tmp_path / "new" / "f"
    io.write_parquet(EARLIER, earlier)
    before = earlier.read_bytes()
    kept.parent.mkdir()
    io.link_or_copy(earlier, kept)
    write(kept)
    assert earlier.read_bytes() == before  # the earlier run's file as it was
    assert kept.read_bytes() != before and kept.stat().st_nlink == 1


def test_parts_written_as_one_file_hold_every_row_in_order_the_same_bytes_each_time(tmp_path):
    rows = pl.DataFrame({"key": [f"k{i:05d}" for i in range(5000)], "n": range(5000)})
    for name in ("a", "b"):
        parts = (rows.slice(at, 777) for at in range(0, rows.height, 777))
        assert io.write_parquet_parts(parts, tmp_path / f"{name}.parquet")
    assert pl.read_parquet(tmp_path / "a.parquet").equals(rows)
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


def test_no_parts_write_no_file(tmp_path):
    assert not io.write_parquet_parts(iter([]), tmp_path / "none.parquet")
    assert not (tmp_path / "none.parquet").exists()


def test_the_parts_source_honours_what_a_query_pushes_down():
    rows = pl.DataFrame({"key": [f"k{i}" for i in range(100)], "n": range(100)})
    lazy = io.lazy_parts(rows.head(30), iter([rows.slice(30, 40), rows.slice(70)]))
    query = lazy.filter(pl.col("n") % 3 == 0).select("key").head(20)
    assert query.collect().equals(rows.filter(pl.col("n") % 3 == 0).select("key").head(20))
