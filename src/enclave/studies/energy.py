"""Energy assistance among SNAP recipients: the persons with SNAP in a LIHEAP program
year, and whether a LIHEAP application of that year listed them.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, one row per
person out. Nothing here shows a number; a study passes the frame to
:mod:`enclave.disclosure` (``proportions``).

Definitions, as the planted effect ``liheap_among_snap`` (``data/truth/effects.json``)
words them:

- **Program year** N: 1 October of N - 1 to 30 September of N, as LIHEAP runs
  (:func:`program_year_span`). :func:`last_program_year` gives the last one that both
  LIHEAP and SNAP records cover to its end, from the project's coverage table.
- **SNAP recipient**: a person with a ``SNAP`` spell overlapping the program year (SNAP
  records are monthly: a member-month in it).
- **In a LIHEAP household**: a ``LIHEAP`` spell overlapping the program year. A LIHEAP
  spell runs from the application to the end of its program year (30 September), so
  one of the year before ends before the year starts; the build may merge two years'
  spells into one, which still overlaps both.
- **Linkage settings**: spells linked below ``min_match_probability`` (or resting on a
  name-only link, with ``exclude_name_only``) are left out, as if not there.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from enclave.studies.cohorts import coverage, linked

#: the programs: the recipients, and the assistance whose listing is counted
SNAP, LIHEAP = "SNAP", "LIHEAP"
#: the event column of :func:`snap_recipients`
LISTED = "in_liheap"


def program_year_span(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of LIHEAP program year ``year``.

    >>> program_year_span(2024)
    (datetime.date(2023, 10, 1), datetime.date(2024, 9, 30))
    """
    return dt.date(year - 1, 10, 1), dt.date(year, 9, 30)


def last_program_year(table: pl.LazyFrame | pl.DataFrame) -> int:
    """The last program year whose 30 September both LIHEAP and SNAP records reach, from
    the project's ``coverage`` table.

    >>> from datetime import date
    >>> cov = pl.DataFrame({"source": ["LIHEAP", "SNAP"], "agency": ["dceo", "idhs"],
    ...                     "start": [date(2000, 10, 1), date(2000, 1, 1)],
    ...                     "end": [date(2024, 9, 30), date(2024, 6, 30)]})
    >>> last_program_year(cov)
    2023
    """
    end = min(coverage(table, source)[1] for source in (LIHEAP, SNAP))
    return end.year if end >= dt.date(end.year, 9, 30) else end.year - 1


def snap_recipients(
    spells: pl.LazyFrame,
    program_year: int,
    *,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """One row per SNAP recipient of ``program_year`` (see the module docstring):
    ``pid`` and :data:`LISTED` (a LIHEAP spell overlaps the year)."""
    first, last = program_year_span(program_year)
    kept = linked(spells, min_match_probability, exclude_name_only)
    within = (pl.col("start") <= last) & (pl.col("end") >= first)
    of = kept.filter(within)
    snap = of.filter(pl.col("program") == SNAP).select("pid").unique()
    listed = of.filter(pl.col("program") == LIHEAP).select("pid").unique()
    return (
        snap.join(listed.with_columns(pl.lit(True).alias(LISTED)), on="pid", how="left")
        .with_columns(pl.col(LISTED).fill_null(False))
        .sort("pid")
    )
