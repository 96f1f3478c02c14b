"""A month's crosswalk rows merged into the earlier file equal the two sorted together
(``enclave.linkage.incremental._merge``), whatever the keys and the part size."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage import incremental

keys = st.lists(st.text("abc-0123", min_size=1, max_size=6), unique=True, max_size=40)


@settings(max_examples=60, deadline=None)
@given(keys=keys, part=st.integers(1, 7), data=st.data())
def test_merge_equals_sorting_both(tmp_path_factory, keys, part, data):
    new = set(data.draw(st.lists(st.sampled_from(keys), unique=True))) if keys else set()
    old = sorted(k for k in keys if k not in new)
    rows = sorted(new)
    folder = tmp_path_factory.mktemp("merge")
    schema = {"record_key": pl.String, "v": pl.Int64}
    frame = pl.DataFrame({"record_key": old, "v": range(len(old))}, schema=schema)
    frame.write_parquet(folder / "old.parquet")
    month = pl.DataFrame({"record_key": rows, "v": [-1] * len(rows)}, schema=schema)
    incremental.MERGE_ROWS, saved = part, incremental.MERGE_ROWS
    try:
        incremental._merge(folder / "old.parquet", month, folder / "merged.parquet")
    finally:
        incremental.MERGE_ROWS = saved
    merged = pl.read_parquet(folder / "merged.parquet")
    expected = pl.concat([frame, month.select(frame.columns)]).sort("record_key")
    assert merged.equals(expected)
