"""Re-employment after workforce training: job losses in the UI wage records, whether
a WIOA enrolment followed, and the share of the second year after the loss worked.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, one row per
job loss out. Nothing here shows a number; a study passes the frame to
:mod:`enclave.disclosure` (``mean_difference``, ``protect_1d``).

Definitions, as the planted effect ``wioa_reemployment`` (``data/truth/effects.json``)
words them:

- **Job loss** (:func:`job_losses`): the last quarter ``q`` of an ``EMPLOYMENT`` spell
  (a run of quarters with a UI wage record: the build does not bridge a quarter
  without one), by :func:`~enclave.studies.cohorts.exits`; ``q + 1`` from WIOA's start
  (:data:`WIOA_START`), of a person 18-64 (whole years, from birth year and month) on
  the first day of ``q + 1`` and alive to the end of ``q + 8``.
- **Trained**: a ``WIOA`` spell starting in quarters ``q + 1`` to
  ``q + ENROLLED_WITHIN``.
- **Worked** (:func:`reemployment`): the share of quarters ``q + 5`` to ``q + 8`` with
  wages (``employed`` in the person-quarter panel), by
  :func:`~enclave.studies.cohorts.quarters_after`; losses whose follow-up runs past the
  end of the wage records are dropped (and counted by
  :func:`~enclave.studies.cohorts.follow_up`). A spell still open at the end of the
  wage records is no loss: its follow-up lies outside them.
- **Linkage settings**: spells linked below ``min_match_probability`` (or resting on a
  name-only link, with ``exclude_name_only``) are left out, as if not there.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies.cohorts import exits, linked, quarter_index, quarters_after

#: WIOA took effect on 1 July 2015 (Pub. L. 113-128): earlier losses could not be
#: followed by a WIOA enrolment
WIOA_START = dt.date(2015, 7, 1)
#: the programs: the wage records whose runs end in losses, and the training
EMPLOYMENT, WIOA = "EMPLOYMENT", "WIOA"
#: an enrolment within this many quarters after the loss quarter counts
ENROLLED_WITHIN = 4
#: the quarters after the loss quarter whose wages are counted: the second year
FOLLOWED = (5, 8)
#: ages (whole years) on the first day after the loss quarter
AGES = (18, 64)
#: the two groups of the comparison (the ``group`` column)
TRAINED, NOT_TRAINED = "trained", "not trained"


def job_losses(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """One row per job loss (see the module docstring), the columns of
    :func:`~enclave.studies.cohorts.exits` (``index_quarter`` is ``q``) and ``trained``
    and ``group`` (:data:`TRAINED` or :data:`NOT_TRAINED`)."""
    lo, hi = AGES
    _, last = FOLLOWED
    losses = exits(
        spells,
        persons,
        events,
        program=EMPLOYMENT,
        ages=(lo, hi + 1),  # the month of the 65th birthday, then dropped below
        last_exit=dt.date.max,
        alive_months=3 * last,  # to the end of q + 8: the loss quarter ends the spell
        min_match_probability=min_match_probability,
        exclude_name_only=exclude_name_only,
    )
    start = pl.select(quarter_index(pl.lit(WIOA_START))).item()
    losses = losses.filter(pl.col("age") <= hi, pl.col("index_quarter") + 1 >= start)
    enrolled = (
        linked(spells, min_match_probability, exclude_name_only)
        .filter(pl.col("program") == WIOA)
        .select("pid", quarter_index(pl.col("start")).alias("_eq"))
    )
    gap = pl.col("_eq") - pl.col("index_quarter")
    trained = (
        losses.select("exit_id", "pid", "index_quarter")
        .join(enrolled, on="pid")
        .filter(gap.is_between(1, ENROLLED_WITHIN))
        .select("exit_id")
        .unique()
        .with_columns(pl.lit(True).alias("trained"))
    )
    group = pl.when("trained").then(pl.lit(TRAINED)).otherwise(pl.lit(NOT_TRAINED))
    return (
        losses.join(trained, on="exit_id", how="left")
        .with_columns(pl.col("trained").fill_null(False))
        .with_columns(group.alias("group"))
        .sort("exit_id")
    )


def reemployment(
    losses: pl.LazyFrame, person_quarters: pl.LazyFrame, *, coverage_end: str | dt.date
) -> pl.LazyFrame:
    """Per job loss followed up within the wage records (ending ``coverage_end``), the
    share of quarters ``q + 5`` to ``q + 8`` worked (``employed``)."""
    lo, hi = FOLLOWED
    return quarters_after(
        losses, person_quarters, n=hi, skip=lo - 1, measure="employed", coverage_end=coverage_end
    )
