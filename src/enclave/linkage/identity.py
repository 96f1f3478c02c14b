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
from collections.abc import Iterator, Mapping, Sequence
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

#: raw columns that feed standardisation (agency ids, rosters and street addresses are
#: not compared)
RAW_COLUMNS: list[str] = list(
    c
    for c in IDENTIFIER_DTYPES
    if c not in ("record_key", "agency", "agency_id", "roster", "street_address", "seen")
)

LOG = log.get("enclave.linkage")

#: seeds of the two 64-bit hashes of a raw identifier tuple; two distinct tuples of one
#: run share both only with probability ~n^2 / 2^129 (~1e-25 at 10M distinct tuples)
HASH_SEEDS = (0x5EED_0001, 0x5EED_0002)
_KEYS = ["h1", "h2"]


@dataclass(frozen=True)
class RecordKeys:
    """Every record key of a run, in key order, without necessarily holding them.

    The usual input (each file sorted by key, the files' key ranges apart: one key
    prefix per agency) keeps only the files and their lengths, and reads keys back a
    slice at a time (72M keys, 2 GB of text, at a million persons). Any other input
    holds its keys, sorted, in ``held``.
    """

    files: tuple[pl.LazyFrame, ...] = ()
    lengths: tuple[int, ...] = ()
    held: pl.Series | None = None

    def __len__(self) -> int:
        return self.held.len() if self.held is not None else sum(self.lengths)

    def slice(self, low: int, high: int) -> pl.Series:
        """The keys at positions ``low`` to ``high`` (exclusive)."""
        if self.held is not None:
            return self.held.slice(low, max(high - low, 0))
        parts = [
            _keys_of(frame).slice(a, b - a).collect().to_series()
            for frame, a, b in self._spans(low, high)
        ]
        return pl.concat(parts) if parts else pl.Series("record_key", [], pl.String)

    def gather(self, positions: np.ndarray) -> pl.Series:
        """The keys at ``positions`` (any order, repeats allowed)."""
        if self.held is not None:
            return self.held.gather(positions)
        wanted, inverse = np.unique(np.asarray(positions, dtype=np.int64), return_inverse=True)
        parts, start = [], 0
        for frame, n in zip(self.files, self.lengths, strict=True):
            mine = wanted[(wanted >= start) & (wanted < start + n)] - start
            if mine.size:
                parts.append(
                    _keys_of(frame)
                    .with_row_index("i")
                    .filter(pl.col("i").is_in(pl.Series(mine, dtype=pl.UInt32).implode()))
                    .collect(engine="streaming")
                    .get_column("record_key")
                )
            start += n
        found = pl.concat(parts) if parts else pl.Series("record_key", [], pl.String)
        return found.gather(inverse.reshape(-1))

    def _spans(self, low: int, high: int) -> Iterator[tuple[pl.LazyFrame, int, int]]:
        start = 0
        for frame, n in zip(self.files, self.lengths, strict=True):
            a, b = max(low, start), min(high, start + n)
            if a < b:
                yield frame, a - start, b - start
            start += n


def _keys_of(frame: pl.LazyFrame) -> pl.LazyFrame:
    return conform_identifiers(frame).select("record_key")


@dataclass(frozen=True)
class Collapsed:
    """The row level and the identity level of one linkage run.

    ``keys``: every record key, in key order (:class:`RecordKeys`);
    ``record_identity``: the identity id of the record at each position (what the row
    level holds in memory). ``parents``: ``pos`` (the birth record's position),
    ``record_key``, ``role`` (MOTHER/FATHER), ``identity_id``, sorted by ``pos`` and
    ``role``. ``identities``: ``identity_id`` (0.. in order of smallest record key, so
    stable for the same input), ``unique_id`` (the same, for Splink), the comparison
    columns; row ``i`` holds identity ``i``. ``born_by``: ``identity_id``, ``born_by``
    as :func:`enclave.linkage.activity.born_by` defines it (computed here, in the same
    pass over the rows), for identities seen with a date. ``apart``: ``id_l`` <
    ``id_r``, person identity records that one roster lists as different people
    (:func:`apart_pairs`).
    """

    keys: RecordKeys
    record_identity: pl.Series
    parents: pl.DataFrame
    identities: pl.DataFrame
    born_by: pl.DataFrame
    apart: pl.DataFrame

    @property
    def records(self) -> pl.DataFrame:
        """``record_key``, ``identity_id``, one row per record in key order (every key
        in memory: for small runs and tests; the link itself reads keys by slice)."""
        return pl.DataFrame(
            [
                self.keys.slice(0, len(self.keys)).alias("record_key"),
                self.record_identity.cast(pl.Int64),
            ]
        )

    @property
    def rows(self) -> int:
        """Person and parent rows (what the identity map holds)."""
        return self.record_identity.len() + self.parents.height


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
    rostered = pl.concat([h.rostered for h in hashed])
    LOG.debug("rows hashed in %.1f s", time.perf_counter() - start)
    keys, places = _key_order(frames, hashed)
    raw = _distinct_raw(frames, [h.rows for h in hashed], places)
    LOG.debug("%d distinct raw tuples in %.1f s", raw.height, time.perf_counter() - start)
    ids, n_raw = raw.select(*_KEYS, "raw_id"), raw.height
    standard = _standardised(raw)
    del raw  # the raw text is not held while the identities are grouped
    grouped = _identities(standard)
    del standard
    LOG.debug("standardised in %.1f s", time.perf_counter() - start)
    raw_map = (
        grouped.select("identity_id", "role", "raw_ids")
        .explode("raw_ids")
        .select("identity_id", "role", pl.col("raw_ids").cast(pl.UInt32).alias("raw_id"))
    )
    identities = for_comparison(
        grouped.select("identity_id", *IDENTITY_COLUMNS).with_columns(
            unique_id=pl.col("identity_id")
        )
    )
    del grouped
    person = raw_map.filter(pl.col("role").is_null()).sort("raw_id")
    # every raw tuple is exactly one person identity record: raw_id -> identity_id (32
    # bits: the row level holds one per record)
    person_of_raw = pl.Series("identity_id", np.zeros(n_raw, dtype=np.int32))
    person_of_raw = person_of_raw.scatter(
        person.get_column("raw_id").to_numpy(), person.get_column("identity_id").cast(pl.Int32)
    )
    del person
    apart = apart_pairs(rostered, ids, person_of_raw)
    del rostered
    record_raw = np.zeros(len(keys), dtype=np.uint32)  # in key order
    seen = []
    ids = _join_keys(ids)
    for place in places:  # release each file's hashes once mapped
        raw_id, by = _row_raw(hashed.pop(0).rows, ids)
        record_raw[place] = raw_id
        seen.append(by)
    record_raw = pl.Series("raw_id", record_raw)
    LOG.debug("rows mapped in %.1f s", time.perf_counter() - start)
    born_by = _born_by(seen, person_of_raw)
    del seen
    parents = _parents(record_raw, raw_map.filter(pl.col("role").is_not_null()), keys)
    return Collapsed(keys, person_of_raw.gather(record_raw), parents, identities, born_by, apart)


def apart_pairs(
    rostered: pl.DataFrame, ids: pl.DataFrame, person_of_raw: pl.Series
) -> pl.DataFrame:
    """Pairs of person identity records (``id_l`` < ``id_r``) listed on one roster of
    one agency under different agency ids: a LIHEAP application lists each member of
    the household once and a SNAP case numbers each member, so two of them are two
    people however alike their identifiers (twins: same surname, birth date and
    address). ``rostered``: :class:`_Hashed`'s distinct (``agency``, ``roster``,
    ``agency_id``, hashes) of the rows carrying a roster; ``ids``: hashes -> ``raw_id``.
    """
    members = rostered.join(ids, on=_KEYS, how="inner")
    person = person_of_raw.gather(members.get_column("raw_id")).cast(pl.Int64)
    members = members.select("agency", "roster", "agency_id", person).unique()
    return (
        members.join(members, on=["agency", "roster"], suffix="_r")
        .filter(
            (pl.col("agency_id") != pl.col("agency_id_r"))
            & (pl.col("identity_id") < pl.col("identity_id_r"))
        )
        .select(pl.col("identity_id").alias("id_l"), pl.col("identity_id_r").alias("id_r"))
        .unique()
        .sort("id_l", "id_r")
    )


#: rows of an identifier file hashed at a time (the row-level slices are independent)
HASH_BATCH_ROWS = 2_000_000


@dataclass(frozen=True)
class _Hashed:
    """One file's rows as linkage holds them: ``rows`` (``h1``, ``h2``: two hashes of
    the raw identifier tuple; ``by``, :func:`_hashed`) in the file's order,
    ``span``: its smallest and largest record key and whether its keys increase, and
    ``rostered``: the distinct (``agency``, ``roster``, ``agency_id``, hashes) of its
    rows that carry a roster (:func:`apart_pairs`)."""

    rows: pl.DataFrame
    span: tuple[str | None, str | None, bool]
    rostered: pl.DataFrame

    @property
    def height(self) -> int:
        return self.rows.height


def _hashed(frame: pl.LazyFrame, min_age: Mapping[str, int]) -> _Hashed:
    """One file's hashes and key span. No identifier text stays in memory: record keys
    are read slice by slice for the span only, and read back when written."""
    whole = pl.struct(RAW_COLUMNS)
    base = conform_identifiers(frame)
    by = pl.lit(None, pl.Int32)
    if "seen" in frame.collect_schema().names() and "seen" in base.collect_schema().names():
        age = pl.col("agency").replace_strict(min_age, default=0, return_dtype=pl.Int32)
        by = pl.col("seen").dt.year().cast(pl.Int32) - age
    hashes = {"h1": whole.hash(HASH_SEEDS[0]), "h2": whole.hash(HASH_SEEDS[1])}
    # rosters are taken from the same slices as the hashes (a file without one has none)
    roster = ["agency", "roster", "agency_id"] if "roster" in frame.collect_schema() else []
    plan = base.with_columns(by=by).select("record_key", *roster, **hashes, by=pl.col("by"))
    listed = pl.col("roster").is_not_null()
    rostered = [
        base.select("agency", "roster", "agency_id", **hashes).head(0).collect()
    ]  # the schema, for a file without rosters
    # a slice at a time: polars' streaming engine held every raw column of the file
    # (11 GB for the 36.6M wage records of the 1M world; 3.4 GB in slices of 4M rows)
    rows = frame.select(pl.len()).collect().item()
    parts, low, high, increasing = [], None, None, True
    for at in range(0, rows, HASH_BATCH_ROWS):
        part = plan.slice(at, HASH_BATCH_ROWS).collect()
        key = part.get_column("record_key")
        increasing = increasing and key.is_sorted() and (high is None or high < key[0])
        low = key[0] if low is None else low
        high = key[-1]
        if roster:
            rostered.append(part.filter(listed).select(*roster, *hashes).unique())
        parts.append(part.drop("record_key", *roster))
    rostered_rows = pl.concat(rostered).unique()
    if not parts:
        empty = plan.drop("record_key", *roster).head(0).collect()
        return _Hashed(empty, (None, None, True), rostered_rows)
    return _Hashed(pl.concat(parts, rechunk=True), (low, high, increasing), rostered_rows)


def _key_order(
    frames: Sequence[pl.LazyFrame], hashed: Sequence[_Hashed]
) -> tuple[RecordKeys, list[slice | np.ndarray]]:
    """The run's record keys in key order, and where each file's rows go in it: a
    slice when the files are sorted and apart (no key is read), else positions from
    one sort of every key."""
    lengths = [h.height for h in hashed]
    spans = [h.span for h in hashed]
    order = sorted((i for i, n in enumerate(lengths) if n), key=lambda i: spans[i][0])
    apart = all(spans[i][2] for i in order) and all(
        spans[a][1] < spans[b][0] for a, b in itertools.pairwise(order)
    )
    if apart:
        places: list[slice | np.ndarray] = [slice(0, 0)] * len(frames)
        start = 0
        for i in order:
            places[i] = slice(start, start + lengths[i])
            start += lengths[i]
        keys = RecordKeys(tuple(frames[i] for i in order), tuple(lengths[i] for i in order))
        return keys, places
    every = pl.concat([_keys_of(f).collect().to_series() for f in frames])
    # ties (a key repeated: the pure core does not refuse them) keep the files' order
    by_key = every.to_frame().with_row_index("i").sort("record_key", "i").get_column("i").to_numpy()
    rank = np.empty(by_key.size, dtype=np.int64)
    rank[by_key] = np.arange(by_key.size)
    bounds = np.cumsum([0, *lengths])
    places = [rank[a:b] for a, b in itertools.pairwise(bounds)]
    return RecordKeys(held=every.gather(by_key)), places


def _distinct_raw(
    frames: Sequence[pl.LazyFrame],
    hashed: Sequence[pl.DataFrame],
    places: Sequence[slice | np.ndarray],
) -> pl.DataFrame:
    """Distinct raw identifier tuples over all files: ``raw_id`` (0.. in order of the
    first position, in key order, carrying the tuple), the hashes, ``first_pos`` (that
    position) and the raw columns."""
    parts = [_file_raw(*args) for args in zip(frames, hashed, places, strict=True)]
    return (
        pl.concat(parts)
        .sort("first_pos")
        .unique(_KEYS, keep="first", maintain_order=True)
        .with_row_index("raw_id")
    )


def _file_raw(frame: pl.LazyFrame, hashed: pl.DataFrame, place: slice | np.ndarray) -> pl.DataFrame:
    """One file's distinct raw tuples with their first position in key order: grouped
    on the hashes, then the raw columns read back for one row of each tuple only."""
    rows = hashed.select(_KEYS).with_row_index("idx")
    if isinstance(place, slice):  # positions increase with the file's rows
        rows = rows.with_columns(first_pos=pl.col("idx").cast(pl.Int64) + place.start)
    else:
        rows = rows.with_columns(first_pos=pl.Series(place)).sort("first_pos")
    firsts = rows.unique(_KEYS, keep="first", maintain_order=True)
    values = (
        conform_identifiers(frame)
        .select(RAW_COLUMNS)
        .with_row_index("idx")
        .filter(pl.col("idx").is_in(firsts.get_column("idx").implode()))
        .collect(engine="streaming")
    )
    return firsts.join(values, on="idx").drop("idx")


#: distinct raw tuples standardised at a time: the text expressions' temporaries follow
#: the slice, not the world
STANDARDISE_ROWS = 1_000_000


def _standardised(raw: pl.DataFrame) -> pl.DataFrame:
    """Distinct raw tuples -> their standardised rows (a person row each, and a row per
    named parent): ``record_key`` (the ``raw_id``), ``first_pos``, the
    :data:`IDENTITY_COLUMNS` and ``h1``, ``h2``, two hashes of those columns."""
    whole = pl.struct(IDENTITY_COLUMNS)
    slices = []
    for at in range(0, max(raw.height, 1), STANDARDISE_ROWS):
        part = raw.slice(at, STANDARDISE_ROWS).lazy().rename({"raw_id": "record_key"})
        distinct = part.select("record_key", pl.lit("").alias("agency"), *RAW_COLUMNS)
        standard = pl.concat([standardise(distinct), parent_rows(distinct)], how="vertical_relaxed")
        slices.append(
            standard.join(part.select("record_key", "first_pos"), on="record_key")
            .select(
                "record_key",
                "first_pos",
                *IDENTITY_COLUMNS,
                h1=whole.hash(HASH_SEEDS[0]),
                h2=whole.hash(HASH_SEEDS[1]),
            )
            .collect()
        )
    return pl.concat(slices)


def _identities(standard: pl.DataFrame) -> pl.DataFrame:
    """Standardised rows -> identity records (distinct :data:`IDENTITY_COLUMNS`) with
    their ``raw_ids``, numbered in order of first position (then role).

    Grouped on two 64-bit hashes of the columns, as raw tuples are, not on the columns
    themselves: a grouping on a dozen text columns held their row encoding besides
    (at 1M persons, 5.7M tuples peaked at 8.2 GiB)."""
    groups = (
        standard.lazy()
        .with_row_index("_row")
        .group_by(_KEYS)
        .agg(
            pl.col("record_key").alias("raw_ids"),
            pl.col("first_pos").min(),
            pl.col("_row").first(),
        )
        .collect()
    )
    values = standard.select(IDENTITY_COLUMNS).gather(groups.get_column("_row"))
    return (
        pl.concat([groups.select("raw_ids", "first_pos"), values], how="horizontal")
        .sort("first_pos", "role", nulls_last=False)
        .with_row_index("identity_id")
        .with_columns(pl.col("identity_id").cast(pl.Int64))
    )


#: rows of a file mapped to their raw tuple at a time (a join per slice, not per file)
MAP_BATCH_ROWS = 4_000_000


def _join_keys(ids: pl.DataFrame) -> pl.DataFrame:
    """``ids`` (the hashes and ``raw_id`` of every distinct raw tuple) with only the
    first hash where it alone tells the tuples apart (all but about a one-in-a-million
    chance at a million persons): every row's pair of hashes is one of ``ids``, so a
    join on that hash finds the same tuple, at half the cost of a join on both."""
    if ids.get_column(_KEYS[0]).is_unique().all():
        return ids.drop(_KEYS[1:])
    return ids


def _row_raw(hashed: pl.DataFrame, ids: pl.DataFrame) -> tuple[np.ndarray, pl.DataFrame]:
    """One file's rows -> their ``raw_id`` in the file's order, and the file's latest
    allowed birth year by raw tuple (``raw_id``, ``by``). ``ids``: :func:`_join_keys`."""
    raw_id = np.empty(hashed.height, dtype=np.uint32)
    seen = []
    on = [c for c in _KEYS if c in ids.columns]  # both, or the first alone (_join_keys)
    for at in range(0, hashed.height, MAP_BATCH_ROWS):
        part = hashed.slice(at, MAP_BATCH_ROWS).join(ids, on=on, how="left", maintain_order="left")
        raw_id[at : at + part.height] = part.get_column("raw_id").to_numpy()
        seen.append(
            part.filter(pl.col("by").is_not_null()).group_by("raw_id").agg(pl.col("by").min())
        )
    return raw_id, _born_by_raw(seen)


def _born_by_raw(seen: list[pl.DataFrame]) -> pl.DataFrame:
    """Per-slice (``raw_id``, ``by``) minima -> one row per raw tuple."""
    if not seen:
        return pl.DataFrame(schema={"raw_id": pl.UInt32, "by": pl.Int32})
    return pl.concat(seen).group_by("raw_id").agg(pl.col("by").min())


def _born_by(seen: list[pl.DataFrame], person_of_raw: pl.Series) -> pl.DataFrame:
    """``identity_id`` -> ``born_by``: the smallest ``by`` over the identity's rows."""
    both = pl.concat(seen)
    return (
        both.with_columns(
            identity_id=person_of_raw.gather(both.get_column("raw_id")).cast(pl.Int64)
        )
        .group_by("identity_id")
        .agg(pl.col("by").min().cast(pl.Int32).alias("born_by"))
        .sort("identity_id")
    )


def _parents(record_raw: pl.Series, parent_map: pl.DataFrame, keys: RecordKeys) -> pl.DataFrame:
    """Birth records' parent rows: ``pos``, ``record_key``, ``role``, ``identity_id``."""
    parents = (
        record_raw.to_frame()
        .with_row_index("pos")
        .filter(pl.col("raw_id").is_in(parent_map.get_column("raw_id").implode()))
        .join(parent_map, on="raw_id")
        .select(pl.col("pos").cast(pl.Int64), "role", "identity_id")
        .sort("pos", "role")
    )
    record_key = keys.gather(parents.get_column("pos").to_numpy())
    return parents.insert_column(1, record_key.alias("record_key"))


def with_roles(collapsed: Collapsed) -> pl.DataFrame:
    """Person and parent rows together: ``record_key``, ``role`` (null for the person),
    ``identity_id``, sorted by ``record_key`` then ``role`` (the person first)."""
    return merge_roles(collapsed.records, collapsed.parents)


def merge_roles(records: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """:func:`with_roles` of ``records`` (``record_key``, ``identity_id`` in key order)
    and their ``parents`` (``pos`` relative to ``records``)."""
    order = merge_order(records.height, parents.get_column("pos").to_numpy())
    records = records.with_columns(pl.col("identity_id").cast(pl.Int64))
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
