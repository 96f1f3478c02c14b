"""Work and justice: prison stays and quarterly UI wages."""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth.panel import benefit_months, drop_overlaps, to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform

OFFENSES = ("X", "1", "2", "3", "4")
OFFENSE_P = (0.05, 0.12, 0.18, 0.25, 0.40)
# time served (years): min, max by class
SERVED = {"X": (4.0, 15.0), "1": (2.0, 7.0), "2": (1.0, 4.0), "3": (0.7, 2.5), "4": (0.3, 1.5)}


def prison(rng: np.random.Generator, py: pl.DataFrame, end: int) -> pl.DataFrame:
    """Admissions of adults 18-60, mostly men, more likely in hardship; no overlapping stays."""
    adults = py.filter(pl.col("age").is_between(18, 60))
    base = pl.when(pl.col("sex") == "M").then(0.006).otherwise(0.0008)
    peak = (-(((pl.col("age") - 27) / 10) ** 2) / 2).exp()
    rate = base * peak * (0.9 * pl.col("h")).exp()
    cand = adults.filter(uniform(rng, adults) < adults.select(rate).to_series())
    return conform(_stays(rng, cand, end), "prison", ["person_id", "admit_date"])


def _stays(rng: np.random.Generator, cand: pl.DataFrame, end: int) -> pl.DataFrame:
    """Prison stays from drawn person-years (``person_id, year, county_fips, death,
    entry``): a day in the year, an offense class and its time served; stays a
    person cannot have (before entry, after death, overlapping) dropped."""
    k = cand.height
    cls = rng.choice(len(OFFENSES), size=k, p=OFFENSE_P)
    lo = np.array([SERVED[o][0] for o in OFFENSES])[cls]
    hi = np.array([SERVED[o][1] for o in OFFENSES])[cls]
    admit = np.array([day(y) for y in range(1900, 2101)])[cand["year"].to_numpy() - 1900]
    admit = admit + rng.integers(0, 365, k)
    release = admit + (rng.uniform(lo, hi) * 365).astype(np.int64)
    stays = cand.select("person_id", "county_fips", "death", "entry").with_columns(
        pl.Series("admit", admit),
        pl.Series("release", release),
        pl.Series("offense_class", np.array(OFFENSES)[cls]),
    )
    stays = stays.filter(pl.col("admit") >= pl.col("entry"), pl.col("admit") < pl.col("death"))
    stays = drop_overlaps(stays.sort("person_id", "admit"), "admit", "release")
    release = pl.min_horizontal("release", "death")
    stays = stays.with_columns(
        pl.when(release < end).then(release).alias("release"),
    )
    return stays.with_columns(
        to_date(pl.col("admit")).alias("admit_date"),
        to_date(pl.col("release")).alias("release_date"),
    )


def in_prison_years(prison_df: pl.DataFrame, end_year: int) -> pl.DataFrame:
    """(person_id, year) pairs where the person was in prison on 1 July."""
    s = prison_df.select(
        "person_id",
        pl.col("admit_date").alias("a"),
        pl.col("release_date").fill_null(pl.date(end_year + 1, 1, 1)).alias("r"),
    )
    years = s.with_columns(
        pl.int_ranges(pl.col("a").dt.year(), pl.col("r").dt.year() + 1).alias("year")
    ).explode("year")
    mid = pl.date(pl.col("year"), 7, 1)
    return (
        years.filter((pl.col("a") <= mid) & (pl.col("r") > mid))
        .select("person_id", pl.col("year").cast(pl.Int32))
        .unique()
        .with_columns(pl.lit(True).alias("jailed"))
    )


def employers(rng, n_persons: int) -> tuple[np.ndarray, np.ndarray]:
    """FEIN-like 9-digit employer ids and size weights (a few big employers, many small)."""
    k = max(50, n_persons // 12)
    prefix = rng.choice([36, 37, 20, 26, 27, 45, 46, 47, 81, 82, 83, 84], size=k)
    ids = prefix * 10_000_000 + rng.choice(10_000_000, size=k, replace=False)
    w = 1.0 / np.arange(1, k + 1) ** 0.9
    return pl.Series(ids).cast(pl.String).str.zfill(9).to_numpy(), w / w.sum()


def wages(
    rng, py: pl.DataFrame, prison_df: pl.DataFrame, snap_tanf_df: pl.DataFrame, p
) -> pl.DataFrame:
    """Quarterly UI wages of working-age adults.

    Work is likelier with skill and less likely with hardship; a prison record lowers
    it for good (the planted ``post_release_employment``), while the year after
    leaving TANF raises it (work requirements: ``employment_after_tanf_exit``).
    """
    released = prison_df.group_by("person_id").agg(
        pl.col("admit_date").min().dt.year().cast(pl.Int32).alias("first_admit")
    )
    tanf_years = (
        snap_tanf_df.filter(pl.col("program") == "TANF")
        .select("person_id", pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .unique()
    )
    after_tanf = tanf_years.join(
        tanf_years.with_columns(pl.col("year") - 1), on=["person_id", "year"], how="anti"
    ).select("person_id", (pl.col("year") + 1).alias("year"), pl.lit(True).alias("left_tanf"))
    adults = (
        py.filter(pl.col("age").is_between(16, 70), pl.col("jailed").is_null())
        .select("person_id", "year", "age", "h", "skill", "entry", "death")
        .join(released, on="person_id", how="left")
        .join(after_tanf, on=["person_id", "year"], how="left")
        .sort("person_id", "year")
    )
    age = pl.col("age")
    prime = pl.when(age < 22).then(-0.6).when(age > 62).then(-0.9).otherwise(0.4)
    record = (pl.col("first_admit") < pl.col("year")).fill_null(False)
    latent = (
        0.75 + prime + pl.col("skill") - 0.7 * pl.col("h")
        - pl.when(record).then(0.8).otherwise(0.0)
        + pl.when(pl.col("left_tanf")).then(0.8).otherwise(0.0)
    )  # fmt: skip
    noise = pl.Series(rng.normal(0, 0.6, adults.height))
    work = adults.filter(adults.select(latent).to_series() + noise > 0)
    work = benefit_months(work, rng, "person_id", p)
    # quarters from months: the run's partial first/last year become partial quarters
    q0, q1 = (pl.col("m0") - 1) // 3 + 1, (pl.col("m1") - 1) // 3 + 1
    work = work.select(
        "person_id", "year", "skill", "h", "entry", "death",
        pl.int_ranges(q0, q1 + 1, dtype=pl.Int8).alias("quarter"),
    ).explode("quarter")  # fmt: skip
    # employer: kept from year to year with probability 0.8
    ids, w = employers(rng, int(py["person_id"].max()))
    work = work.sort("person_id", "year", "quarter")
    # a new job after a gap in work, or (one time in 20 per quarter) a change of employer
    qi = pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32)
    gap = (qi - qi.shift(1) != 1) | (pl.col("person_id") != pl.col("person_id").shift(1))
    change = pl.Series(rng.random(work.height) < 0.05)
    work = work.with_columns((gap.fill_null(True) | change).alias("new_job"))
    work = work.with_columns(pl.col("new_job").cum_sum().alias("job"))
    n_jobs = int(work["job"].max() or 0) + 1
    emp = pl.DataFrame(
        {"job": np.arange(n_jobs), "employer_id": ids[rng.choice(len(ids), n_jobs, p=w)]}
    )
    work = work.join(emp.cast({"job": work.schema["job"]}), on="job", how="left")
    qstart = pl.date(pl.col("year"), (pl.col("quarter") - 1) * 3 + 1, 1).cast(pl.Int32)
    work = work.filter(qstart < pl.col("death"), qstart + 90 >= pl.col("entry"))
    base = 9000 * (pl.col("skill") * 0.5 - 0.25 * pl.col("h")).exp()
    growth = 1.025 ** (pl.col("year") - 2000)
    work = work.sort("person_id", "year", "quarter")
    lognorm = pl.Series(rng.lognormal(0, 0.35, work.height))
    pay = (base * growth * lognorm).round(2)
    work = work.with_columns(pay.alias("wages"))
    return conform(
        _last_pay(rng, work), "wages", ["person_id", "year", "quarter", "employer_id"], unique=True
    )


def _last_pay(rng, work: pl.DataFrame) -> pl.DataFrame:
    """In most quarters where someone changes employer, the old one also reports wages."""
    qi = pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32)
    switch = work.with_columns(
        pl.col("employer_id").shift(1).over("person_id").alias("prev_emp"),
        (qi - qi.shift(1).over("person_id")).alias("step"),
    ).filter(pl.col("new_job"), pl.col("step") == 1, pl.col("prev_emp") != pl.col("employer_id"))
    k = switch.height
    extra = (
        switch.with_columns(
            pl.Series("keep", rng.random(k) < 0.6), pl.Series("frac", rng.uniform(0.15, 0.6, k))
        )
        .filter("keep")
        .select(
            "person_id",
            "year",
            "quarter",
            pl.col("prev_emp").alias("employer_id"),
            (pl.col("wages") * pl.col("frac")).round(2).alias("wages"),
        )
    )
    return pl.concat([work.select(extra.columns), extra])
