"""Small building blocks for a study's tables, each ending in a protected table."""

from __future__ import annotations

import polars as pl

from enclave.disclosure import SafeTable, protect_1d

UNKNOWN = "unknown"


def count_table(
    frame: pl.LazyFrame | pl.DataFrame,
    by: str,
    *,
    min_cell: int,
    title: str = "",
    population: str = "",
    period: str = "",
    person: str = "pid",
) -> SafeTable:
    """Persons (distinct ``person``) by the values of ``by``, protected (``protect_1d``);
    a missing value counts as :data:`UNKNOWN`. Levels are sorted, unknown last."""
    counts = (
        frame.lazy()
        .select(person, pl.col(by).cast(pl.String).fill_null(UNKNOWN))
        .unique()
        .group_by(by)
        .agg(n=pl.len())
        .collect()
    )
    levels = sorted(v for v in counts.get_column(by).to_list() if v != UNKNOWN)
    if UNKNOWN in counts.get_column(by).to_list():
        levels.append(UNKNOWN)
    return protect_1d(
        counts,
        by,
        min_cell=min_cell,
        levels=levels,
        title=title,
        population=population or title,
        period=period,
    )
