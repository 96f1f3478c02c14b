"""Lifetime service use: which programs children born in the state use by each age,
which comes first, and how many programs a person uses by 18 and between 18 and 30.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, per-person
frames out. Nothing here shows a number; a study passes the frames to
:mod:`enclave.disclosure` (``proportions``, ``survival_table``, ``protect_1d``), and
:func:`cumulative_plot` draws only what a :class:`~enclave.disclosure.SafeSurvival`
published.

Definitions:

- **Window.** The data cover whole calendar years ``first_year``-``last_year`` (the
  study's parameters). A person is seen only while records exist: someone born before
  ``first_year`` has a childhood before the data (left truncation), and no one is seen
  past ``last_year`` (right censoring).
- **Age** is known from birth year and month only, in whole months since the birth
  month (:func:`~enclave.studies.cohorts.months_since_birth`); where de-identification
  withheld the month, mid-year is assumed (:data:`~enclave.studies.cohorts.MID_YEAR`),
  so an age can be six months off. The ``a``-th birthday is the month ``12 * a`` months
  after the birth month. Something happens *before* the ``a``-th birthday when it
  happens in an earlier month. Persons without a birth year are left out.
- **Observed from age** ``lo`` **to** ``hi`` (:func:`observed_cohort`): the ``lo``-th
  birthday falls in the window or later (``lo = 0``: born in it), the ``hi``-th birthday
  on or before its last month, and no DEATH event before the month of the ``hi``-th
  birthday (a death in that month counts as alive on the birthday). With
  ``born_in_state``, only persons with a birth record of their own (a ``BIRTH`` life
  event), i.e. born in the state.
- **Use** of a program: a program spell linked with at least the minimum match
  probability (and, with ``exclude_name_only``, none of whose records rests on a name
  alone). A program is used *by age a* when one of its spells starts before the
  ``a``-th birthday, and *between ages lo and hi* when a spell covers a day between
  the ``lo``-th birthday and the ``hi``-th (starts before the ``hi``-th birthday month
  and ends in or after the ``lo``-th birthday month).
- **Services** (:data:`SERVICES`): the programs other than public school and
  UI-covered employment, which nearly every child attends and most adults have; they
  are not services a person turns to. A study may count any of :data:`PROGRAM_LABELS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from enclave import contracts
from enclave.analytic.schemas import PROGRAMS
from enclave.disclosure import SafeFigure, SafeSurvival, survival_plot
from enclave.studies.cohorts import birth_index, coverage, first_deaths, months_since_birth

#: each program as a report names it (its contract's ``Program.label``)
PROGRAM_LABELS: dict[str, str] = {
    program.code: program.label
    for contract in contracts.ALL.values()
    for program in contract.timeline.programs
}
#: the programs counted as services (school enrolment and employment are not)
SERVICES: tuple[str, ...] = tuple(p for p in PROGRAMS if p not in ("SCHOOL", "EMPLOYMENT"))
#: the first-program label of persons whose first programs started in the same month
SEVERAL = "several in the same month"
#: the first-program label of persons with no program before the age
NONE = "none"


def window_months(first_year: int, last_year: int) -> tuple[int, int]:
    """The window's first and last months as ``year * 12 + month`` (the scale of
    :func:`~enclave.studies.cohorts.month_index`).

    >>> window_months(2005, 2022)
    (24061, 24276)
    """
    if last_year < first_year:
        raise ValueError("the window ends before it starts")
    return first_year * 12 + 1, last_year * 12 + 12


def observation_window(coverage_table: pl.LazyFrame, years: Sequence[int] = ()) -> tuple[int, int]:
    """The window ``(first_year, last_year)``: ``years`` when given, else the whole
    calendar years the project's birth records cover (the ``coverage`` table, source
    BIRTH): a childhood is followed from birth only within them.

    >>> cov = pl.DataFrame({"source": ["BIRTH"], "start": [dt.date(2005, 1, 1)],
    ...                     "end": [dt.date(2022, 1, 31)]})
    >>> observation_window(cov.lazy()), observation_window(cov.lazy(), [2010, 2020])
    ((2005, 2021), (2010, 2020))
    """
    if years:
        if len(years) != 2:
            raise ValueError("observation years: [first_year, last_year], or [] for coverage")
        first, last = (int(y) for y in years)
    else:
        start, end = coverage(coverage_table, "BIRTH")
        first = (start - dt.timedelta(days=1)).year + 1
        last = (end + dt.timedelta(days=1)).year - 1
    window_months(first, last)
    return first, last


def check_programs(programs: Sequence[str]) -> list[str]:
    """The program codes, checked against the analytic tables' (a typo is an error, not
    an empty curve)."""
    unknown = sorted(set(programs) - set(PROGRAMS))
    if unknown or not programs:
        raise ValueError(f"programs: choose among {', '.join(PROGRAMS)} (unknown: {unknown})")
    return list(dict.fromkeys(programs))


def born_here(events: pl.LazyFrame) -> pl.LazyFrame:
    """``pid`` of every person with a birth record of their own (a ``BIRTH`` life event),
    whether or not a parent on it was linked: a child whose mother's identifiers did not
    link has fewer records of every kind, so leaving them out (as a cohort drawn from
    the family links would) biases use upwards."""
    return events.filter(pl.col("event") == "BIRTH").select("pid").unique()


def lives(persons: pl.LazyFrame, events: pl.LazyFrame) -> pl.LazyFrame:
    """``pid, birth_year, birth_month, birth, death``: persons with a birth year, their
    birth month on the ``year * 12 + month`` scale and the months from it to their first
    DEATH event (null if none)."""
    return (
        persons.filter(pl.col("birth_year").is_not_null())
        .select("pid", "birth_year", "birth_month")
        .join(first_deaths(events), on="pid", how="left")
        .with_columns(
            birth_index().alias("birth"),
            months_since_birth(pl.col("death_date")).alias("death"),
        )
        .drop("death_date")
    )


def observed_cohort(
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    ages: tuple[int, int],
    first_year: int,
    last_year: int,
    born_in_state: bool = False,
) -> pl.LazyFrame:
    """Persons observed from their ``lo``-th to their ``hi``-th birthday and alive on the
    latter (module docstring); with ``born_in_state``, persons with a birth record only.
    Returns the columns of :func:`lives`, one row per person."""
    lo, hi = ages
    if not 0 <= lo < hi:
        raise ValueError("ages: 0 <= lo < hi")
    start, end = window_months(first_year, last_year)
    who = lives(persons, events)
    if born_in_state:
        who = who.join(born_here(events), on="pid", how="semi")
    return who.filter(
        pl.col("birth") + 12 * lo >= start,
        pl.col("birth") + 12 * hi <= end,
        pl.col("death").is_null() | (pl.col("death") >= 12 * hi),
    ).sort("pid")


def _uses(
    spells: pl.LazyFrame,
    programs: Sequence[str],
    min_match_probability: float,
    exclude_name_only: bool,
) -> pl.LazyFrame:
    chosen = spells.filter(
        pl.col("program").is_in(list(programs)),
        pl.col("match_probability") >= min_match_probability,
    )
    if exclude_name_only:
        chosen = chosen.filter(pl.col("name_only_records") == 0)
    return chosen.select("pid", "program", "start", "end")


def _spell_ages(cohort: pl.LazyFrame, uses: pl.LazyFrame) -> pl.LazyFrame:
    """``pid, program, from, to``: each spell of a cohort member in months since birth
    (a start before the birth month, as a span dated back, counts as the birth month)."""
    return uses.join(cohort.select("pid", "birth_year", "birth_month"), on="pid").select(
        "pid",
        "program",
        months_since_birth(pl.col("start")).clip(lower_bound=0).alias("from"),
        months_since_birth(pl.col("end")).alias("to"),
    )


def used_before_age(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    program: str = "MEDICAID",
    age: int = 5,
    first_year: int,
    last_year: int,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """Per child with a birth record born ``first_year``-``(last_year - age)`` and alive
    on their ``age``-th birthday: ``used``, whether a ``program`` spell starts before
    that birthday. Columns ``pid``, ``birth_year``, ``used``.

    With ``program="MEDICAID"`` and ``age=5`` this is the planted effect
    ``medicaid_by_age_5`` (``data/truth/effects.json``): "Children with a birth record
    born {start_year}-{end_year-5}, alive on their 5th birthday. Measure: share with a
    Medicaid eligibility span (any category) starting before their 5th birthday." The
    birth years follow from :func:`observed_cohort` with ``ages=(0, age)``.
    """
    check_programs([program])
    cohort = observed_cohort(
        persons,
        events,
        ages=(0, age),
        first_year=first_year,
        last_year=last_year,
        born_in_state=True,
    )
    uses = _uses(spells, [program], min_match_probability, exclude_name_only)
    early = _spell_ages(cohort, uses).filter(pl.col("from") < 12 * age).select("pid").unique()
    return (
        cohort.join(early.with_columns(pl.lit(True).alias("used")), on="pid", how="left")
        .select("pid", "birth_year", pl.col("used").fill_null(False))
        .sort("pid")
    )


def first_use(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    programs: Sequence[str],
    first_year: int,
    last_year: int,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """Per child with a birth record born in the window and per program: the age (in
    years) at first use, or at the end of observation, for a life table
    (:func:`~enclave.disclosure.survival_table` with ``by="program"``).

    Columns ``pid``, ``program`` (its plain name, :data:`PROGRAM_LABELS`), ``age`` and
    ``used`` (True: first use at ``age``; False: censored at ``age``). A first use in
    month ``m`` since birth is placed mid-month, at ``(m + 0.5) / 12``, so the share
    used by age ``a`` counts the uses before the ``a``-th birthday month. Observation
    ends at the earlier of the end of the window's last month and the middle of the
    month of death; a use after it is not seen. Ages left truncated cannot occur: every
    child is followed from birth.
    """
    programs = check_programs(programs)
    start, end = window_months(first_year, last_year)
    cohort = lives(persons, events).join(born_here(events), on="pid", how="semi")
    cohort = cohort.filter(pl.col("birth") >= start, pl.col("birth") <= end)
    uses = _uses(spells, programs, min_match_probability, exclude_name_only)
    first = _spell_ages(cohort, uses).group_by("pid", "program").agg(pl.col("from").min())
    grid = cohort.join(pl.LazyFrame({"program": programs}), how="cross")
    stop = pl.min_horizontal(
        (pl.lit(end) - pl.col("birth") + 1).cast(pl.Float64),
        pl.col("death").cast(pl.Float64) + 0.5,
    )
    seen = pl.col("from").is_not_null() & (pl.col("from") + 0.5 <= stop)
    months = pl.when(seen).then(pl.col("from") + 0.5).otherwise(stop)
    return (
        grid.join(first, on=["pid", "program"], how="left")
        .select(
            "pid",
            pl.col("program").replace_strict(PROGRAM_LABELS),
            (months.clip(lower_bound=0.0) / 12).alias("age"),
            seen.alias("used"),
        )
        .sort("pid", "program")
    )


def first_levels(programs: Sequence[str]) -> list[str]:
    """The labels :func:`first_program` gives, in order: each program's plain name,
    then :data:`SEVERAL` and :data:`NONE`.

    >>> first_levels(["SNAP", "MEDICAID"])
    ['SNAP (food assistance)', 'Medicaid', 'several in the same month', 'none']
    """
    return [*(PROGRAM_LABELS[p] for p in check_programs(programs)), SEVERAL, NONE]


def first_program(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    programs: Sequence[str],
    age: int,
    first_year: int,
    last_year: int,
    min_match_probability: float = 0.0,
) -> pl.LazyFrame:
    """``first, n``: children with a birth record observed from birth to their
    ``age``-th birthday and alive on it (:func:`observed_cohort`), by the program whose
    spell started first before that birthday: its plain name, :data:`SEVERAL` when more
    than one started in that first month, :data:`NONE` when none started before it.
    For :func:`~enclave.disclosure.protect_1d` with ``levels=first_levels(programs)``."""
    programs = check_programs(programs)
    cohort = observed_cohort(
        persons,
        events,
        ages=(0, age),
        first_year=first_year,
        last_year=last_year,
        born_in_state=True,
    )
    uses = _uses(spells, programs, min_match_probability, False)
    early = _spell_ages(cohort, uses).filter(pl.col("from") < 12 * age)
    starts = early.group_by("pid", "program").agg(pl.col("from").min())
    firsts = starts.filter(pl.col("from") == pl.col("from").min().over("pid"))
    label = (
        pl.when(pl.len() > 1)
        .then(pl.lit(SEVERAL))
        .otherwise(pl.col("program").first().replace_strict(PROGRAM_LABELS))
    )
    chosen = firsts.group_by("pid").agg(label.alias("first"))
    return (
        cohort.select("pid")
        .join(chosen, on="pid", how="left")
        .group_by(pl.col("first").fill_null(pl.lit(NONE)))
        .agg(pl.len().alias("n"))
        .sort("first")
    )


def count_levels(top: int) -> list[str]:
    """The labels of :func:`programs_used`: ``0`` to ``top - 1``, then ``top or more``.

    >>> count_levels(3)
    ['0', '1', '2', '3 or more']
    """
    if top < 1:
        raise ValueError("top: at least 1")
    return [*(str(k) for k in range(top)), f"{top} or more"]


def programs_used(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    programs: Sequence[str],
    ages: tuple[int, int],
    first_year: int,
    last_year: int,
    born_in_state: bool = False,
    top: int = 4,
    min_match_probability: float = 0.0,
) -> pl.LazyFrame:
    """``programs, n``: persons observed from their ``lo``-th to their ``hi``-th birthday
    and alive on it (:func:`observed_cohort`; with ``born_in_state``, persons with a
    birth record only), by how many of ``programs`` they used between the two birthdays
    (module docstring), top-coded at ``top`` (:func:`count_levels`).

    ``ages=(0, 18)`` with ``born_in_state`` counts the programs used by 18 of children
    born in the state; ``ages=(18, 30)`` those of adults over that age range, whose
    childhood lies before the window. For :func:`~enclave.disclosure.protect_1d` with
    ``levels=count_levels(top)``.
    """
    programs = check_programs(programs)
    lo, hi = ages
    cohort = observed_cohort(
        persons,
        events,
        ages=ages,
        first_year=first_year,
        last_year=last_year,
        born_in_state=born_in_state,
    )
    uses = _uses(spells, programs, min_match_probability, False)
    inside = _spell_ages(cohort, uses).filter(pl.col("from") < 12 * hi, pl.col("to") >= 12 * lo)
    used = inside.group_by("pid").agg(pl.col("program").n_unique().alias("k"))
    k = pl.col("k").fill_null(0)
    label = pl.when(k >= top).then(pl.lit(f"{top} or more")).otherwise(k.cast(pl.String))
    return (
        cohort.select("pid")
        .join(used, on="pid", how="left")
        .group_by(label.alias("programs"))
        .agg(pl.len().alias("n"))
        .sort("programs")
    )


def cumulative_plot(
    table: SafeSurvival, *, xlabel: str = "age (years)", title: str | None = None
) -> SafeFigure:
    """One step curve per program of the share who have used it by each age: one less
    the published survival of :func:`first_use`'s life table, with its interval, through
    the published ages only (a curve stops where too few children remain followed)."""
    return survival_plot(
        table, xlabel=xlabel, ylabel="share who have used it", title=title, cumulative=True
    )
