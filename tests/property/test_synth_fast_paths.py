"""The synthetic world's fast paths give what the plain operations they replace give:
runs of consecutive years numbered by one flat cumulative sum, where a window per key
(nested in another) numbered them before. (Extracts built two pieces at a time are
held to the whole build by ``tests/pipeline/test_synth_pieces.py``.)"""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.synth.panel import year_spells

# (person, category, year) rows: few persons, categories and years, so that runs
# break, restart, and change category within a person
_rows = st.lists(
    st.tuples(st.integers(1, 4), st.sampled_from(["ADULT", "AGED", "CHILD"]), st.integers(0, 9)),
    unique=True,
    max_size=60,
)


def _spells_by_window(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """The runs as the window per key numbered them (the operation replaced)."""
    frame = frame.sort([*key, "year"])
    new_run = (pl.col("year") - pl.col("year").shift(1).over(key)).fill_null(2) != 1
    return (
        frame.with_columns(new_run.cum_sum().over(key).alias("_run"))
        .group_by([*key, "_run"], maintain_order=True)
        .agg(pl.col("year").min().alias("y0"), pl.col("year").max().alias("y1"), pl.all().first())
    )


@settings(max_examples=200, deadline=None)
@given(_rows, st.integers(0, 2**32 - 1))
def test_year_spells_are_the_runs_a_window_per_key_finds(rows, seed):
    frame = pl.DataFrame(
        [(p, c, 2000 + y, 10 * p) for p, c, y in rows],
        schema={"person_id": pl.Int64, "cat": pl.String, "year": pl.Int32, "entry": pl.Int64},
        orient="row",
    )
    key = ["person_id", "cat"]
    spells = year_spells(frame, key, 2000, 2009, np.random.default_rng(seed))
    expected = _spells_by_window(frame, key)
    assert spells.drop("_run", "start_d", "end_d").equals(expected.drop("_run"))
    # each run is consecutive years of one key, and runs of a key never touch
    assert (spells["y1"] - spells["y0"] + 1).sum() == frame.height
    gaps = spells.sort([*key, "y0"]).select(
        (pl.col("y0") - pl.col("y1").shift(1).over(key)).drop_nulls().alias("gap")
    )
    assert (gaps["gap"] > 1).all()
    # the same runs draw the same days: the random draws follow the runs' order
    again = year_spells(frame, key, 2000, 2009, np.random.default_rng(seed))
    assert spells.equals(again)
