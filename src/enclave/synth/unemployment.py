"""Unemployment insurance claims (Employment Security): the claims that follow a job
loss in the world's wage history, and ex-servicemembers' claims after a discharge.

A job loss is the last quarter of a run of quarters with covered wages (the next two
have none). Some of them are followed by a claim: more often when the state's
unemployment is high (more of the losses are layoffs), :data:`LOW_WAGE_RR` times as
often for a low-wage worker (the planted ``ui_claim_low_wage_gap``), never by someone
entering prison or the military, and only by a worker whose base period wages qualify.
The benefit year begins on the Sunday of the week the claim is filed, a few weeks after
the loss; the weekly benefit is 47% of the average weekly wage of the two best base
period quarters, up to the year's maximum; weeks are claimed until the next quarter
with wages, up to 26. A veteran discharged honorably claims ex-servicemembers' UI
(UCX) now and then. Rates and their sources: docs/INTERFACES.md, "Employment Security
UI claims (ides_ui)".

Only the claims of :data:`CLAIM_YEARS` benefit years are drawn, those ending with the
window's second-to-last year (:func:`claim_years`): the extract covers them
(docs/INTERFACES.md says why). Draws come from their own generator, so the other
programs' draws stay as they were.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth.panel import drop_overlaps, to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform

#: benefit years in the extract: those up to the window's second-to-last year (a
#: world's wage history has no job loss in its last year: work then runs to its end)
CLAIM_YEARS = 6
#: ages (on the first day of the quarter after the loss) at which a loss can be claimed
CLAIM_AGES = (18.0, 65.0)
#: chance that a job loss is followed by a claim, in a year of average unemployment
TAKEUP = 0.35
#: Illinois' unemployment rate by year (per cent, annual average, rounded): take-up
#: follows it, relative to :data:`AVERAGE_RATE`; a year not listed counts as average
UNEMPLOYMENT = {
    2000: 4.5, 2001: 5.4, 2002: 6.5, 2003: 6.7, 2004: 6.2, 2005: 5.8, 2006: 4.6, 2007: 5.1,
    2008: 6.4, 2009: 10.0, 2010: 10.4, 2011: 9.7, 2012: 9.0, 2013: 9.1, 2014: 7.1, 2015: 6.0,
    2016: 5.8, 2017: 4.9, 2018: 4.4, 2019: 4.0, 2020: 9.5, 2021: 6.1, 2022: 4.6, 2023: 4.5,
    2024: 5.0,
}  # fmt: skip
AVERAGE_RATE = 6.0
#: a low-wage loss: mean covered wages of the quarters worked among the loss quarter
#: and the three before it below this (2000 dollars, grown as the world's wages grow:
#: about two thirds of the median quarter, the OECD's line of low pay); its claims are
#: this many times as likely (``ui_claim_low_wage_gap``)
LOW_WAGE, WAGE_GROWTH, LOW_WAGE_RR = 7000.0, 1.025, 0.5
#: days from the last day worked to the claim
FILING_DAYS = (0, 29)
#: base period wages that qualify (820 ILCS 405/500 E): a total, and outside the best quarter
BASE_TOTAL, BASE_OUTSIDE_HIGH = 1600.0, 440.0
#: weekly benefit: a share of the average weekly wage of the two best base period
#: quarters, at least the minimum, at most the year's maximum (grown from 2000)
WBA_SHARE, WBA_MIN, WBA_MAX_2000, WBA_MAX_GROWTH = 0.47, 51.0, 296.0, 1.025
#: the most weeks of regular benefits in a benefit year (820 ILCS 405/403)
MAX_WEEKS = 26
#: separation reasons of claims after a job loss, and the share of each disqualified
REASONS = ("LACK_OF_WORK", "VOLUNTARY_QUIT", "DISCHARGE")
REASON_P = (0.8, 0.08, 0.12)
DISQUALIFIED = {"LACK_OF_WORK": 0.0, "VOLUNTARY_QUIT": 0.7, "DISCHARGE": 0.5}
#: weekly chance of leaving the rolls before the day back at work (a job not covered,
#: leaving the labour force, giving up): about 15 weeks claimed on average
EXIT_HAZARD = 0.045
#: an honorable or general discharge is followed by a UCX claim this often, within
#: this many days; its weekly benefit is this share of the year's maximum
UCX_TAKEUP, UCX_DAYS, UCX_WBA = 0.35, (1, 61), (0.45, 0.8)


def _quarter(date: pl.Expr) -> pl.Expr:
    """Quarter index (year * 4 + quarter - 1) of a date."""
    return date.dt.year().cast(pl.Int32) * 4 + (date.dt.month().cast(pl.Int32) - 1) // 3


def _quarter_start(q: pl.Expr) -> pl.Expr:
    return pl.date(q // 4, q % 4 * 3 + 1, 1)


def worked_quarters(wages_df: pl.DataFrame, persons: pl.DataFrame, since: int) -> pl.DataFrame:
    """``person_id, q, wages``: covered wages per person and quarter (all employers) from
    the year ``since`` on, of workers with an SSN (the others are off the books: see
    emit, IDES). Claims need the two years before their first benefit year at most."""
    with_ssn = persons.filter(pl.col("ssn").is_not_null()).select("person_id")
    quarter = pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32) - 1
    return (
        wages_df.filter(pl.col("year") >= since)
        .join(with_ssn, on="person_id", how="semi")
        .group_by("person_id", quarter.alias("q"))
        .agg(pl.col("wages").sum())
        .sort("person_id", "q")
    )


def job_losses(worked: pl.DataFrame, first: int, last: int) -> pl.DataFrame:
    """``person_id, q, recent, next_q``: the last quarter ``q`` of each run of worked
    quarters whose next two quarters have no wages, the next one in ``first``..``last``
    (quarter indexes); ``recent``: the mean wages of the worked quarters among ``q`` and
    the three before it (the pay of the job, whatever its length); ``next_q``: the next
    worked quarter (null: none in the window).

    Two quarters, not one: a single missing wage record (an employer's late report, a
    row a delivery lost) would otherwise look like a loss, and the world's own losses
    are followed by a year without work at least."""
    following = pl.col("q").shift(-1).over("person_id")
    losses = worked.with_columns(following.alias("next_q")).filter(
        following.is_null() | (following > pl.col("q") + 2),
        (pl.col("q") + 1).is_between(first, last),
    )
    before = losses.select("person_id", "q", pl.int_ranges(pl.col("q") - 3, pl.col("q") + 1)
                           .alias("wq")).explode("wq")  # fmt: skip
    recent = (
        before.join(worked.rename({"q": "wq"}), on=["person_id", "wq"])
        .group_by("person_id", "q")
        .agg(pl.col("wages").mean().alias("recent"))
    )
    return losses.join(recent, on=["person_id", "q"]).select("person_id", "q", "recent", "next_q")


def claim_years(p) -> tuple[int, int]:
    """The first and last year of the benefit years drawn (and delivered)."""
    last = max(p.end_year - 1, p.start_year)
    return max(last - CLAIM_YEARS + 1, p.start_year), last


def low_wage(recent: pl.Expr, q: pl.Expr) -> pl.Expr:
    """Whether mean quarterly wages ``recent`` before a loss in quarter ``q`` are low."""
    return recent < LOW_WAGE * WAGE_GROWTH ** (q // 4 - 2000).cast(pl.Float64)


def _max_wba(year: pl.Expr) -> pl.Expr:
    return WBA_MAX_2000 * WBA_MAX_GROWTH ** (year - 2000).cast(pl.Float64)


def ui_claims(
    rng: np.random.Generator,
    py: pl.DataFrame,
    wages_df: pl.DataFrame,
    persons: pl.DataFrame,
    military_df: pl.DataFrame,
    prison_df: pl.DataFrame,
    p,
) -> pl.DataFrame:
    """UI claims (the ``ui_claims`` table) of the benefit years of :func:`claim_years`."""
    first, last = claim_years(p)
    worked = worked_quarters(wages_df, persons, first - 2)
    losses = job_losses(worked, first * 4, last * 4 + 3)
    losses = _claimable(losses, py, persons, military_df, prison_df)
    claims = pl.concat(
        [
            _after_losses(rng, losses, worked, (first, last), p),
            _ucx(rng, py, military_df, worked, (first, last), p),
        ]
    )
    # one benefit year at a time: a claim within a year of the last one opens none
    claims = drop_overlaps(claims.sort("person_id", "byb"), "byb", "_by_end")
    frame = claims.with_columns(to_date(pl.col("byb")).alias("benefit_year_begin"))
    return conform(frame, "ui_claims", ["person_id", "benefit_year_begin"], unique=True)


def _claimable(
    losses: pl.DataFrame,
    py: pl.DataFrame,
    persons: pl.DataFrame,
    military_df: pl.DataFrame,
    prison_df: pl.DataFrame,
) -> pl.DataFrame:
    """Losses a claim can follow: of a person 18-64 present in the state the quarter
    after, not in prison in it, not entering active duty in the loss quarter or the next."""
    after = _quarter_start(pl.col("q") + 1)
    age = (after - pl.col("dob")).dt.total_days() / 365.25
    present = py.select("person_id", "year", "h", "entry", "death")
    out = (
        losses.join(persons.select("person_id", "dob"), on="person_id")
        .filter(age.is_between(*CLAIM_AGES, closed="left"))
        .with_columns(((pl.col("q") + 1) // 4).cast(pl.Int32).alias("year"))
        .join(present, on=["person_id", "year"])
    )
    far = pl.date(9999, 12, 31)
    inside = prison_df.select("person_id", "admit_date", pl.col("release_date").fill_null(far))
    jailed = out.join(inside, on="person_id").filter(
        pl.col("admit_date") < _quarter_start(pl.col("q") + 2),
        pl.col("release_date") >= after,
    )
    entries = military_df.select("person_id", _quarter(pl.col("entry_date")).alias("eq"))
    enlisted = out.join(entries, on="person_id").filter(
        pl.col("eq").is_between(pl.col("q"), pl.col("q") + 1)
    )
    barred = pl.concat([jailed.select("person_id", "q"), enlisted.select("person_id", "q")])
    out = out.join(barred.unique(), on=["person_id", "q"], how="anti")
    return out.sort("person_id", "q")  # joins do not keep order: fix it before drawing


def _in_years(years: tuple[int, int]) -> pl.Expr:
    """Claims whose benefit year begins in ``years`` (first, last; day numbers ``byb``)."""
    return pl.col("byb").is_between(day(years[0]), day(years[1] + 1), closed="left")


def _sunday(days: pl.Expr) -> pl.Expr:
    """The Sunday on or before a day (a day number): a benefit year's first day."""
    return days - days.cast(pl.Date).dt.weekday().cast(pl.Int32) % 7


def _weeks(end: int) -> pl.Expr:
    """Weeks claimed after the waiting week: until the day back at work (a day of the
    next quarter with wages, ``u_back``) or leaving the rolls (``leave`` weeks),
    whichever comes first; at most 26, and none past the window's end or a death."""
    back = _quarter_start(pl.col("next_q")).cast(pl.Int32) + (pl.col("u_back") * 90).cast(pl.Int32)
    until_back = ((back - pl.col("byb")) // 7 - 1).fill_null(MAX_WEEKS)
    stop = pl.min_horizontal(pl.lit(end), pl.col("death"))
    cut = (stop - pl.col("byb")) // 7 - 1
    return pl.min_horizontal(until_back, pl.col("leave"), MAX_WEEKS, cut).clip(0)


def _base_period(frame: pl.DataFrame, worked: pl.DataFrame) -> pl.DataFrame:
    """``total``, ``high`` and ``best_two``: wages of the base period (the first four of
    the last five completed quarters before the benefit year) per claim row."""
    b = _quarter(pl.col("byb").cast(pl.Date))
    quarters = frame.select("_row", "person_id", pl.int_ranges(b - 5, b - 1).alias("wq")).explode(
        "wq"
    )
    wages = quarters.join(worked.rename({"q": "wq"}), on=["person_id", "wq"], how="left")
    ranked = pl.col("wages").fill_null(0.0).sort(descending=True)
    return wages.group_by("_row").agg(
        pl.col("wages").fill_null(0.0).sum().alias("total"),
        ranked.first().alias("high"),
        ranked.head(2).sum().alias("best_two"),
    )


def _after_losses(
    rng: np.random.Generator,
    losses: pl.DataFrame,
    worked: pl.DataFrame,
    years: tuple[int, int],
    p,
) -> pl.DataFrame:
    """Claims after job losses: who claims, when, why, for how much and how long."""
    frame = _draw_claims(rng, losses).filter("claimed")
    frame = frame.with_columns(_sunday(pl.col("filed")).alias("byb")).with_row_index("_row")
    frame = frame.join(_base_period(frame, worked), on="_row", how="left")
    qualifies = (pl.col("total") >= BASE_TOTAL) & (
        pl.col("total") - pl.col("high") >= BASE_OUTSIDE_HIGH
    )
    year = pl.col("byb").cast(pl.Date).dt.year()
    wba = (WBA_SHARE * pl.col("best_two") / 26).floor().clip(WBA_MIN, _max_wba(year).floor())
    out = pl.col("u_out") < pl.col("separation_reason").replace_strict(
        DISQUALIFIED, return_dtype=pl.Float64
    )
    weeks = _weeks(day(p.end_year + 1))
    frame = frame.filter(qualifies, _in_years(years), pl.col("byb") < pl.col("death"))
    return frame.select(
        "person_id",
        "byb",
        (pl.col("byb") + 363).alias("_by_end"),
        pl.lit("UI").alias("program"),
        "separation_reason",
        wba.alias("weekly_benefit"),
        pl.when(out).then(pl.min_horizontal(weeks, 2)).otherwise(weeks).alias("weeks_claimed"),
        pl.when(out).then(0).otherwise(weeks).alias("weeks_paid"),
    )


def _draw_claims(rng: np.random.Generator, losses: pl.DataFrame) -> pl.DataFrame:
    """The losses with their draws: whether claimed, the day filed, the separation
    reason, and the uniforms of disqualification and of the weeks claimed. Every draw is
    made for every loss, so who claims does not move the others' draws."""
    k = losses.height
    unemployment = pl.col("year").replace_strict(
        UNEMPLOYMENT, default=AVERAGE_RATE, return_dtype=pl.Float64
    )
    low = pl.when(low_wage(pl.col("recent"), pl.col("q"))).then(LOW_WAGE_RR).otherwise(1.0)
    rate = (TAKEUP * unemployment / AVERAGE_RATE * low).clip(0.0, 0.95)
    claimed = uniform(rng, losses) < losses.select(rate).to_series()
    start = losses.select(_quarter_start(pl.col("q")).cast(pl.Int32)).to_series().to_numpy()
    filed = start + rng.integers(0, 90, k) + rng.integers(*FILING_DAYS, k)
    reason = np.array(REASONS)[rng.choice(len(REASONS), k, p=REASON_P)]
    return losses.with_columns(
        claimed.alias("claimed"),
        pl.Series("filed", filed),
        pl.Series("separation_reason", reason),
        pl.Series("u_out", rng.random(k)),
        pl.Series("u_back", rng.random(k)),
        pl.Series("leave", rng.geometric(EXIT_HAZARD, k)),
    )


def _ucx(
    rng: np.random.Generator,
    py: pl.DataFrame,
    military_df: pl.DataFrame,
    worked: pl.DataFrame,
    years: tuple[int, int],
    p,
) -> pl.DataFrame:
    """Ex-servicemembers' claims: an honorable or general discharge in the extract's
    years is followed by a claim now and then, paid from the federal schedule."""
    end = day(p.end_year + 1)
    vets = military_df.filter(
        pl.col("discharge_date") >= pl.date(years[0] - 1, 11, 1),
        pl.col("character").is_in(["HONORABLE", "GENERAL"]),
    ).sort("person_id")
    k = vets.height
    frame = vets.select(
        "person_id",
        pl.Series("claimed", rng.random(k) < UCX_TAKEUP),
        (pl.col("discharge_date").cast(pl.Int32) + pl.Series(rng.integers(*UCX_DAYS, k))).alias(
            "filed"
        ),
        pl.Series("share", rng.uniform(*UCX_WBA, k)),
        pl.Series("u_back", rng.random(k)),
        pl.Series("leave", rng.geometric(EXIT_HAZARD, k)),
    ).filter("claimed")
    frame = frame.with_columns(
        _sunday(pl.col("filed")).alias("byb"),
        pl.col("filed").cast(pl.Date).dt.year().cast(pl.Int32).alias("year"),
    )
    frame = frame.join(py.select("person_id", "year", "death"), on=["person_id", "year"])
    later = (
        frame.select("person_id", "byb")
        .join(worked, on="person_id")
        .filter(_quarter_start(pl.col("q")).cast(pl.Int32) > pl.col("byb"))
    )
    back = later.group_by("person_id", "byb").agg(pl.col("q").min().alias("next_q"))
    frame = frame.join(back, on=["person_id", "byb"], how="left").filter(
        _in_years(years), pl.col("byb") < pl.col("death")
    )
    year = pl.col("byb").cast(pl.Date).dt.year()
    return frame.select(
        "person_id",
        "byb",
        (pl.col("byb") + 363).alias("_by_end"),
        pl.lit("UCX").alias("program"),
        pl.lit("MILITARY_SEPARATION").alias("separation_reason"),
        (pl.col("share") * _max_wba(year)).floor().alias("weekly_benefit"),
        _weeks(end).alias("weeks_claimed"),
        _weeks(end).alias("weeks_paid"),
    )
