"""The synthetic world's fast paths give what the plain operations they replace give:
runs of consecutive years numbered by one flat cumulative sum, where a window per key
(nested in another) numbered them before. (Extracts built two pieces at a time are
held to the whole build by ``tests/pipeline/test_synth_pieces.py``.)"""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.synth import emit
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


# a history: (person, day) unique, as the world's surname and residence histories are;
# few days, so that a record often falls on the very day a row starts
_history_rows = st.lists(st.tuples(st.integers(1, 5), st.integers(-6, 6)), unique=True)
_records = st.lists(st.tuples(st.none() | st.integers(0, 6), st.none() | st.integers(-8, 8)))


@settings(max_examples=300, deadline=None)
@given(_history_rows, _records)
def test_as_of_finds_the_row_a_join_as_of_by_person_finds(history_rows, record_rows):
    table = pl.DataFrame(
        [(p, d, f"v{i}", i) for i, (p, d) in enumerate(history_rows)],
        schema={"person_id": pl.Int64, "valid_from": pl.Int32, "v": pl.String, "n": pl.Int64},
        orient="row",
    ).with_columns(pl.col("valid_from").cast(pl.Date))
    records = pl.DataFrame(
        record_rows, schema={"person_id": pl.Int64, "date": pl.Int32}, orient="row"
    ).with_columns(pl.col("date").cast(pl.Date), pl.int_range(pl.len()).alias("_row"))
    found = emit._as_of(records, emit._history(table, ["v", "n"]))
    # the operation replaced: polars' as-of join by person, on records in date order
    joined = (
        records.sort("date")
        .join_asof(
            table.sort("valid_from"),
            left_on="date",
            right_on="valid_from",
            by="person_id",
            strategy="backward",
            check_sortedness=False,
        )
        .sort("_row")
        .select(*records.columns, "v", "n")
    )
    # records keep their order; a record with no date finds nothing (join_asof's match
    # for a null date is not defined, so it is not compared)
    assert found.get_column("_row").to_list() == list(range(records.height))
    dated = pl.col("date").is_not_null()
    assert found.filter(dated).equals(joined.filter(dated))
    assert found.filter(~dated).select(pl.col("v", "n").is_null().all()).row(0) == (True, True)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(1, 40), unique=True, min_size=1),
    st.lists(st.none() | st.integers(0, 45)),
)
def test_identify_finds_each_person_as_a_join_on_person_id_does(ids, wanted):
    persons = pl.DataFrame({"person_id": ids}, schema={"person_id": pl.Int64}).with_columns(
        first_name=pl.format("f{}", "person_id"),
        middle_name=pl.lit(None, pl.String),
        last_name=pl.format("l{}", "person_id"),
        suffix=pl.lit(None, pl.String),
        sex=pl.lit("F"),
        dob=pl.col("person_id").cast(pl.Int32).cast(pl.Date),
        ssn=pl.format("{}", "person_id"),
        mother_id=pl.lit(None, pl.Int64),
        father_id=pl.lit(None, pl.Int64),
    )
    empty = pl.DataFrame(
        schema={"person_id": pl.Int64, "valid_from": pl.Date, "last_name": pl.String,
                "street_address": pl.String, "city": pl.String, "zip": pl.String}
    )  # fmt: skip
    world = emit.World(tables={"persons": persons, "surnames": empty, "residences": empty})
    identity = emit._identity(world)
    records = pl.DataFrame(
        {"person_id": wanted, "date": [None] * len(wanted)},
        schema={"person_id": pl.Int64, "date": pl.Date},
    )
    found = emit._identify(identity, records)
    joined = records.join(identity.people, on="person_id", how="left", maintain_order="left")
    assert found.select(joined.columns).equals(joined)
