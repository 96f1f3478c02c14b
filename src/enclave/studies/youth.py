"""Youth custody after a child-welfare placement: youth-years from the persons table,
whether the youth had been placed in foster care, and whether juvenile justice admitted
them that year.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, one row per
person and year out. Nothing here shows a number; a study passes the frames to
:mod:`enclave.disclosure` (``share_difference``, ``protect_1d``).

Definitions, as the planted effect ``djj_after_placement`` (``data/truth/effects.json``)
words them:

- **Years** (:func:`youth_window`): the calendar years both placements
  (``DCFS_PLACEMENT``) and youth custody (``DJJ_CUSTODY``) cover whole, from the
  project's coverage table.
- **Youth-year** (:func:`youth_years`): a person and a year in which the person was
  13-17 (whole years) and alive on 1 July. The research zone knows the birth month, not
  the day: a person born in July is taken to turn a year older after 1 July (as all but
  those born on the 1st do), and one whose birth month is withheld likewise. A death in
  July counts as after 1 July.
- **Placed**: a ``DCFS_PLACEMENT`` spell (any type) starting before 1 July of the year.
  **Admitted**: a ``DJJ_CUSTODY`` spell starting in the year (spells are stays merged
  with the build's gap tolerance, so a readmission within a month of a release is not
  a second admission).
- **Linkage settings**: spells linked below ``min_match_probability`` (or resting on a
  name-only link, with ``exclude_name_only``) are left out, as if not there.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies.cohorts import coverage, linked

#: ages (whole years, on 1 July) of a youth-year
YOUTH_AGES = (13, 17)
#: the programs: placements, and the youth custody whose admissions are counted
PLACEMENT, CUSTODY = "DCFS_PLACEMENT", "DJJ_CUSTODY"
#: the two groups of the comparison (the ``group`` column)
PLACED, NOT_PLACED = "placed", "not placed"
#: the planted effect is a rate per this many youth-years
PER_YOUTH_YEARS = 1000


def youth_window(table: pl.LazyFrame | pl.DataFrame) -> tuple[int, int]:
    """The first and last calendar year that both placements and youth custody cover
    from 1 January to 31 December, from the project's ``coverage`` table.

    >>> from datetime import date
    >>> cov = pl.DataFrame({"source": ["DCFS_PLACEMENT", "DJJ_CUSTODY"],
    ...                     "agency": ["dcfs", "djj"],
    ...                     "start": [date(2000, 1, 1), date(2000, 3, 1)],
    ...                     "end": [date(2024, 12, 31), date(2024, 11, 30)]})
    >>> youth_window(cov)
    (2001, 2023)
    """
    spans = [coverage(table, source) for source in (PLACEMENT, CUSTODY)]
    first = max(s.year + (s > dt.date(s.year, 1, 1)) for s, _ in spans)
    last = min(e.year - (e < dt.date(e.year, 12, 31)) for _, e in spans)
    return first, last


def youth_years(
    persons: pl.LazyFrame,
    spells: pl.LazyFrame,
    *,
    first_year: int,
    last_year: int,
    ages: tuple[int, int] = YOUTH_AGES,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """One row per youth-year in ``first_year..last_year`` (see the module docstring):
    ``pid``, ``year``, ``age``, ``placed``, ``admitted`` and ``group`` (``PLACED`` or
    ``NOT_PLACED``). Persons without a birth year are not counted."""
    lo, hi = ages
    late = pl.col("birth_month").fill_null(7) >= 7
    turns = pl.col("birth_year") + lo + late.cast(pl.Int32)  # first year lo on 1 July
    alive = (
        pl.col("death_year").is_null()
        | (pl.col("death_year") > pl.col("year"))
        | ((pl.col("death_year") == pl.col("year")) & (pl.col("death_month").fill_null(12) >= 7))
    )
    years = (
        persons.filter(pl.col("birth_year").is_not_null())
        .select("pid", "death_year", "death_month", turns.alias("_first"))
        .with_columns(pl.int_ranges("_first", pl.col("_first") + hi - lo + 1).alias("year"))
        .explode("year")
        .filter(pl.col("year").is_between(first_year, last_year))
        .filter(alive)
        .select("pid", pl.col("year").cast(pl.Int32), (pl.col("year") - pl.col("_first") + lo)
                .cast(pl.Int32).alias("age"))
    )  # fmt: skip
    kept = linked(spells, min_match_probability, exclude_name_only)
    placed = (
        kept.filter(pl.col("program") == PLACEMENT)
        .group_by("pid")
        .agg(pl.col("start").min().alias("_placed"))
    )
    admitted = (
        kept.filter(pl.col("program") == CUSTODY)
        .select("pid", pl.col("start").dt.year().cast(pl.Int32).alias("year"))
        .unique()
        .with_columns(admitted=pl.lit(True))
    )
    is_placed = (pl.col("_placed") < pl.date(pl.col("year"), 7, 1)).fill_null(False)
    return (
        years.join(placed, on="pid", how="left")
        .join(admitted, on=["pid", "year"], how="left")
        .with_columns(is_placed.alias("placed"), pl.col("admitted").fill_null(False))
        .with_columns(
            pl.when("placed").then(pl.lit(PLACED)).otherwise(pl.lit(NOT_PLACED)).alias("group")
        )
        .select("pid", "year", "age", "placed", "admitted", "group")
        .sort("pid", "year")
    )


def group_counts(years: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """``group``, ``youth_years``, ``persons``: the youth-years and distinct persons of
    each group (a person placed at 15 is in both, before and after)."""
    return (
        years.lazy()
        .group_by("group")
        .agg(pl.len().alias("youth_years"), pl.col("pid").n_unique().alias("persons"))
        .sort("group")
        .collect()
    )
