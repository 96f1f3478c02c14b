"""Stable person keys.

A new cluster's key is ``P`` + the first 12 hex digits of the SHA-256 of its smallest
record key, so re-running on the same data gives the same keys whatever the order of
the input. Should two clusters' digests collide, the later one (by smallest record
key) is re-derived from ``<record_key>#1``, ``#2``...

With an earlier crosswalk (``existing``), existing persons are never renumbered:

* a record already in the crosswalk keeps its person key;
* a new record joins the existing person its cluster holds (if its cluster holds
  several existing persons -- a new record bridging two of them -- it joins the one
  with the most records in the cluster, ties to the smallest key; the existing
  persons are NOT merged, so no published key disappears);
* a cluster with no existing record is a new person with a new key.
"""

from __future__ import annotations

import hashlib

import polars as pl

KEY_HEX = 12


def digest_key(record_key: str, attempt: int = 0) -> str:
    """``P`` + 12 hex digits derived from a record key.

    >>> digest_key("hfs-000000001")
    'P2d859428b985'
    """
    text = record_key if attempt == 0 else f"{record_key}#{attempt}"
    return "P" + hashlib.sha256(text.encode()).hexdigest()[:KEY_HEX]


def assign_keys(members: pl.DataFrame, existing: pl.DataFrame | None = None) -> pl.DataFrame:
    """``members`` (``record_key``, ``cluster``) -> (``record_key``, ``person_key``),
    sorted by ``record_key``.

    ``existing`` is an earlier crosswalk (``record_key``, ``person_key``). Members
    already in record-key order (as :func:`enclave.linkage.link` passes them) are
    keyed without a join or sort on the record keys; without an earlier crosswalk the
    keys reach the records by one join on the cluster.
    """
    if existing is None or existing.height == 0:
        # every key is fresh: one key per cluster, gathered onto the records by a join
        # on the cluster (no null key column, no coalesce: 72M rows at 1M persons)
        fresh = _fresh_keys(members, _NO_INHERITED, set())
        keyed = members.select("record_key", "cluster").join(
            fresh, on="cluster", how="left", maintain_order="left"
        )
        keyed = keyed.select("record_key", pl.col("cluster_key").alias("person_key"))
        return keyed if keyed.get_column("record_key").is_sorted() else keyed.sort("record_key")
    taken = set(existing.get_column("person_key").to_list())
    old = members.join(
        existing.select("record_key", "person_key"),
        on="record_key",
        how="left",
        maintain_order="left",
    )
    inherited = _inherited_keys(old)
    fresh = _fresh_keys(old, inherited, taken)
    cluster_key = pl.concat([inherited, fresh])
    keyed = old.join(cluster_key, on="cluster", how="left", maintain_order="left").select(
        "record_key", pl.coalesce("person_key", "cluster_key").alias("person_key")
    )
    return keyed if keyed.get_column("record_key").is_sorted() else keyed.sort("record_key")


_NO_INHERITED = pl.DataFrame(schema={"cluster": pl.Int64, "cluster_key": pl.String})


def _inherited_keys(old: pl.DataFrame) -> pl.DataFrame:
    """Cluster -> the existing key its new records join (most records, then smallest)."""
    return (
        old.filter(pl.col("person_key").is_not_null())
        .group_by("cluster", "person_key")
        .len()
        .sort(["cluster", "len", "person_key"], descending=[False, True, False])
        .group_by("cluster", maintain_order=True)
        .first()
        .select("cluster", pl.col("person_key").alias("cluster_key"))
    )


def _fresh_keys(old: pl.DataFrame, inherited: pl.DataFrame, taken: set[str]) -> pl.DataFrame:
    """Cluster -> a new key from its smallest record key, for clusters with no existing key."""
    new = old if inherited.height == 0 else old.join(inherited, on="cluster", how="anti")
    return cluster_keys(new.group_by("cluster").agg(pl.col("record_key").min()), taken)


def cluster_keys(firsts: pl.DataFrame, taken: set[str] | None = None) -> pl.DataFrame:
    """New keys: ``firsts`` (``cluster``, ``record_key``: its smallest) -> ``cluster``,
    ``cluster_key``, in record-key order; a key in ``taken`` is never given again."""
    firsts = firsts.sort("record_key")
    keys = firsts.get_column("record_key").map_elements(digest_key, return_dtype=pl.String)
    frame = firsts.with_columns(cluster_key=keys)
    clash = frame.get_column("cluster_key").is_duplicated() | frame.get_column("cluster_key").is_in(
        list(taken or ())
    )
    if clash.any():
        frame = _resolve_clashes(frame, taken or set())
    return frame.select("cluster", "cluster_key")


def _resolve_clashes(frame: pl.DataFrame, taken: set[str]) -> pl.DataFrame:
    """Re-derive colliding keys in record-key order (rare: 48-bit digests)."""
    used = set(taken)
    out = []
    for record_key, key in frame.select("record_key", "cluster_key").iter_rows():
        attempt = 0
        while key in used:
            attempt += 1
            key = digest_key(record_key, attempt)
        used.add(key)
        out.append(key)
    return frame.with_columns(cluster_key=pl.Series(out, dtype=pl.String))
