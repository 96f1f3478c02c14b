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


@pytest.mark.parametrize("write", [_write_json, _write_parquet, _sink])
def test_a_write_never_changes_the_file_it_replaces_through_a_link(tmp_path, write):
    earlier, kept = tmp_path / "earlier" / "f", tmp_path / "new" / "f"
    io.write_parquet(EARLIER, earlier)
    before = earlier.read_bytes()
    kept.parent.mkdir()
    io.link_or_copy(earlier, kept)
    write(kept)
    assert earlier.read_bytes() == before  # the earlier run's file as it was
    assert kept.read_bytes() != before and kept.stat().st_nlink == 1
