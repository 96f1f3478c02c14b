"""Rows -> distinct identity records (what Splink compares), and the map back.

Two collapses keep memory and time proportional to distinct identifiers, not rows:
identical raw identifier rows first (agencies repeat them on every monthly or
quarterly row), then rows that standardise alike (case, accents, punctuation).

The row level is the only part that grows with the number of records (72M rows at
1M persons), so it is kept lean: each input file is read on its own, a row's raw
identifier tuple is reduced to a 128-bit hash (two seeded 64-bit hashes) so that
grouping and the join back use two integer keys instead of fifteen text columns,
and the map back is (``record_key``, integer id) in record-key order, so that the
outputs are built by positional gathers instead of joins and sorts on record keys.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from enclave import log
from enclave.contracts.base import IDENTIFIER_DTYPES, conform_identifiers
from enclave.linkage.standardise import (
    IDENTITY_COLUMNS,
    for_comparison,
    parent_rows,
    standardise,
)

#: raw columns that feed standardisation (agency ids and street addresses are not compared)
RAW_COLUMNS: list[str] = list(
    c
    for c in IDENTIFIER_DTYPES
    if c not in ("record_key", "agency", "agency_id", "street_address", "seen")
)

LOG = log.get("enclave.linkage")

#: seeds of the two 64-bit hashes of a raw identifier tuple; two distinct tuples of one
#: run share both only with probability ~n^2 / 2^129 (~1e-25 at 10M distinct tuples)
HASH_SEEDS = (0x5EED_0001, 0x5EED_0002)
_KEYS = ["h1", "h2"]


@dataclass(frozen=True)
class Collapsed:
    """The row level and the identity level of one linkage run.

    ``records``: ``record_key``, ``identity_id`` (the record's own identity), one row
    per record, sorted by ``record_key``. ``parents``: ``pos`` (the birth record's row
    in ``records``), ``record_key``, ``role`` (MOTHER/FATHER), ``identity_id``, sorted
    by ``pos`` and ``role``. ``identities``: ``identity_id`` (0.. in order of smallest
    record key, so stable for the same input), ``unique_id`` (the same, for Splink),
    the comparison columns; row ``i`` holds identity ``i``. ``born_by``:
    ``identity_id``, ``born_by`` as :func:`enclave.linkage.activity.born_by` defines it
    (computed here, in the same pass over the rows), for identities seen with a date.
    """

    records: pl.DataFrame
    parents: pl.DataFrame
    identities: pl.DataFrame
    born_by: pl.DataFrame

    @property
    def rows(self) -> int:
        """Person and parent rows (what the identity map holds)."""
        return self.records.height + self.parents.height


def build(frame: pl.LazyFrame | Sequence[pl.LazyFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Standard identifier rows -> (``rows``, ``identities``).

    ``rows``: ``record_key``, ``role`` (null for the person the record is about,
    MOTHER/FATHER for a birth record's named parents), ``identity_id``, sorted by
    ``record_key`` and ``role``. ``identities`` as in :class:`Collapsed`.
    """
    collapsed = collapse(frame)
    return with_roles(collapsed), collapsed.identities


def collapse(
    frames: pl.LazyFrame | Sequence[pl.LazyFrame], min_age: Mapping[str, int] | None = None
) -> Collapsed:
    """Identifier files (one lazy frame each, or one frame) -> :class:`Collapsed`.

    ``min_age``: the youngest age at which an agency's records can be about a person
    (0 for agencies not named), for ``born_by``.
    """
    if isinstance(frames, pl.LazyFrame):
        frames = [frames]
    start = time.perf_counter()
    hashed = [_hashed(f, min_age or {}) for f in frames]
    LOG.debug("rows hashed in %.1f s", time.perf_counter() - start)
    raw = _distinct_raw(frames, hashed)
    LOG.debug("%d distinct raw tuples in %.1f s", raw.height, time.perf_counter() - start)
    grouped = _identities(raw)
    LOG.debug("standardised in %.1f s", time.perf_counter() - start)
    raw_map = (
        grouped.select("identity_id", "role", "raw_ids")
        .explode("raw_ids")
        .select("identity_id", "role", pl.col("raw_ids").cast(pl.UInt32).alias("raw_id"))
    )
    person = raw_map.filter(pl.col("role").is_null()).sort("raw_id")
    # every raw tuple is exactly one person identity record: raw_id -> identity_id
    person_of_raw = pl.Series("identity_id", np.zeros(raw.height, dtype=np.int64))
    person_of_raw = person_of_raw.scatter(
        person.get_column("raw_id").to_numpy(), person.get_column("identity_id")
    )
    ids = raw.select(*_KEYS, "raw_id")
    mapped = []
    while hashed:  # release each file's hashes once mapped
        mapped.append(_row_raw(hashed.pop(0), ids))
    row_raw = _in_key_order([rows for rows, _ in mapped])
    LOG.debug("rows mapped in %.1f s", time.perf_counter() - start)
    born_by = _born_by([seen for _, seen in mapped], person_of_raw)
    del mapped
    records = row_raw.select(
        "record_key", person_of_raw.gather(row_raw.get_column("raw_id")).alias("identity_id")
    )
    parents = _parents(row_raw, raw_map.filter(pl.col("role").is_not_null()))
    identities = for_comparison(
        grouped.select("identity_id", *IDENTITY_COLUMNS).with_columns(
            unique_id=pl.col("identity_id")
        )
    )
    return Collapsed(records, parents, identities, born_by)


#: rows of an identifier file hashed at a time (the row-level slices are independent)
HASH_BATCH_ROWS = 2_000_000


def _hashed(frame: pl.LazyFrame, min_age: Mapping[str, int]) -> pl.DataFrame:
    """One file's ``record_key``, the two hashes of each row's raw identifier tuple and
    ``by`` (the latest birth year the row allows, null without ``seen``), in the file's
    order (the only per-row frame held: no identifier text)."""
    whole = pl.struct(RAW_COLUMNS)
    base = conform_identifiers(frame)
    by = pl.lit(None, pl.Int32)
    if "seen" in frame.collect_schema().names() and "seen" in base.collect_schema().names():
        age = pl.col("agency").replace_strict(min_age, default=0, return_dtype=pl.Int32)
        by = pl.col("seen").dt.year().cast(pl.Int32) - age
    plan = base.with_columns(by=by).select(
        "record_key",
        h1=whole.hash(HASH_SEEDS[0]),
        h2=whole.hash(HASH_SEEDS[1]),
        by=pl.col("by"),
    )
    # a slice at a time: polars' streaming engine held every raw column of the file
    # (11 GB for the 36.6M wage records of the 1M world; 3.4 GB in slices of 4M rows)
    rows = frame.select(pl.len()).collect().item()
    parts = [plan.slice(at, HASH_BATCH_ROWS).collect() for at in range(0, rows, HASH_BATCH_ROWS)]
    return pl.concat(parts, rechunk=True) if parts else plan.head(0).collect()


def _distinct_raw(frames: Sequence[pl.LazyFrame], hashed: list[pl.DataFrame]) -> pl.DataFrame:
    """Distinct raw identifier tuples over all files: ``raw_id`` (0.. in order of the
    smallest record key carrying the tuple), the hashes, ``first_key`` (that record
    key) and the raw columns."""
    parts = [_file_raw(f, h) for f, h in zip(frames, hashed, strict=True)]
    return (
        pl.concat(parts)
        .sort("first_key")
        .unique(_KEYS, keep="first", maintain_order=True)
        .with_row_index("raw_id")
    )


def _file_raw(frame: pl.LazyFrame, hashed: pl.DataFrame) -> pl.DataFrame:
    """One file's distinct raw tuples with their smallest record key: grouped on the
    hashes, then the raw columns read back for one row of each tuple only."""
    rows = hashed.with_row_index("idx")
    if not rows.get_column("record_key").is_sorted():
        rows = rows.sort("record_key")
    firsts = rows.unique(_KEYS, keep="first", maintain_order=True).select(
        "idx", *_KEYS, pl.col("record_key").alias("first_key")
    )
    values = (
        conform_identifiers(frame)
        .select(RAW_COLUMNS)
        .with_row_index("idx")
        .filter(pl.col("idx").is_in(firsts.get_column("idx").implode()))
        .collect(engine="streaming")
    )
    return firsts.join(values, on="idx").drop("idx")


def _identities(raw: pl.DataFrame) -> pl.DataFrame:
    """Distinct raw tuples -> standardised identity records with their ``raw_ids``."""
    distinct = raw.lazy().select(
        pl.col("raw_id").cast(pl.String).alias("record_key"),
        pl.lit("").alias("agency"),
        *RAW_COLUMNS,
    )
    standard = pl.concat([standardise(distinct), parent_rows(distinct)], how="vertical_relaxed")
    first_keys = raw.lazy().select(
        pl.col("raw_id").cast(pl.String).alias("record_key"), "first_key"
    )
    return (
        standard.join(first_keys, on="record_key")
        .group_by(IDENTITY_COLUMNS)
        .agg(pl.col("record_key").alias("raw_ids"), pl.col("first_key").min())
        .sort("first_key", "role", nulls_last=False)
        .with_row_index("identity_id")
        .with_columns(pl.col("identity_id").cast(pl.Int64))
        .collect()
    )


def _row_raw(hashed: pl.DataFrame, ids: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One file's rows -> (``record_key``, ``raw_id``) in the file's order, and the
    file's latest allowed birth year by raw tuple (``raw_id``, ``by``)."""
    # integers only through the join (record keys stay where they are), in row order
    raw_id = (
        hashed.select(_KEYS)
        .join(ids, on=_KEYS, how="left", maintain_order="left")
        .get_column("raw_id")
    )
    rows = hashed.select("record_key", "by").with_columns(raw_id)
    seen = rows.filter(pl.col("by").is_not_null()).group_by("raw_id").agg(pl.col("by").min())
    return rows.select("record_key", "raw_id"), seen


def _born_by(seen: list[pl.DataFrame], person_of_raw: pl.Series) -> pl.DataFrame:
    """``identity_id`` -> ``born_by``: the smallest ``by`` over the identity's rows."""
    both = pl.concat(seen)
    return (
        both.with_columns(identity_id=person_of_raw.gather(both.get_column("raw_id")))
        .group_by("identity_id")
        .agg(pl.col("by").min().cast(pl.Int32).alias("born_by"))
        .sort("identity_id")
    )


def _in_key_order(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate per-file rows sorted by ``record_key``: without a sort when each file
    is sorted and their key ranges do not interleave (the usual case: one key prefix
    per agency), else with one."""
    parts = sorted((p for p in parts if p.height), key=lambda p: p.get_column("record_key")[0])
    if not parts:
        return pl.DataFrame(schema={"record_key": pl.String, "raw_id": pl.UInt32})
    keys = [p.get_column("record_key") for p in parts]
    ordered = all(k.is_sorted() for k in keys) and all(
        a[-1] < b[0] for a, b in itertools.pairwise(keys)
    )
    joined = pl.concat(parts, rechunk=False)
    return joined if ordered else joined.sort("record_key", maintain_order=True)


def _parents(row_raw: pl.DataFrame, parent_map: pl.DataFrame) -> pl.DataFrame:
    """Birth records' parent rows: ``pos``, ``record_key``, ``role``, ``identity_id``."""
    return (
        row_raw.with_row_index("pos")
        .filter(pl.col("raw_id").is_in(parent_map.get_column("raw_id").implode()))
        .join(parent_map, on="raw_id")
        .select("pos", "record_key", "role", "identity_id")
        .sort("pos", "role")
    )


def with_roles(collapsed: Collapsed) -> pl.DataFrame:
    """Person and parent rows together: ``record_key``, ``role`` (null for the person),
    ``identity_id``, sorted by ``record_key`` then ``role`` (the person first)."""
    records, parents = collapsed.records, collapsed.parents
    order = merge_order(records.height, parents.get_column("pos").to_numpy())
    person_role = pl.repeat(None, records.height, dtype=pl.String, eager=True)
    # column by column, so only one merged column is built at a time (72M rows at 1M)
    return pl.DataFrame(
        [
            pl.concat([records.get_column(c), parents.get_column(c)], rechunk=False).gather(order)
            for c in ("record_key", "identity_id")
        ]
    ).insert_column(
        1,
        pl.concat([person_role.alias("role"), parents.get_column("role")], rechunk=False).gather(
            order
        ),
    )


def merge_order(n: int, parent_pos: np.ndarray) -> pl.Series:
    """Gather order that interleaves ``n`` person rows with parent rows (sorted positions
    ``parent_pos`` of their person row) so each person row is followed by its parents.

    >>> merge_order(3, np.array([1, 1])).to_list()
    [0, 1, 3, 4, 2]
    """
    k = parent_pos.size
    before = np.searchsorted(parent_pos, np.arange(n), side="left")  # parent rows before
    out = np.empty(n + k, dtype=np.int64)
    out[np.arange(n) + before] = np.arange(n)
    out[parent_pos + np.arange(k) + 1] = n + np.arange(k)
    return pl.Series("order", out)
