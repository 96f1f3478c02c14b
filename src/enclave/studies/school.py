"""School outcomes of children in care: a grade-9 cohort from the ISBE school years, who
of it had a foster-care placement, and whether they graduated, dropped out or moved
school; matched classmates and sensitivity to linkage.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, per-student
LazyFrames out. Nothing here shows a number; a study passes the frames to
:mod:`enclave.disclosure` (``share_difference``, ``mean_table``, ``protect_1d``).

Definitions, as the planted effect ``graduation_gap_foster`` (``data/truth/effects.json``)
words them where it has one:

- **School year** ``Y`` is the fall year: it runs from 1 July ``Y`` to 30 June ``Y + 1``.
  The last school year the records cover (:func:`last_school_year`) is the last one the
  SCHOOL source's coverage reaches to its end (30 June).
- **Cohort** (:func:`school_cohort`): students with a grade-9 school year, ``y9`` the
  first one, such that ``y9 + 4 <= last_cohort`` (four more school years observed).
- **Graduated**: any school year with exit_status GRADUATED (at any date or grade).
  **Dropped out**: any school year with exit_status DROPOUT (a student can have both).
- **In care**: any DCFS_PLACEMENT spell starting before 1 July of ``y9 + 4``, the
  school year after the on-time graduation year begins; the others are "not in care".
- **Moves** (mobility): over the :data:`MOBILITY_YEARS` school years from ``y9`` on, the
  school years that end TRANSFERRED or are followed by the student's next recorded
  school year in another county (both counties known); each school year counts once.
  **Moved**: at least one move.
- **Grade-9 county**: the county of the ``y9`` school year (null where de-identification
  withheld it). **Sex** is the person's (null where unknown).
- **Linkage settings**: school years and placement spells linked below
  ``min_match_probability`` (or resting on a name-only link, with
  ``exclude_name_only``) are not counted, as if the records were not there.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.studies.cohorts import coverage, linked

#: the two groups of the plain comparison (the ``group`` column)
IN_CARE, NOT_IN_CARE = "in care", "not in care"
#: what the matched comparison calls the classmates
CLASSMATES = "matched classmates"
#: the outcomes, each a boolean column of :func:`school_cohort`
OUTCOMES = ("graduated", "dropped_out", "moved")
#: school years from the grade-9 year on in which moves are counted
MOBILITY_YEARS = 4
#: the program whose spells put a child in care
PLACEMENT = "DCFS_PLACEMENT"

_STRATUM = ("y9", "sex", "county_fips")
_COHORT = (
    "pid",
    "y9",
    "sex",
    "county_fips",
    "group",
    "in_care",
    "ever_placed",
    "graduated",
    "dropped_out",
    "moves",
    "moved",
)


def last_school_year(table: pl.LazyFrame | pl.DataFrame) -> int:
    """The fall year of the last school year the SCHOOL records cover to its end
    (30 June), from the project's ``coverage`` table.

    >>> from datetime import date
    >>> cov = pl.DataFrame({"source": ["SCHOOL"], "agency": ["isbe"],
    ...                     "start": [date(2005, 7, 1)], "end": [date(2023, 6, 30)]})
    >>> last_school_year(cov)
    2022
    """
    end = coverage(table, "SCHOOL")[1]
    return end.year - 1 if (end.month, end.day) >= (6, 30) else end.year - 2


def grade_nine(school_years: pl.LazyFrame, last_cohort: int) -> pl.LazyFrame:
    """``pid, y9, county_fips``: each student's first grade-9 school year, if
    ``y9 + 4 <= last_cohort``, and the county of that year's school."""
    return (
        school_years.filter(pl.col("grade") == 9)
        .sort("pid", "school_year")
        .group_by("pid", maintain_order=True)
        .agg(pl.col("school_year").first().alias("y9"), pl.col("county_fips").first())
        .filter(pl.col("y9") + 4 <= last_cohort)
    )


def _statuses(school_years: pl.LazyFrame) -> pl.LazyFrame:
    return school_years.group_by("pid").agg(
        (pl.col("exit_status") == "GRADUATED").any().alias("graduated"),
        (pl.col("exit_status") == "DROPOUT").any().alias("dropped_out"),
    )


def school_moves(
    school_years: pl.LazyFrame, students: pl.LazyFrame, *, years: int = MOBILITY_YEARS
) -> pl.LazyFrame:
    """``pid, moves``: per student of ``students`` (``pid, y9``), the school moves in the
    ``years`` school years from ``y9`` on (see the module docstring)."""
    rows = (
        school_years.join(students.select("pid", "y9"), on="pid", how="inner")
        .filter(pl.col("school_year") >= pl.col("y9"))
        .sort("pid", "school_year")
        .with_columns(pl.col("county_fips").shift(-1).over("pid").alias("_next"))
        .filter(pl.col("school_year") < pl.col("y9") + years)
    )
    changed = pl.col("_next").is_not_null() & pl.col("county_fips").is_not_null()
    changed = changed & (pl.col("_next") != pl.col("county_fips"))
    move = (pl.col("exit_status") == "TRANSFERRED").fill_null(False) | changed
    return rows.group_by("pid").agg(move.sum().cast(pl.Int32).alias("moves"))


def _placed_before(spells: pl.LazyFrame, students: pl.LazyFrame) -> pl.LazyFrame:
    cutoff = pl.date(pl.col("y9") + 4, 7, 1)
    return (
        spells.filter(pl.col("program") == PLACEMENT)
        .join(students.select("pid", "y9"), on="pid", how="inner")
        .filter(pl.col("start") < cutoff)
        .select("pid", pl.lit(True).alias("in_care"))
        .unique()
    )


def school_cohort(
    school_years: pl.LazyFrame,
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    *,
    last_cohort: int,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
    mobility_years: int = MOBILITY_YEARS,
) -> pl.LazyFrame:
    """One row per student of the grade-9 cohort (module docstring), sorted by pid.

    Columns: ``pid``, ``y9``, ``sex``, ``county_fips`` (the grade-9 school's),
    ``group`` (:data:`IN_CARE` or :data:`NOT_IN_CARE`), ``in_care``, ``ever_placed``
    (any placement spell at any date and any match probability: such a student is
    never a matched classmate), ``graduated``, ``dropped_out``, ``moves`` and ``moved``.
    School years and placements below the linkage setting are not counted.
    """
    years = linked(school_years, min_match_probability, exclude_name_only)
    placements = linked(spells, min_match_probability, exclude_name_only)
    students = grade_nine(years, last_cohort)
    ever = (
        spells.filter(pl.col("program") == PLACEMENT)
        .select("pid", pl.lit(True).alias("ever_placed"))
        .unique()
    )
    in_care = pl.col("in_care").fill_null(False)
    return (
        students.join(persons.select("pid", "sex"), on="pid", how="left")
        .join(_placed_before(placements, students), on="pid", how="left")
        .join(ever, on="pid", how="left")
        .join(_statuses(years), on="pid", how="left")
        .join(school_moves(years, students, years=mobility_years), on="pid", how="left")
        .with_columns(
            in_care,
            # a placement that counts is a placement: ever_placed covers every link
            (pl.col("ever_placed").fill_null(False) | in_care).alias("ever_placed"),
            pl.when(in_care).then(pl.lit(IN_CARE)).otherwise(pl.lit(NOT_IN_CARE)).alias("group"),
            pl.col("moves").fill_null(0),
        )
        .with_columns((pl.col("moves") >= 1).alias("moved"))
        .select(_COHORT)
        .sort("pid")
    )


def group_counts(cohort: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """``group, n``: students in care and not, for :func:`~enclave.disclosure.protect_1d`."""
    return cohort.lazy().group_by("group").agg(pl.len().alias("n"))


def in_care(cohort: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """The students of a cohort who were in care (test it with ``is_empty``)."""
    return cohort.lazy().filter(pl.col("in_care"))


def matched_classmates(cohort: pl.LazyFrame, *, k: int = 1, seed: int) -> pl.LazyFrame:
    """``k`` classmates per in-care student: cohort members of the same ``y9``, sex and
    grade-9 county who were never placed (``ever_placed`` False). An unknown sex or
    county matches only an unknown one (the same withheld value, not the same county).

    Candidates are ranked once per stratum by a random permutation drawn with ``seed``
    (the same seed gives the same classmates); the in-care students of a stratum, in
    pid order, take candidates in turn, wrapping round (so sampling with replacement)
    when a stratum has fewer candidates than ``k`` times its in-care students. A student
    with no candidate gets no classmate. Returns the classmates' cohort rows with
    ``matched_to`` (the in-care student's pid), sorted by ``matched_to`` and pid.
    """
    if k < 1:
        raise ValueError("k: at least one classmate per child in care")
    candidates = cohort.filter(~pl.col("ever_placed")).collect().sort("pid")
    draw = np.random.default_rng(seed).permutation(candidates.height)
    ranked = (
        candidates.with_columns(pl.Series("_draw", draw, dtype=pl.Int64))
        .sort("_draw")
        .with_columns(
            pl.int_range(pl.len()).over(_STRATUM).alias("_rank"),
            pl.len().over(_STRATUM).alias("_size"),
        )
        .drop("_draw")
        .lazy()
    )
    sizes = ranked.select(*_STRATUM, "_size").unique()
    slots = (
        in_care(cohort)
        .sort("pid")
        .select(pl.col("pid").alias("matched_to"), *_STRATUM)
        .with_columns(pl.int_range(pl.len()).over(_STRATUM).alias("_i"))
        .with_columns(pl.int_ranges(0, k).alias("_j"))
        .explode("_j")
        .join(sizes, on=list(_STRATUM), how="inner", nulls_equal=True)
        .with_columns(((pl.col("_i") * k + pl.col("_j")) % pl.col("_size")).alias("_rank"))
        .select("matched_to", *_STRATUM, "_rank")
    )
    return (
        slots.join(ranked, on=[*_STRATUM, "_rank"], how="inner", nulls_equal=True)
        .select(*_COHORT, "matched_to")
        .sort("matched_to", "pid")
    )


def matched_differences(
    cohort: pl.LazyFrame, classmates: pl.LazyFrame, outcomes: tuple[str, ...] = OUTCOMES
) -> pl.LazyFrame:
    """``outcome, difference``: per in-care student with at least one classmate and per
    outcome, the student's outcome (1 or 0) less the share of its classmates with it,
    for ``mean_table(..., by="outcome", total=False)``: the matched difference."""
    means = [pl.col(o).cast(pl.Float64).mean().alias(f"_c_{o}") for o in outcomes]
    matched = classmates.group_by("matched_to").agg(means)
    pairs = in_care(cohort).join(matched, left_on="pid", right_on="matched_to", how="inner")
    parts = [
        pairs.select(
            pl.lit(o).alias("outcome"),
            (pl.col(o).cast(pl.Float64) - pl.col(f"_c_{o}")).alias("difference"),
            "pid",
        )
        for o in outcomes
    ]
    return pl.concat(parts).sort("outcome", "pid").drop("pid")


def in_setting(settings: pl.DataFrame | pl.LazyFrame, setting: str) -> pl.LazyFrame:
    """The rows of one setting of :func:`enclave.studies.cohorts.sensitivity`."""
    return settings.lazy().filter(pl.col("setting") == setting).drop("setting")


def setting_name(min_match_probability: float, exclude_name_only: bool) -> str:
    """A file name for a sensitivity setting.

    >>> setting_name(0.9, True)
    'sensitivity_0_9_excluded'
    """
    links = "excluded" if exclude_name_only else "kept"
    return f"sensitivity_{min_match_probability:g}_{links}".replace(".", "_")
