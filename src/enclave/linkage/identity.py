"""Rows -> distinct identity records (what Splink compares), and the map back.

Two collapses keep memory and time proportional to distinct identifiers, not rows:
identical raw identifier rows first (agencies repeat them on every monthly or
quarterly row), then rows that standardise alike (case, accents, punctuation).
"""

from __future__ import annotations

import polars as pl

from enclave.contracts.base import IDENTIFIER_DTYPES, conform_identifiers
from enclave.linkage.standardise import (
    IDENTITY_COLUMNS,
    for_comparison,
    parent_rows,
    standardise,
)

#: raw columns that feed standardisation (agency ids and street addresses are not compared)
RAW_COLUMNS: list[str] = list(
    c for c in IDENTIFIER_DTYPES if c not in ("record_key", "agency", "agency_id", "street_address")
)


def build(frame: pl.LazyFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Standard identifier rows -> (``rows``, ``identities``).

    ``rows``: ``record_key``, ``role`` (null for the person the record is about,
    MOTHER/FATHER for a birth record's named parents), ``identity_id``.
    ``identities``: ``identity_id`` (0.. in order of smallest record key, so stable
    for the same input), ``unique_id`` (the same, for Splink) and the comparison columns.
    """
    base = conform_identifiers(frame).select("record_key", *RAW_COLUMNS)
    # no list aggregation over rows: it is what costs memory at millions of rows
    raw = (
        base.group_by(RAW_COLUMNS)
        .agg(pl.col("record_key").min().alias("first_key"))
        .sort("first_key")
        .with_row_index("raw_id")
        .collect(engine="streaming")
    )
    row_raw = (
        base.join(raw.lazy().select("raw_id", *RAW_COLUMNS), on=RAW_COLUMNS, nulls_equal=True)
        .select("record_key", "raw_id")
        .collect(engine="streaming")
    )
    distinct = raw.lazy().select(
        pl.col("raw_id").cast(pl.String).alias("record_key"),
        pl.lit("").alias("agency"),
        *RAW_COLUMNS,
    )
    standard = pl.concat([standardise(distinct), parent_rows(distinct)], how="vertical_relaxed")
    first_keys = raw.lazy().select(
        pl.col("raw_id").cast(pl.String).alias("record_key"), "first_key"
    )
    grouped = (
        standard.join(first_keys, on="record_key")
        .group_by(IDENTITY_COLUMNS)
        .agg(pl.col("record_key").alias("raw_ids"), pl.col("first_key").min())
        .sort("first_key", "role", nulls_last=False)
        .with_row_index("identity_id")
        .with_columns(pl.col("identity_id").cast(pl.Int64))
        .collect()
    )
    raw_map = (
        grouped.select("identity_id", "role", "raw_ids")
        .explode("raw_ids")
        .select("identity_id", "role", pl.col("raw_ids").cast(pl.UInt32).alias("raw_id"))
    )
    rows = raw_map.join(row_raw, on="raw_id")
    identities = for_comparison(
        grouped.select("identity_id", *IDENTITY_COLUMNS).with_columns(
            unique_id=pl.col("identity_id")
        )
    )
    return rows.select("record_key", "role", "identity_id"), identities
