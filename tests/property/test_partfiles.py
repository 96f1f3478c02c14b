"""A row-level file of the linkage zone with months added as parts reads, in key
order, as the whole file and the months sorted together (``enclave.partfiles``),
whatever the keys, however many months, wherever their keys fall."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave import io, partfiles

keys = st.lists(st.text("abc-0123", min_size=1, max_size=6), unique=True, max_size=40)
SCHEMA = {"record_key": pl.String, "v": pl.Int64}


@settings(max_examples=60, deadline=None)
@given(keys=keys, months=st.integers(1, 4), data=st.data())
def test_parts_read_as_everything_sorted(tmp_path_factory, keys, months, data):
    batches = [data.draw(st.sets(st.sampled_from(keys))) if keys else set() for _ in range(months)]
    later = set().union(*batches)
    whole = pl.DataFrame(
        {"record_key": sorted(set(keys) - later)}, schema={"record_key": pl.String}
    )
    whole = whole.with_columns(v=pl.int_range(pl.len(), dtype=pl.Int64))
    folder = tmp_path_factory.mktemp("zone")
    io.write_parquet(whole.cast(SCHEMA), folder / "crosswalk.parquet")
    seen, expected = set(), [whole]
    for run, batch in enumerate(batches, start=1):
        rows = sorted(batch - seen)  # a key is delivered once
        seen |= batch
        month = pl.DataFrame({"record_key": rows, "v": [-run] * len(rows)}, schema=SCHEMA)
        expected.append(month)
        current, folder = partfiles.rows(folder, "crosswalk"), tmp_path_factory.mktemp("zone")
        layout = partfiles.add_part(
            current, month, folder, run
        )  # the zone anew, as a link writes it
        io.write_json({"crosswalk": layout}, folder / partfiles.PARTS)
        read = partfiles.rows(folder, "crosswalk")
        assert len(read) == sum(e.height for e in expected)
        assert read.scan().collect().equals(pl.concat(expected).sort("record_key"))
        everything = read.scan().collect()
        assert read.unordered().collect().sort("record_key").equals(everything)
        low, length = data.draw(st.integers(0, len(read))), data.draw(st.integers(0, 9))
        assert read.slice(low, length).collect().equals(everything.slice(low, length))


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 5), min_size=1, max_size=4))
def test_appended_parts_follow_the_rest(tmp_path_factory, sizes):
    """Identity records and pairs: a month's rows after everything before them."""
    folder = tmp_path_factory.mktemp("zone")
    frames = [pl.DataFrame({"v": list(range(sizes[0]))}, schema={"v": pl.Int64})]
    io.write_parquet(frames[0], folder / "pairs.parquet")
    for run, size in enumerate(sizes[1:], start=1):
        frames.append(pl.DataFrame({"v": [run] * size}, schema={"v": pl.Int64}))
        current, folder = partfiles.rows(folder, "pairs"), tmp_path_factory.mktemp("zone")
        layout = partfiles.add_part(current, frames[-1], folder, run, ordered=False)
        io.write_json({"pairs": layout}, folder / partfiles.PARTS)
        assert partfiles.rows(folder, "pairs").scan().collect().equals(pl.concat(frames))
