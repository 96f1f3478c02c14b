"""The ``persons`` table: one row per pseudonymised person of the project."""

from __future__ import annotations

import polars as pl

from enclave.analytic.records import dated_counties, latest_county, link_evidence


def _deaths(base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per pid, the earliest IDPH death record's year and month."""
    idph = base.get("idph")
    if idph is None:
        return pl.DataFrame(schema={"pid": pl.String, "death_date": pl.Date})
    return (
        idph.filter(pl.col("record_type") == "DEATH")
        .group_by("pid")
        .agg(pl.col("event_date").min().alias("death_date"))
    )


def _record_summary(base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per pid: agencies holding a record (sorted), the lowest match probability and
    the records placed by a name-only link."""
    # one row per person and agency first: listing the agencies of every record was
    # most of the cost
    name_only = (pl.col("link_evidence").cast(pl.String) == "name_only").sum()
    stacked = pl.concat(
        [
            frame.with_columns(link_evidence(frame))
            .group_by("pid")
            .agg(pl.col("match_probability").min(), name_only.cast(pl.Int32).alias("n"))
            .select("pid", pl.lit(agency).alias("agency"), "match_probability", "n")
            for agency, frame in base.items()
        ]
    )
    return stacked.group_by("pid").agg(
        pl.col("agency").unique().sort().alias("agencies"),
        pl.col("match_probability").min(),
        pl.col("n").sum().cast(pl.Int32).alias("name_only_records"),
    )


def build_persons(demographics: pl.DataFrame, base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Demographics joined to deaths, county history, agencies and linkage strength."""
    counties = (
        dated_counties(base)
        .group_by("pid")
        .agg(pl.col("county_fips").unique().sort().alias("counties"))
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    return (
        demographics.join(_deaths(base), on="pid", how="left")
        .join(latest_county(base), on="pid", how="left")
        .join(counties, on="pid", how="left")
        .join(_record_summary(base), on="pid", how="left")
        .select(
            "pid",
            "birth_year",
            "birth_month",
            "sex",
            pl.col("death_date").dt.year().cast(pl.Int32).alias("death_year"),
            pl.col("death_date").dt.month().cast(pl.Int8).alias("death_month"),
            "county_fips",
            pl.col("counties").fill_null(empty),
            pl.col("agencies").fill_null(empty),
            "match_probability",
            pl.col("name_only_records").fill_null(0),
        )
        .sort("pid")
    )
