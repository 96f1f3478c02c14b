"""UI claims after a job loss: job losses in the UI wage records, whether the job was
low-wage, and whether an unemployment insurance claim followed.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, one row per
job loss out. Nothing here shows a number; a study passes the frame to
:mod:`enclave.disclosure` (``share_difference``, ``protect_1d``).

Definitions, as the planted effect ``ui_claim_low_wage_gap``
(``data/truth/effects.json``) words them:

- **Years** (:func:`claim_years`): the calendar years in which a benefit year of the
  claims extract begins (the ``UI_CLAIM`` life events): the extract holds a few
  benefit years only, so a loss outside them cannot be seen to be claimed.
- **Job loss** (:func:`job_losses`): the last quarter ``q`` of an ``EMPLOYMENT`` spell
  (a run of quarters with a UI wage record), by
  :func:`~enclave.studies.cohorts.exits`, whose next two quarters have no wage record
  (a single missing quarter is not taken for a loss), ``q + 1`` in the years and
  ``q + 2`` within the wage records; of a person 18-64 (whole years, from birth year
  and month) on the first day of ``q + 1`` and alive to the end of ``q + 1``.
  :func:`enclave.studies.training.job_losses` is not used: it follows a loss for two
  years, from WIOA's start, and needs the person alive to the end of ``q + 8``.
- **Low wage**: the mean wages of the quarters worked among ``q`` and the three before
  it under :data:`LOW_WAGE` a quarter in 2000 dollars, times :data:`WAGE_GROWTH` for
  each year from 2000 to the year of ``q``.
- **Claimed**: a ``UI_CLAIM`` spell (its first day is the benefit year's) beginning
  from six days before the first day of ``q`` (a claim is dated from the Sunday of its
  week) to the last day of ``q + 1``.
- **Linkage settings**: spells linked below ``min_match_probability`` (or resting on a
  name-only link, with ``exclude_name_only``) are left out, as if not there.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies.cohorts import exits, linked, quarter_index

#: the programs: the wage records whose runs end in losses, and the claims
EMPLOYMENT, UI_CLAIM = "EMPLOYMENT", "UI_CLAIM"
#: ages (whole years) on the first day after the loss quarter
AGES = (18, 64)
#: the low-wage line: mean quarterly wages in 2000 dollars, grown this much a year
#: (about two thirds of the median quarter: the OECD's line of low pay)
LOW_WAGE, WAGE_GROWTH, BASE_YEAR = 7000.0, 1.025, 2000
#: a claim dated up to this many days before the loss quarter counts (the week's Sunday)
CLAIM_LEAD_DAYS = 6
#: the two groups of the comparison (the ``group`` column)
LOW, OTHER = "low wage", "other"


def claim_years(events: pl.LazyFrame) -> tuple[int, int] | None:
    """The first and last calendar year in which a benefit year of the claims extract
    begins (``UI_CLAIM`` life events); None when the project holds no claim."""
    years = (
        events.filter(pl.col("event") == UI_CLAIM)
        .select(pl.col("date").dt.year().min().alias("first"),
                pl.col("date").dt.year().max().alias("last"))
        .collect()
    )  # fmt: skip
    first, last = years.row(0)
    return None if first is None else (int(first), int(last))


def _quarter_start(q: pl.Expr) -> pl.Expr:
    return pl.date(q // 4, q % 4 * 3 + 1, 1)


def job_losses(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    person_quarters: pl.LazyFrame,
    *,
    first_year: int,
    last_year: int,
    wages_end: str | dt.date,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """One row per job loss with ``q + 1`` in ``first_year..last_year`` (see the module
    docstring), the wage records ending ``wages_end``: the columns of
    :func:`~enclave.studies.cohorts.exits` (``index_quarter`` is ``q``), ``recent``
    (the mean wages of the quarters worked among ``q - 3..q``), ``low_wage``,
    ``claimed`` and ``group`` (:data:`LOW` or :data:`OTHER`)."""
    lo, hi = AGES
    end = wages_end if isinstance(wages_end, dt.date) else dt.date.fromisoformat(wages_end)
    last_wage_quarter = pl.select(quarter_index(pl.lit(end + dt.timedelta(days=1)))).item() - 1
    losses = exits(
        spells,
        persons,
        events,
        program=EMPLOYMENT,
        ages=(lo, hi + 1),  # the month of the 65th birthday, then dropped below
        last_exit=dt.date.max,
        alive_months=3,  # to the end of q + 1: the loss quarter ends the spell
        min_match_probability=min_match_probability,
        exclude_name_only=exclude_name_only,
    )
    q = pl.col("index_quarter")
    losses = losses.filter(
        pl.col("age") <= hi,
        ((q + 1) // 4).is_between(first_year, last_year),
        q + 2 <= last_wage_quarter,
    )
    kept = linked(spells, min_match_probability, exclude_name_only)
    work = kept.filter(pl.col("program") == EMPLOYMENT)
    back = (  # a spell starting within two quarters: not a loss
        losses.select("exit_id", "pid", "index_quarter")
        .join(work.select("pid", quarter_index(pl.col("start")).alias("_s")), on="pid")
        .filter((pl.col("_s") - q).is_between(1, 2))
        .select("exit_id")
    )
    losses = losses.join(back, on="exit_id", how="anti")
    return _claimed(_low_wage(losses, person_quarters), kept)


def _low_wage(losses: pl.LazyFrame, person_quarters: pl.LazyFrame) -> pl.LazyFrame:
    panel = person_quarters.filter(pl.col("employed")).select(
        "pid",
        (pl.col("year").cast(pl.Int32) * 4 + pl.col("quarter").cast(pl.Int32) - 1).alias("_q"),
        "wages",
    )
    recent = (
        losses.select("exit_id", "pid", "index_quarter")
        .with_columns(pl.int_ranges(pl.col("index_quarter") - 3, pl.col("index_quarter") + 1)
                      .alias("_q"))
        .explode("_q")
        .join(panel, on=["pid", "_q"])
        .group_by("exit_id")
        .agg(pl.col("wages").sort().mean().alias("recent"))  # value order: same bits
    )  # fmt: skip
    years = (pl.col("index_quarter") // 4 - BASE_YEAR).cast(pl.Float64)
    line = LOW_WAGE * pl.lit(WAGE_GROWTH).pow(years)
    return losses.join(recent, on="exit_id", how="left").with_columns(
        (pl.col("recent") < line).fill_null(False).alias("low_wage")
    )


def _claimed(losses: pl.LazyFrame, kept: pl.LazyFrame) -> pl.LazyFrame:
    q = pl.col("index_quarter")
    since = _quarter_start(q) - pl.duration(days=CLAIM_LEAD_DAYS)
    until = _quarter_start(q + 2) - pl.duration(days=1)
    claims = kept.filter(pl.col("program") == UI_CLAIM).select("pid", pl.col("start").alias("_c"))
    claimed = (
        losses.select("exit_id", "pid", "index_quarter")
        .join(claims, on="pid")
        .filter(pl.col("_c").is_between(since, until))
        .select("exit_id")
        .unique()
        .with_columns(pl.lit(True).alias("claimed"))
    )
    group = pl.when("low_wage").then(pl.lit(LOW)).otherwise(pl.lit(OTHER))
    return (
        losses.join(claimed, on="exit_id", how="left")
        .with_columns(pl.col("claimed").fill_null(False))
        .with_columns(group.alias("group"))
        .sort("exit_id")
    )
