"""Two tables that keep what spells and events lose.

* ``school_years``: one row per person and school year of the ISBE records, with the
  grade, the exit status and the county, so a study can define a cohort by grade (the
  first grade-9 year) and count school moves. The ``SCHOOL`` spells merge the years
  into one span, and the ``GRADUATION`` / ``DROPOUT`` events carry no grade.
* ``coverage``: each source's observation window in the project's data, the first
  and the last day its records cover, so a study censors follow-up at the end of the
  outcome's source (UI wage records can end quarters before the person-quarter panel
  does: a quarter past them is unknown, not "not employed").
"""

from __future__ import annotations

import polars as pl

from enclave.analytic.records import link_evidence

SCHOOL_KEYS = ("pid", "school_year", "grade", "exit_status", "county_fips")
COVERAGE_SCHEMA = {"source": pl.String, "agency": pl.String, "start": pl.Date, "end": pl.Date}


def build_school_years(isbe: pl.DataFrame | None) -> pl.DataFrame:
    """``school_years`` from the project's ISBE records (duplicates count once, with the
    weakest link among them and how many rest on a name alone).

    >>> isbe = pl.DataFrame({"pid": ["a", "a", "a"], "school_year": [2019, 2020, 2020],
    ...     "grade": [9, 10, 10], "exit_status": ["ENROLLED", "GRADUATED", "GRADUATED"],
    ...     "county_fips": ["17031"] * 3, "match_probability": [1.0, 0.97, 0.9]})
    >>> build_school_years(isbe).select("school_year", "match_probability").rows()
    [(2019, 1.0), (2020, 0.9)]
    """
    schema = {
        "pid": pl.String,
        "school_year": pl.Int32,
        "grade": pl.Int8,
        "exit_status": pl.String,
        "county_fips": pl.String,
        "match_probability": pl.Float64,
        "name_only_records": pl.Int32,
    }
    if isbe is None:
        return pl.DataFrame(schema=schema)
    name_only = (link_evidence(isbe).cast(pl.String) == "name_only").fill_null(False)
    return (
        isbe.with_columns(name_only.alias("_name_only"))
        .drop_nulls(["pid", "school_year"])
        .group_by(SCHOOL_KEYS)
        .agg(
            pl.col("match_probability").min(),
            pl.col("_name_only").sum().cast(pl.Int32).alias("name_only_records"),
        )
        .select([pl.col(c).cast(t) for c, t in schema.items()])
        .sort(SCHOOL_KEYS, nulls_last=True)
    )


def build_coverage(records: pl.DataFrame | pl.LazyFrame, idph=None) -> pl.DataFrame:
    """``coverage``: per source (a program of ``program_records``, or an IDPH record
    type), the first day of the first month and the last day of the last month its
    records cover. An open record (no end) covers to the month of its start only: it
    says nothing of later months. Frames may be lazy (computed once over whole files).
    """
    end = pl.coalesce("end", "start")
    parts = [
        records.lazy()
        .group_by(pl.col("program").alias("source"), "agency")
        .agg(pl.col("start").min().alias("start"), end.max().alias("end"))
    ]
    if idph is not None:
        parts.append(
            idph.lazy()
            .drop_nulls("event_date")
            .group_by(pl.col("record_type").alias("source"))
            .agg(
                pl.lit("idph").alias("agency"),
                pl.col("event_date").min().alias("start"),
                pl.col("event_date").max().alias("end"),
            )
        )
    frame = pl.concat([p.select(list(COVERAGE_SCHEMA)) for p in parts]).collect()
    return (
        frame.with_columns(pl.col("start").dt.month_start(), pl.col("end").dt.month_end())
        .select([pl.col(c).cast(t) for c, t in COVERAGE_SCHEMA.items()])
        .sort("source", "agency")
    )
