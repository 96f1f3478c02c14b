"""Veterans' homes after community care: veteran-years at 70 and over, whether the
veteran was already in the Department on Aging's Community Care Program, and whether an
Illinois Veterans' Home admitted them that year.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, one row per
veteran and year out. Nothing here shows a number; a study passes the frames to
:mod:`enclave.disclosure` (``share_difference``, ``protect_1d``).

Definitions, as the planted effect ``veterans_home_after_ccp``
(``data/truth/effects.json``) words them:

- **Years** (:func:`veteran_window`): the calendar years both community care (``CCP``)
  and IDVA's extract cover whole, from the project's coverage table. The extract is
  one delivery holding the claims (``VETERANS_CLAIM``) and the homes' stays
  (``VETERANS_HOME``), so its window is the union of theirs: admissions are few, and a
  year after the last one is a year without admission, not one unobserved.
- **Veteran**: a person with an IDVA claims-assistance spell (``VETERANS_CLAIM``) of
  any date: IDVA's extract names no veteran who never asked for its help.
- **Veteran-year** (:func:`veteran_years`): a veteran and a year in which the veteran
  was :data:`AGE` or older (whole years) and alive on 1 July. The research zone knows
  the birth month, not the day: a veteran born in July is taken to turn a year older
  after 1 July (as all but those born on the 1st do), and one whose birth month is
  withheld likewise. A death in July counts as after 1 July.
- **In care**: a ``CCP`` spell (any service) starting before 1 July of the year.
  **Admitted**: a ``VETERANS_HOME`` spell starting in the year (spells are stays merged
  with the build's gap tolerance, so a readmission within a month of a discharge is not
  a second admission).
- **Linkage settings**: spells linked below ``min_match_probability`` (or resting on a
  name-only link, with ``exclude_name_only``) are left out, as if not there; so is a
  veteran whose only claims spells are.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies.cohorts import coverage, linked

#: the age (whole years, on 1 July) from which veteran-years count
AGE = 70
#: the programs: the claims that name veterans, community care, and the homes whose
#: admissions are counted
CLAIM, CARE, HOME = "VETERANS_CLAIM", "CCP", "VETERANS_HOME"
#: the two groups of the comparison (the ``group`` column)
IN_CARE, NOT_IN_CARE = "in community care", "not in community care"
#: the planted effect is a rate per this many veteran-years
PER_VETERAN_YEARS = 1000


def veteran_window(table: pl.LazyFrame | pl.DataFrame) -> tuple[int, int]:
    """The first and last calendar year that both community care and IDVA's extract
    (its claims and homes together) cover from 1 January to 31 December, from the
    project's ``coverage`` table.

    >>> from datetime import date
    >>> cov = pl.DataFrame({"source": ["CCP", "VETERANS_CLAIM", "VETERANS_HOME"],
    ...                     "agency": ["aging", "idva", "idva"],
    ...                     "start": [date(2005, 1, 1), date(2005, 3, 1), date(2005, 2, 1)],
    ...                     "end": [date(2022, 12, 31), date(2022, 11, 30), date(2022, 8, 31)]})
    >>> veteran_window(cov)
    (2006, 2021)
    >>> veteran_window(cov.with_columns(start=date(2005, 1, 1), end=date(2022, 12, 31)))
    (2005, 2022)
    """
    homes = [coverage(table, source) for source in (CLAIM, HOME)]
    idva = (min(s for s, _ in homes), max(e for _, e in homes))
    spans = [coverage(table, CARE), idva]
    first = max(s.year + (s > dt.date(s.year, 1, 1)) for s, _ in spans)
    last = min(e.year - (e < dt.date(e.year, 12, 31)) for _, e in spans)
    return first, last


def _aged_years(persons: pl.LazyFrame, first_year: int, last_year: int) -> pl.LazyFrame:
    """``pid, year``: the years ``first_year..last_year`` in which the person was
    :data:`AGE` or older and alive on 1 July."""
    late = pl.col("birth_month").fill_null(7) >= 7
    turns = pl.col("birth_year") + AGE + late.cast(pl.Int32)  # first year AGE on 1 July
    alive = (
        pl.col("death_year").is_null()
        | (pl.col("death_year") > pl.col("year"))
        | ((pl.col("death_year") == pl.col("year")) & (pl.col("death_month").fill_null(12) >= 7))
    )
    return (
        persons.filter(pl.col("birth_year").is_not_null())
        .select("pid", "death_year", "death_month",
                pl.max_horizontal(turns, pl.lit(first_year)).alias("_first"))
        .filter(pl.col("_first") <= last_year)
        .with_columns(pl.int_ranges("_first", last_year + 1).alias("year"))
        .explode("year")
        .filter(alive)
        .select("pid", pl.col("year").cast(pl.Int32))
    )  # fmt: skip


def veteran_years(
    persons: pl.LazyFrame,
    spells: pl.LazyFrame,
    *,
    first_year: int,
    last_year: int,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """One row per veteran-year in ``first_year..last_year`` (see the module
    docstring): ``pid``, ``year``, ``in_care``, ``admitted`` and ``group``
    (:data:`IN_CARE` or :data:`NOT_IN_CARE`). Veterans without a birth year are not
    counted."""
    kept = linked(spells, min_match_probability, exclude_name_only)
    veterans = kept.filter(pl.col("program") == CLAIM).select("pid").unique()
    care = (
        kept.filter(pl.col("program") == CARE)
        .group_by("pid")
        .agg(pl.col("start").min().alias("_care"))
    )
    admitted = (
        kept.filter(pl.col("program") == HOME)
        .select("pid", pl.col("start").dt.year().cast(pl.Int32).alias("year"))
        .unique()
        .with_columns(admitted=pl.lit(True))
    )
    in_care = (pl.col("_care") < pl.date(pl.col("year"), 7, 1)).fill_null(False)
    group = pl.when("in_care").then(pl.lit(IN_CARE)).otherwise(pl.lit(NOT_IN_CARE))
    return (
        _aged_years(persons.join(veterans, on="pid", how="semi"), first_year, last_year)
        .join(care, on="pid", how="left")
        .join(admitted, on=["pid", "year"], how="left")
        .with_columns(in_care.alias("in_care"), pl.col("admitted").fill_null(False))
        .with_columns(group.alias("group"))
        .select("pid", "year", "in_care", "admitted", "group")
        .sort("pid", "year")
    )


def group_counts(years: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """``group``, ``veteran_years``, ``persons``: the veteran-years and distinct
    veterans of each group (a veteran entering care at 75 is in both, before and
    after)."""
    return (
        years.lazy()
        .group_by("group")
        .agg(pl.len().alias("veteran_years"), pl.col("pid").n_unique().alias("persons"))
        .sort("group")
        .collect()
    )
