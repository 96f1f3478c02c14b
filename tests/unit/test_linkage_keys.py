"""Stable person keys, with and without an earlier crosswalk."""

from __future__ import annotations

import polars as pl

from enclave.linkage import keys
from enclave.linkage.keys import assign_keys, digest_key


def _members(pairs: list[tuple[str, int]]) -> pl.DataFrame:
    return pl.DataFrame(pairs, schema=["record_key", "cluster"], orient="row")


def test_key_is_digest_of_smallest_record_key_whatever_the_labels():
    a = assign_keys(_members([("b-2", 0), ("a-1", 0), ("c-3", 1)]))
    b = assign_keys(_members([("c-3", 7), ("a-1", 9), ("b-2", 9)]))
    assert a.equals(b)
    got = dict(a.iter_rows())
    assert got["a-1"] == got["b-2"] == digest_key("a-1")
    assert got["c-3"] == digest_key("c-3")
    assert all(k.startswith("P") and len(k) == 13 for k in got.values())


def test_existing_keys_kept_and_new_record_joins_its_person():
    existing = pl.DataFrame({"record_key": ["a-1", "b-1"], "person_key": ["Pold1", "Pold2"]})
    got = dict(assign_keys(_members([("a-1", 0), ("z-9", 0), ("b-1", 1)]), existing).iter_rows())
    assert got == {"a-1": "Pold1", "z-9": "Pold1", "b-1": "Pold2"}


def test_bridging_record_joins_larger_person_without_merging():
    existing = pl.DataFrame(
        {"record_key": ["a-1", "a-2", "b-1"], "person_key": ["Pbbb", "Pbbb", "Paaa"]}
    )
    members = _members([("a-1", 0), ("a-2", 0), ("b-1", 0), ("n-1", 0)])
    got = dict(assign_keys(members, existing).iter_rows())
    assert got["a-1"] == got["a-2"] == got["n-1"] == "Pbbb"
    assert got["b-1"] == "Paaa"


def test_new_person_gets_fresh_key_distinct_from_existing():
    existing = pl.DataFrame({"record_key": ["a-1"], "person_key": [digest_key("n-1")]})
    got = dict(assign_keys(_members([("a-1", 0), ("n-1", 1)]), existing).iter_rows())
    assert got["n-1"] != got["a-1"]
    assert got["n-1"] == digest_key("n-1", 1)


def test_digest_collisions_are_resolved(monkeypatch):
    monkeypatch.setattr(keys, "digest_key", lambda rk, attempt=0: f"P{attempt:012d}")
    got = assign_keys(_members([("a-1", 0), ("b-1", 1), ("c-1", 2)]))
    assert got.get_column("person_key").n_unique() == 3
