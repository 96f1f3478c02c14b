"""The row-level plumbing that lets linkage scale: per-file collapse to identity records,
record-key order without a sort, positional merges, and the DuckDB settings."""

from __future__ import annotations

import datetime

import numpy as np
import polars as pl
import pytest

from enclave.linkage import _identity_map_parts, guard_attributes, identity
from enclave.linkage.backend import duckdb_config, make_db_api
from enclave.linkage.keys import assign_keys, digest_key


def _rows() -> pl.DataFrame:
    """Identifier rows of two agencies, with repeats, a birth record naming parents,
    and identical identifiers delivered by both agencies."""
    return pl.DataFrame(
        {
            "record_key": ["a-1", "a-2", "a-3", "a-4", "b-1", "b-2", "b-3"],
            "agency": ["a", "a", "a", "a", "b", "b", "b"],
            "first_name": ["Ann", "Ann", "ann", "Bob", "Ann", "Cy", "Bob"],
            "last_name": ["Lee", "Lee", "LEE", "Ray", "Lee", "Ray", "Ray"],
            "dob": [datetime.date(1990, 1, 2)] * 4 + [datetime.date(1990, 1, 2), None, None],
            "mother_first_name": [None, None, None, None, None, "Dee", None],
            "mother_last_name": [None, None, None, None, None, "Ray", None],
            "father_first_name": [None, None, None, None, None, "Bob", None],
            "father_last_name": [None, None, None, None, None, "Ray", None],
        }
    )


def test_files_apart_collapse_like_one_frame():
    rows = _rows()
    whole_rows, whole_ids = identity.build(rows.lazy())
    # files given out of key order, one of them unsorted
    parts = [rows.filter(pl.col("agency") == "b").reverse().lazy(), rows.head(4).lazy()]
    split_rows, split_ids = identity.build(parts)
    assert split_rows.equals(whole_rows)
    assert split_ids.equals(whole_ids)


def test_rows_are_in_record_key_order_person_first_then_parents():
    rows, identities = identity.build(_rows().sample(fraction=1.0, shuffle=True, seed=1).lazy())
    assert rows.get_column("record_key").is_sorted()
    birth = rows.filter(pl.col("record_key") == "b-2").get_column("role").to_list()
    assert birth == [None, "FATHER", "MOTHER"]
    person = rows.filter(pl.col("role").is_null())
    ids = dict(person.select("record_key", "identity_id").iter_rows())
    # identical identifiers (any case) are one identity, across agencies too
    assert ids["a-1"] == ids["a-2"] == ids["a-3"] == ids["b-1"]
    assert ids["a-4"] != ids["b-3"]
    # identity ids follow the smallest record key
    assert identities.get_column("identity_id").to_list() == list(range(identities.height))


def test_collapsed_records_and_parents_are_positional():
    collapsed = identity.collapse(_rows().lazy())
    records, parents = collapsed.records, collapsed.parents
    assert records.get_column("record_key").to_list() == sorted(_rows()["record_key"])
    at = records.get_column("record_key").gather(parents.get_column("pos"))
    assert at.equals(parents.get_column("record_key"), check_names=False)
    assert collapsed.rows == 7 + 2


@pytest.mark.parametrize(
    ("n", "pos"),
    [(3, []), (3, [0]), (3, [2, 2]), (4, [0, 0, 3]), (1, [0, 0])],
)
def test_merge_order_puts_each_parent_after_its_person(n, pos):
    pos = np.array(pos, dtype=np.int64)
    order = identity.merge_order(n, pos).to_numpy()
    assert sorted(order.tolist()) == list(range(n + pos.size))
    # the person row a merged row belongs to never decreases, and a person precedes
    # its parents
    owner = np.concatenate([np.arange(n), pos])[order]
    is_parent = order >= n
    assert (np.diff(owner) >= 0).all()
    assert not is_parent[0]


def _keyed(keys: list[str]) -> pl.LazyFrame:
    return pl.DataFrame({"record_key": keys, "agency": ["a"] * len(keys)}).lazy()


@pytest.mark.parametrize(
    ("files", "held"),
    [
        ([["b-1", "b-2"], ["a-1", "a-3"]], False),  # sorted and apart: read back, not held
        ([["a-2", "b-1"], ["a-1", "a-3"]], True),  # ranges interleave
        ([["a-3", "a-1"], ["b-1"]], True),  # a file out of order
        ([[], ["a-1"]], False),
    ],
)
def test_record_keys_are_in_key_order_held_only_when_they_must_be(files, held):
    frames = [_keyed(f) for f in files]
    keys, places = identity._key_order(frames, [identity._hashed(f, {}) for f in frames])
    every = sorted(k for f in files for k in f)
    assert (keys.held is not None) is held
    assert len(keys) == len(every)
    assert keys.slice(0, len(every)).to_list() == every
    assert keys.slice(1, 3).to_list() == every[1:3]
    assert keys.gather(np.array([2, 0, 2][: len(every)]) % len(every)).to_list() == [
        every[i % len(every)] for i in [2, 0, 2][: len(every)]
    ]
    # each file's rows land at their keys' positions
    for f, place in zip(files, places, strict=True):
        assert [every[i] for i in np.arange(len(every))[place]] == f


def test_fast_keys_match_the_unsorted_path():
    members = pl.DataFrame(
        {"record_key": ["a-1", "a-2", "b-1", "c-1", "c-2"], "cluster": [4, 9, 4, 9, 7]}
    )
    fast = assign_keys(members)
    slow = assign_keys(members.reverse())
    assert fast.equals(slow)
    got = dict(fast.iter_rows())
    assert got["a-1"] == got["b-1"] == digest_key("a-1")
    assert got["a-2"] == got["c-1"] == digest_key("a-2")
    assert got["c-2"] == digest_key("c-2")


def test_duckdb_gets_a_memory_limit_and_a_spill_directory(tmp_path):
    assert duckdb_config(2, 1.0) == {"threads": 2, "memory_limit": "1024MiB"}
    assert duckdb_config(1)["memory_limit"].endswith("MiB")
    api = make_db_api("duckdb", 1, memory_limit_gb=1.0, temp_directory=tmp_path / "spill")
    con = api._con
    got = con.sql(
        "select current_setting('memory_limit'), current_setting('temp_directory'),"
        " current_setting('threads')"
    ).fetchall()[0]
    assert got[1] == str(tmp_path / "spill")
    assert got[2] == 1
    assert got[0].replace(" ", "") in ("1.0GiB", "1024.0MiB", "1GiB")


def test_born_by_matches_the_activity_definition():
    from enclave.linkage.activity import born_by

    seen = [datetime.date(y, 1, 1) for y in (2010, 2003, 2015, 2001, 2012, 2020, 2019)]
    rows = _rows().with_columns(seen=pl.Series(seen), agency=pl.Series(list("aaaabbb")))
    min_age = {"b": 14}
    collapsed = identity.collapse([rows.head(4).lazy(), rows.tail(3).lazy().drop("seen")], min_age)
    both = rows.head(4).vstack(rows.tail(3).with_columns(seen=pl.lit(None, pl.Date)))
    expected = born_by(both.lazy(), identity.with_roles(collapsed), min_age)
    assert collapsed.born_by.equals(expected)
    whole = identity.collapse(rows.lazy(), min_age).born_by
    ids = dict(identity.collapse(rows.lazy()).records.iter_rows())
    # Ann Lee: a-1..a-3 and b-1 (2012 less 14 years)
    assert dict(whole.iter_rows())[ids["a-1"]] == 1998


@pytest.mark.parametrize("part_rows", [1, 2, 3, 5, 6, 100])
def test_identity_map_parts_concatenate_to_the_whole_map(part_rows):
    collapsed = identity.collapse(_rows().lazy())
    attrs = guard_attributes(collapsed.identities, collapsed.born_by)
    whole = list(_identity_map_parts(collapsed, attrs, rows=10**6))
    parts = list(_identity_map_parts(collapsed, attrs, rows=part_rows))
    assert len(whole) == 1 and len(parts) == -(-collapsed.records.height // part_rows)
    assert pl.concat(parts).equals(whole[0])
    # the map: every person row with its parents after it, attributes by identity
    expected = identity.with_roles(collapsed)
    assert whole[0].select(expected.columns).equals(expected)
    assert whole[0].height == collapsed.rows


def test_the_sql_engine_gets_what_the_stage_budget_leaves():
    from enclave.linkage import backend

    assert backend.engine_memory_gb(None) is None  # no budget: a share of RAM
    held = backend._resident_gb()
    assert 0.05 < held < 64  # this process, read from /proc
    share = backend.ENGINE_SHARE_OF_BUDGET
    room = min(10, backend.MEMORY_SHARE * backend._physical_gb() / share)
    got = backend.engine_memory_gb(held + room)
    # the share of what is left (this process grows a little between the two reads)
    assert (share - 0.05) * room < got <= share * room + 1e-9
    assert backend.engine_memory_gb(0.1) == 0.5  # never below DuckDB's floor
    # a budget larger than the machine: the share of RAM, as without one
    assert backend.engine_memory_gb(10_000) == backend.MEMORY_SHARE * backend._physical_gb()
