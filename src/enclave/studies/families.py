"""Families across generations: children's outcomes by their parents' program history
before the child's birth, through the birth records' family links.

Pure functions of the analytic tables (docs/INTERFACES.md): LazyFrames in, per-child
frames out, one row per child with its ``exposure`` group and a boolean ``outcome``, for
:func:`~enclave.disclosure.share_difference` (``group=EXPOSED, reference=NOT_EXPOSED``).
Nothing here shows a number.

Definitions, as the planted ``parent_prison_investigation`` (``data/truth/effects.json``)
words the main one:

- **Children** (:func:`children`): persons named as the child of a birth record
  (``child_pid`` of ``family_links``), with a known birth year in the cohort's
  ``birth_years`` (both included), alive on the birthday that ends their follow-up (no
  death recorded in or before that month; a withheld death month counts as January).
  A withheld birth month is taken as mid-year (:data:`~enclave.studies.cohorts.MID_YEAR`).
- **Exposed** (:func:`parent_exposure`): a parent linked to the child's birth record (the
  mother, or the father where named), by a family link of match probability at least
  ``family_match_probability``, with a spell of the exposure program (PRISON: an
  admission; SNAP, TANF) starting before the child's birth month. Spells linked below
  ``min_match_probability``, or (``exclude_name_only``) resting on a name-only link, do
  not count.
- **Outcome** (:func:`outcome_in_ages`): a spell of the outcome program (e.g.
  DCFS_INVESTIGATION) of the child running in a month from their ``lo``-th birthday up
  to (not including) the month of their ``hi``-th, or a life event (e.g. GRADUATION)
  dated in those months; spells filtered by match probability as above.
- **Birth cohort** (:func:`birth_years`): from the ``coverage`` table, the years whose
  children have at least a year of the parents' records before birth (the first year
  after the exposure and BIRTH records start) and whose follow-up ends within the
  outcome's records (the ``hi``-th birthday of a child born in December of the last
  year falls in the outcome source's last month or before).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from enclave.analytic.schemas import EVENTS, PROGRAMS
from enclave.studies.cohorts import birth_index, coverage, month_index

#: the exposure groups of :func:`child_outcomes`
EXPOSED, NOT_EXPOSED = "exposed", "not exposed"
#: roles a family link can name
ROLES = ("MOTHER", "FATHER")

_CHILD = ("pid", "birth", "birth_year")


def birth_years(
    table: pl.LazyFrame | pl.DataFrame,
    *,
    exposure: str = "PRISON",
    outcome_source: str = "DCFS_INVESTIGATION",
    ages: tuple[int, int] = (0, 5),
) -> tuple[int, int]:
    """The birth years (first, last) whose children can be observed, from the project's
    ``coverage`` table: born the year after the later of the exposure and BIRTH records'
    first full year, so the parents have at least a year of records before any birth;
    and no later than the last year whose December births reach their ``hi``-th birthday
    month within the outcome source's records, nor after the BIRTH records end. The
    ``lo``-th birthday of a child born in January of the first year must fall within
    the outcome records too. ``first > last`` means no child can be observed
    (:func:`observable`).

    >>> cov = pl.DataFrame({"source": ["BIRTH", "PRISON", "DCFS_INVESTIGATION"],
    ...     "start": [dt.date(2005, 1, 1)] * 3,
    ...     "end": [dt.date(2022, 1, 31), dt.date(2022, 10, 31), dt.date(2022, 12, 31)]})
    >>> birth_years(cov)
    (2006, 2017)
    """
    lo, hi = ages
    births, births_end = coverage(table, "BIRTH")
    exposed_from, _ = coverage(table, exposure)
    outcome_from, outcome_to = coverage(table, outcome_source)
    # the first whole calendar year of each source's records, then a year after it
    full = [(d - dt.timedelta(days=1)).year + 1 for d in (births, exposed_from)]
    first = max(full) + 1
    first = max(first, (outcome_from - dt.timedelta(days=1)).year + 1 - lo)
    # the last year whose December births reach the hi-th birthday month in coverage
    last_complete = (outcome_to + dt.timedelta(days=1)).year - 1
    last = min(last_complete - hi, (births_end + dt.timedelta(days=1)).year - 1)
    return first, last


def observable(years: Sequence[int]) -> bool:
    """Whether a cohort of :func:`birth_years` holds any birth year.

    >>> observable((2006, 2017)), observable((2006, 1999))
    (True, False)
    """
    first, last = years
    return first <= last


def children(
    persons: pl.LazyFrame,
    family_links: pl.LazyFrame,
    *,
    birth_years: Sequence[int],
    alive_age: int,
) -> pl.LazyFrame:
    """``pid, birth, birth_year``: the children of birth records born in ``birth_years``
    (first, last; both included) and alive on their ``alive_age``-th birthday (see the
    module docstring). ``birth`` is the birth month as ``year * 12 + month``."""
    first, last = birth_years
    named = family_links.select(pl.col("child_pid").alias("pid")).unique()
    death = pl.col("death_year").cast(pl.Int32) * 12 + pl.col("death_month").cast(
        pl.Int32
    ).fill_null(1)
    alive = pl.col("death_year").is_null() | (death > pl.col("birth") + 12 * alive_age)
    return (
        persons.join(named, on="pid", how="semi")
        .filter(pl.col("birth_year").is_between(first, last))
        .with_columns(birth_index().alias("birth"))
        .filter(alive)
        .select(_CHILD)
    )


def _chosen_spells(
    spells: pl.LazyFrame, program: str, min_match_probability: float, exclude_name_only: bool
) -> pl.LazyFrame:
    chosen = spells.filter(
        pl.col("program") == program, pl.col("match_probability") >= min_match_probability
    )
    if exclude_name_only:
        chosen = chosen.filter(pl.col("name_only_records") == 0)
    return chosen


def _flagged(kids: pl.LazyFrame, hit: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """``pid, <name>``: per child of ``kids``, whether its ``pid`` is among ``hit``'s."""
    flag = hit.select("pid").unique().with_columns(pl.lit(True).alias(name))
    return (
        kids.select("pid")
        .join(flag, on="pid", how="left")
        .with_columns(pl.col(name).fill_null(False))
    )


def parent_exposure(
    kids: pl.LazyFrame,
    family_links: pl.LazyFrame,
    spells: pl.LazyFrame,
    *,
    program: str = "PRISON",
    family_match_probability: float = 0.0,
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
    roles: Sequence[str] = ROLES,
) -> pl.LazyFrame:
    """``pid, exposed``: per child of ``kids`` (:func:`children`), whether a parent of
    one of ``roles``, linked at ``family_match_probability`` or above, has a ``program``
    spell starting in a month before the child's birth month (module docstring). A
    spell starting in the birth month or later never counts."""
    links = family_links.filter(
        pl.col("role").is_in(list(roles)),
        pl.col("match_probability") >= family_match_probability,
    ).select(pl.col("child_pid").alias("pid"), pl.col("parent_pid"))
    starts = _chosen_spells(spells, program, min_match_probability, exclude_name_only).select(
        pl.col("pid").alias("parent_pid"), month_index(pl.col("start")).alias("_start")
    )
    hit = (
        kids.select("pid", "birth")
        .join(links, on="pid", how="inner")
        .join(starts, on="parent_pid", how="inner")
        .filter(pl.col("_start") < pl.col("birth"))
    )
    return _flagged(kids, hit, "exposed")


def outcome_in_ages(
    kids: pl.LazyFrame,
    spells: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    outcome: str = "DCFS_INVESTIGATION",
    ages: tuple[int, int] = (0, 5),
    min_match_probability: float = 0.0,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """``pid, outcome``: per child of ``kids``, whether ``outcome`` (a program code of
    ``program_spells`` or an event of ``life_events``) falls in a month from the
    ``lo``-th birthday month up to, not including, the ``hi``-th (module docstring). With
    ``ages=(0, 5)``, a spell starting before the month of the fifth birthday."""
    lo, hi = ages
    if outcome in PROGRAMS:
        dated = _chosen_spells(spells, outcome, min_match_probability, exclude_name_only).select(
            "pid",
            month_index(pl.col("start")).alias("_from"),
            month_index(pl.col("end")).alias("_to"),
        )
    elif outcome in EVENTS:
        dated = events.filter(pl.col("event") == outcome).select(
            "pid",
            month_index(pl.col("date")).alias("_from"),
            month_index(pl.col("date")).alias("_to"),
        )
    else:
        raise ValueError(f"outcome {outcome!r}: neither a program nor a life event")
    hit = (
        kids.select("pid", "birth")
        .join(dated, on="pid", how="inner")
        .filter(
            pl.col("_from") < pl.col("birth") + 12 * hi,
            pl.col("_to") >= pl.col("birth") + 12 * lo,
        )
    )
    return _flagged(kids, hit, "outcome")


def child_outcomes(
    spells: pl.LazyFrame,
    persons: pl.LazyFrame,
    family_links: pl.LazyFrame,
    events: pl.LazyFrame,
    *,
    birth_years: Sequence[int],
    exposure: str = "PRISON",
    outcome: str = "DCFS_INVESTIGATION",
    ages: tuple[int, int] = (0, 5),
    roles: Sequence[str] = ROLES,
    min_match_probability: float = 0.0,
    family_match_probability: float | None = None,
    exclude_name_only: bool = False,
) -> pl.LazyFrame:
    """``pid, birth_year, exposure, outcome``: one row per child of :func:`children`
    (alive on their ``hi``-th birthday), ``exposure`` :data:`EXPOSED` or
    :data:`NOT_EXPOSED` (:func:`parent_exposure`), ``outcome`` from
    :func:`outcome_in_ages`. ``family_match_probability`` None applies
    ``min_match_probability`` to the family links too (as :func:`~enclave.studies.
    cohorts.sensitivity` varies it). The estimate :func:`~enclave.studies.cohorts.
    sensitivity` re-runs; the main one is ``share_difference(rows, "exposure",
    "outcome", group=EXPOSED, reference=NOT_EXPOSED)``."""
    family = min_match_probability if family_match_probability is None else family_match_probability
    kids = children(persons, family_links, birth_years=birth_years, alive_age=ages[1])
    exposed = parent_exposure(
        kids,
        family_links,
        spells,
        program=exposure,
        family_match_probability=family,
        min_match_probability=min_match_probability,
        exclude_name_only=exclude_name_only,
        roles=roles,
    )
    measured = outcome_in_ages(
        kids,
        spells,
        events,
        outcome=outcome,
        ages=ages,
        min_match_probability=min_match_probability,
        exclude_name_only=exclude_name_only,
    )
    group = pl.when(pl.col("exposed")).then(pl.lit(EXPOSED)).otherwise(pl.lit(NOT_EXPOSED))
    return (
        kids.join(exposed, on="pid", how="left")
        .join(measured, on="pid", how="left")
        .select("pid", "birth_year", group.alias("exposure"), "outcome")
        .sort("pid")
    )


def by_setting(settings: pl.DataFrame) -> list[tuple[str, pl.DataFrame]]:
    """The rows of :func:`~enclave.studies.cohorts.sensitivity` split by ``setting``, in
    order, for one :func:`~enclave.disclosure.share_difference` per setting (the
    settings overlap, so they are never pooled)."""
    labels = settings.get_column("setting").unique(maintain_order=True).to_list()
    return [(label, settings.filter(pl.col("setting") == label)) for label in labels]


def comparable(rows: pl.DataFrame | pl.LazyFrame) -> bool:
    """Whether per-child rows of :func:`child_outcomes` hold both exposure groups (so a
    difference can be taken), without showing how many each has.

    >>> comparable(pl.DataFrame({"exposure": [EXPOSED, NOT_EXPOSED]}))
    True
    """
    groups = rows.lazy().select(pl.col("exposure").unique()).collect().get_column("exposure")
    return set(groups.to_list()) == {EXPOSED, NOT_EXPOSED}
