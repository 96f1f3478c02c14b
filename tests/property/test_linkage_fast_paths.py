"""Linkage's fast paths give what the plain operations they replace give: a record
mapped to its raw tuple on the first hash alone, where that hash tells the tuples
apart, and on both hashes where it does not."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.linkage import identity

# distinct raw tuples as (h1, h2): drawn from a small range so that two tuples often
# share their first hash, the case the fast path must see and refuse
_tuples = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, unique=True)


@settings(max_examples=200, deadline=None)
@given(_tuples, st.data())
def test_rows_map_to_their_raw_tuple_on_one_hash_or_two(tuples, data):
    ids = pl.DataFrame(tuples, schema={"h1": pl.UInt64, "h2": pl.UInt64}, orient="row")
    ids = ids.with_row_index("raw_id")
    picks = data.draw(st.lists(st.integers(0, len(tuples) - 1), max_size=40))
    births = data.draw(
        st.lists(st.none() | st.integers(1950, 2020), min_size=len(picks), max_size=len(picks))
    )
    rows = pl.DataFrame(
        {
            "h1": [tuples[i][0] for i in picks],
            "h2": [tuples[i][1] for i in picks],
            "by": births,
        },
        schema={"h1": pl.UInt64, "h2": pl.UInt64, "by": pl.Int32},
    )
    keyed = identity._join_keys(ids)
    first_alone = ids.get_column("h1").n_unique() == ids.height
    assert keyed.columns == (["raw_id", "h1"] if first_alone else ["raw_id", "h1", "h2"])
    raw_id, born_by = identity._row_raw(rows, keyed)
    assert raw_id.tolist() == picks  # each row finds its own tuple, never a namesake
    expected_raw, expected_by = identity._row_raw(rows, ids)  # the join on both hashes
    assert np.array_equal(raw_id, expected_raw)
    assert born_by.sort("raw_id").equals(expected_by.sort("raw_id"))
