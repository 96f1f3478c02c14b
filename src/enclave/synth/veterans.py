"""Military service and the veterans' programs that follow it (Veterans' Affairs).

Who served: a share of each birth cohort by sex (the draft cohorts of the Second
World War, Korea and Vietnam, then the all-volunteer force), entering active duty at
18-22 for a few years, a few for a career; each with a branch and a character of
service, as a DD-214 records them. Nobody with an SSN-less record, a prison or youth
custody stay before discharge, or a death before it, is a veteran. UI-covered wages
stop while on active duty (military pay is not in the state's wage records).

What follows: claims a veterans service officer files with the U.S. VA (health care,
education and compensation soon after discharge; compensation and pension later,
more at 65 and over), and admissions to the Illinois Veterans' Homes at 70 and over,
:data:`CCP_RR` times likelier for a veteran already in the Department on Aging's
community care (the planted ``veterans_home_after_ccp``); community care ends at the
admission. Rates and their sources: docs/INTERFACES.md, "Veterans' Affairs (idva)".

Draws come from their own generator (seeded from ``synth.seed``), so the other
programs' draws stay as they were.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth.panel import drop_overlaps, to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform

#: share of persons who ever served on active duty, by sex and birth cohort (the first
#: birth year of each cohort): the Second World War, Korea, the Vietnam-era draft,
#: then the all-volunteer force
MEN = ((1900, 0.40), (1915, 0.75), (1928, 0.60), (1935, 0.40), (1946, 0.30), (1953, 0.12),
       (1961, 0.07), (1976, 0.05))  # fmt: skip
WOMEN = ((1900, 0.005), (1915, 0.02), (1928, 0.008), (1950, 0.012), (1961, 0.015))
#: age at entry into active duty: 18 plus up to this many years
ENTRY_AGES = (18.0, 22.0)
#: the draft ended on 1 July 1973: before, two years or so; after, enlistment terms
DRAFT_END = day(1973, 7, 1)
DRAFT_YEARS = (1.5, 3.5)
TERMS, TERM_P = (2.0, 3.0, 4.0, 6.0), (0.1, 0.25, 0.45, 0.2)
#: share who stay for a career (20-26 years, then retire)
CAREER_SHARE, CAREER_YEARS = 0.1, (20.0, 26.0)
#: character of service (DD-214 block 24), an entry-level separation (uncharacterized)
#: lasting under 180 days
CHARACTERS = ("HONORABLE", "GENERAL", "OTHER_THAN_HONORABLE", "BAD_CONDUCT", "DISHONORABLE",
              "UNCHARACTERIZED")  # fmt: skip
CHARACTER_P = (0.84, 0.08, 0.035, 0.01, 0.005, 0.03)
#: branch shares before the Air Force existed (September 1947) and after
BRANCHES = ("ARMY", "NAVY", "AIR_FORCE", "MARINE_CORPS", "COAST_GUARD")
BRANCH_P_BEFORE = (0.66, 0.27, 0.0, 0.05, 0.02)
BRANCH_P_AFTER = (0.45, 0.24, 0.19, 0.10, 0.02)
AIR_FORCE_FROM = day(1947, 9, 18)

#: yearly chance of a claim filed with a veterans service officer: any year after
#: discharge, doubled at 65 and over, more in hardship; and in the two years after
#: discharge, on top, the claims of leaving the service
CLAIM_RATE, OLD_AGE, HARDSHIP = 0.01, 65.0, 0.3
RECENT_RATE, RECENT_YEARS = 0.15, 2
#: claim types soon after discharge, before 65, at 65 and over
CLAIM_TYPES = ("COMPENSATION", "PENSION", "HEALTH_CARE", "EDUCATION")
RECENT_P, YOUNGER_P, OLDER_P = (
    (0.3, 0.0, 0.35, 0.35),
    (0.55, 0.1, 0.35, 0.0),
    (0.35, 0.35, 0.3, 0.0),
)
#: days to a decision: a floor plus a gamma draw (mean, days) per type; the VA's rating
#: backlog of 2010-2013 made compensation and pension claims wait longer
DECISION_DAYS = {"COMPENSATION": (60, 120), "PENSION": (45, 90), "HEALTH_CARE": (7, 20),
                 "EDUCATION": (14, 30)}  # fmt: skip
BACKLOG_YEARS, BACKLOG_FACTOR = (2010, 2013), 1.6
#: chance a claim is granted, by type; none for a dishonorable or bad-conduct discharge
#: (a statutory bar), a quarter as often other than honorable, half as often
#: uncharacterized
GRANT_P = {"COMPENSATION": 0.6, "PENSION": 0.5, "HEALTH_CARE": 0.9, "EDUCATION": 0.9}
CHARACTER_GRANT = {"DISHONORABLE": 0.0, "BAD_CONDUCT": 0.0, "OTHER_THAN_HONORABLE": 0.25,
                   "UNCHARACTERIZED": 0.5}  # fmt: skip

#: veterans' homes admit veterans from this age (on 1 July), honorable or general only
HOME_AGE, HOME_RATE = 70.0, 0.0025
#: rate ratio of an admission once in the Department on Aging's community care
#: (``veterans_home_after_ccp``)
CCP_RR = 4.0
#: rate ratio in the last years of life (frailty brings both the admission and the death)
NEAR_DEATH_RR, NEAR_DEATH_YEARS = 8.0, 2
#: length of a stay: a gamma draw (shape, scale in days): about two years on average
STAY_SHAPE, STAY_SCALE = 1.2, 600.0
#: Illinois Veterans' Homes by IDVA code: the first year each admitted, and its share of
#: admissions (about its beds)
HOMES = {"QCY": (1886, 0.35), "MAN": (1986, 0.25), "LAS": (1990, 0.2), "ANN": (1975, 0.07),
         "CHI": (2019, 0.13)}  # fmt: skip


def _share(sex: pl.Expr, born: pl.Expr) -> pl.Expr:
    """The cohort share who served (:data:`MEN`, :data:`WOMEN`) of a sex and birth year."""

    def steps(table: tuple[tuple[int, float], ...]) -> pl.Expr:
        out = pl.lit(0.0)
        for first, share in table:
            out = pl.when(born >= first).then(share).otherwise(out)
        return out

    return pl.when(sex == "M").then(steps(MEN)).otherwise(steps(WOMEN))


def military(
    rng: np.random.Generator,
    persons: pl.DataFrame,
    prison_df: pl.DataFrame,
    djj_df: pl.DataFrame,
    p,
) -> pl.DataFrame:
    """Active-duty service (the ``military`` table): one row per veteran, with branch,
    entry, discharge (null: still serving at the window's end) and character."""
    end = day(p.end_year + 1)
    people = persons.filter(pl.col("ssn").is_not_null()).sort("person_id")
    service = _draw_service(rng, people)
    death = pl.col("death_date").cast(pl.Int32)
    service = service.filter(
        pl.col("served"), pl.col("entry") < end, death.is_null() | (death > pl.col("release"))
    )
    service = _without_records_before_discharge(service, [prison_df, djj_df])
    discharged = pl.when(pl.col("release") < end).then(to_date(pl.col("release")))
    frame = service.with_columns(
        to_date(pl.col("entry")).alias("entry_date"), discharged.alias("discharge_date")
    )
    return conform(frame, "military", ["person_id"], unique=True)


def _draw_service(rng: np.random.Generator, people: pl.DataFrame) -> pl.DataFrame:
    """Whether each person served, and when, how long, in which branch, discharged how
    (day numbers). Every draw is made for every person, in person order, so who
    qualifies does not move the draws of the others."""
    n = people.height
    share = people.select(_share(pl.col("sex"), pl.col("dob").dt.year())).to_series()
    served = rng.random(n) < share.to_numpy()
    born = people["dob"].cast(pl.Int32).to_numpy()
    entry = born + (rng.uniform(*ENTRY_AGES, n) * 365.25).astype(np.int64)
    drafted = rng.uniform(*DRAFT_YEARS, n)
    term = rng.choice(TERMS, n, p=TERM_P) + rng.uniform(-0.1, 0.1, n)
    career = rng.random(n) < CAREER_SHARE
    enlisted = np.where(entry < DRAFT_END, drafted, term)
    years = np.where(career, rng.uniform(*CAREER_YEARS, n), enlisted)
    character = np.array(CHARACTERS)[rng.choice(len(CHARACTERS), n, p=CHARACTER_P)]
    character = np.where(career, "HONORABLE", character)
    days = np.where(character == "UNCHARACTERIZED", rng.integers(30, 180, n), years * 365.25)
    before = rng.choice(len(BRANCHES), n, p=BRANCH_P_BEFORE)
    after = rng.choice(len(BRANCHES), n, p=BRANCH_P_AFTER)
    branch = np.array(BRANCHES)[np.where(entry < AIR_FORCE_FROM, before, after)]
    return people.select("person_id", "death_date").with_columns(
        pl.Series("served", served),
        pl.Series("entry", entry),
        pl.Series("release", entry + days.astype(np.int64)),
        pl.Series("branch", branch),
        pl.Series("character", character),
    )


def _without_records_before_discharge(
    service: pl.DataFrame, stays: list[pl.DataFrame]
) -> pl.DataFrame:
    """Service drawn for a person admitted to prison or youth custody before its end is
    not theirs: a felony record bars enlistment, and a stay cannot fall in service."""
    admits = pl.concat([s.select("person_id", pl.col("admit_date").cast(pl.Int32)) for s in stays])
    barred = service.join(admits, on="person_id").filter(pl.col("admit_date") < pl.col("release"))
    return service.join(barred.select("person_id").unique(), on="person_id", how="anti")


def _quarter(date: pl.Expr) -> pl.Expr:
    """Quarter index (year * 4 + quarter - 1) of a date."""
    return date.dt.year().cast(pl.Int32) * 4 + (date.dt.month().cast(pl.Int32) - 1) // 3


def without_service_wages(
    wages_df: pl.DataFrame, military_df: pl.DataFrame, end_year: int
) -> pl.DataFrame:
    """Wages less the quarters a veteran spent wholly on active duty (military pay is
    reported to the federal government, not to the state's UI wage records)."""
    entry, after = pl.col("entry_date"), pl.col("discharge_date") + pl.duration(days=1)
    starts_quarter = entry == entry.dt.truncate("1q")
    first = _quarter(entry) + pl.when(starts_quarter).then(0).otherwise(1)
    last = pl.when(after.is_null()).then((end_year + 1) * 4).otherwise(_quarter(after)) - 1
    service = (
        military_df.select("person_id", pl.int_ranges(first, last + 1).alias("q"))
        .explode("q")
        .drop_nulls("q")
        .select(
            "person_id",
            (pl.col("q") // 4).cast(pl.Int32).alias("year"),
            (pl.col("q") % 4 + 1).cast(pl.Int8).alias("quarter"),
        )
    )
    return wages_df.join(
        service, on=["person_id", "year", "quarter"], how="anti", maintain_order="left"
    )


def _veteran_years(py: pl.DataFrame, military_df: pl.DataFrame) -> pl.DataFrame:
    """Person-years of veterans after their discharge year, outside prison."""
    vets = military_df.filter(pl.col("discharge_date").is_not_null()).select(
        "person_id", "discharge_date", "character"
    )
    return (
        py.join(vets, on="person_id")
        .filter(pl.col("year") > pl.col("discharge_date").dt.year(), pl.col("jailed").is_null())
        .sort("person_id", "year")  # joins do not keep order: fix it before drawing
    )


def idva(
    rng: np.random.Generator, py: pl.DataFrame, military_df: pl.DataFrame, ccp_df: pl.DataFrame, p
) -> pl.DataFrame:
    """IDVA's benefit spells (the ``idva`` table): claims, then veterans' home stays."""
    years = _veteran_years(py, military_df)
    claims = _claims(rng, years, p)
    homes = _homes(rng, years, ccp_df, p)
    frame = pl.concat([claims, homes], how="diagonal_relaxed")
    return conform(frame, "idva", ["person_id", "start", "program", "claim_type"])


def _in_year(rng: np.random.Generator, rows: pl.DataFrame) -> np.ndarray:
    """A day of each row's year."""
    jan1 = rows.select(pl.date("year", 1, 1).cast(pl.Int32)).to_series().to_numpy()
    return jan1 + rng.integers(0, 365, rows.height)


def _claims(rng: np.random.Generator, years: pl.DataFrame, p) -> pl.DataFrame:
    """Claims from veteran-years, their type, decision day and disposition."""
    end = day(p.end_year + 1)
    recent = (pl.col("year") - pl.col("discharge_date").dt.year()) <= RECENT_YEARS
    old = pl.col("age") >= OLD_AGE
    rate = CLAIM_RATE * pl.when(old).then(2.0).otherwise(1.0) * (HARDSHIP * pl.col("h")).exp()
    rate = rate + pl.when(recent).then(RECENT_RATE).otherwise(0.0)
    filed = years.filter(uniform(rng, years) < years.select(rate).to_series())
    k = filed.height
    filed = filed.with_columns(pl.Series("start_d", _in_year(rng, filed)))
    group = filed.select(pl.when(recent).then(0).when(old).then(2).otherwise(1)).to_series()
    u = rng.random(k)
    kinds = np.empty(k, dtype=object)
    for g, probs in enumerate((RECENT_P, YOUNGER_P, OLDER_P)):
        picks = np.searchsorted(np.cumsum(probs), u, side="right").clip(0, len(probs) - 1)
        kinds = np.where(group.to_numpy() == g, np.array(CLAIM_TYPES)[picks], kinds)
    kinds = pl.Series("claim_type", kinds, dtype=pl.String)
    floor, mean = (
        kinds.replace_strict({t: d[i] for t, d in DECISION_DAYS.items()}, return_dtype=pl.Float64)
        for i in (0, 1)
    )
    wait = floor.to_numpy() + rng.gamma(2.0, 1.0, k) * mean.to_numpy() / 2
    year = filed["year"].to_numpy()
    backlog = (year >= BACKLOG_YEARS[0]) & (year <= BACKLOG_YEARS[1])
    backlogged = backlog & kinds.is_in(["COMPENSATION", "PENSION"]).to_numpy()
    wait = np.where(backlogged, wait * BACKLOG_FACTOR, wait).astype(np.int64)
    barred = filed["character"].replace_strict(CHARACTER_GRANT, default=1.0,
                                               return_dtype=pl.Float64)  # fmt: skip
    grant = (kinds.replace_strict(GRANT_P, return_dtype=pl.Float64) * barred).to_numpy()
    granted = rng.random(k) < grant
    filed = filed.with_columns(
        kinds,
        pl.Series("decided", filed["start_d"].to_numpy() + wait),
        pl.Series("granted", granted),
    ).filter(pl.col("start_d") >= pl.col("entry"), pl.col("start_d") < pl.col("death"),
             pl.col("start_d") < end)  # fmt: skip
    died = pl.col("death") <= pl.col("decided")
    stop = pl.min_horizontal("decided", "death")
    disposition = (
        pl.when(died).then(pl.lit("DIED"))
        .when(pl.col("granted")).then(pl.lit("GRANTED"))
        .otherwise(pl.lit("DENIED"))
    )  # fmt: skip
    return filed.select(
        "person_id",
        pl.lit("CLAIM").alias("program"),
        "claim_type",
        pl.lit(None, pl.String).alias("home"),
        to_date(pl.col("start_d")).alias("start"),
        pl.when(stop < end).then(to_date(stop)).alias("end"),
        pl.when(stop < end).then(disposition).alias("outcome"),
    )


def in_community_care(ccp_df: pl.DataFrame) -> pl.DataFrame:
    """``person_id, ccp_since``: the start of each person's first community care episode."""
    return ccp_df.group_by("person_id").agg(pl.col("start").min().alias("ccp_since"))


def _homes(rng: np.random.Generator, years: pl.DataFrame, ccp_df: pl.DataFrame, p) -> pl.DataFrame:
    """Veterans' home stays: admissions at 70 and over (honorable or general service),
    likelier in hardship and far likelier once in community care; one stay at a time."""
    end = day(p.end_year + 1)
    old = years.filter(
        pl.col("age") >= HOME_AGE, pl.col("character").is_in(["HONORABLE", "GENERAL"])
    )
    old = old.join(in_community_care(ccp_df), on="person_id", how="left").sort("person_id", "year")
    mid = pl.date(pl.col("year"), 7, 1)
    in_care = (pl.col("ccp_since") < mid).fill_null(False)
    frail = pl.col("death") - mid.cast(pl.Int32) < NEAR_DEATH_YEARS * 365
    rate = (
        HOME_RATE
        * (HARDSHIP * pl.col("h")).exp()
        * pl.when(in_care).then(CCP_RR).otherwise(1.0)
        * pl.when(frail).then(NEAR_DEATH_RR).otherwise(1.0)
    )
    admitted = old.filter(uniform(rng, old) < old.select(rate).to_series())
    k = admitted.height
    admitted = admitted.with_columns(pl.Series("start_d", _in_year(rng, admitted)))
    stay = (rng.gamma(STAY_SHAPE, STAY_SCALE, k) + 14).astype(np.int64)
    admitted = admitted.with_columns(
        pl.Series("release", admitted["start_d"].to_numpy() + stay),
        _home(rng, admitted),
    ).filter(pl.col("start_d") >= pl.col("entry"), pl.col("start_d") < pl.col("death"),
             pl.col("start_d") < end)  # fmt: skip
    admitted = drop_overlaps(admitted.sort("person_id", "start_d"), "start_d", "release")
    died = pl.col("death") <= pl.col("release")
    stop = pl.min_horizontal("release", "death")
    return admitted.select(
        "person_id",
        pl.lit("HOME").alias("program"),
        pl.lit(None, pl.String).alias("claim_type"),
        "home",
        to_date(pl.col("start_d")).alias("start"),
        pl.when(stop < end).then(to_date(stop)).alias("end"),
        pl.when(stop < end)
        .then(pl.when(died).then(pl.lit("DIED")).otherwise(pl.lit("DISCHARGED")))
        .alias("outcome"),
    )


def _home(rng: np.random.Generator, admitted: pl.DataFrame) -> pl.Series:
    """The home: one of those admitting that year, in proportion to its share."""
    k = admitted.height
    names = np.array(list(HOMES))
    year = admitted["year"].to_numpy()
    first = np.array([first for first, _ in HOMES.values()])
    share = np.array([share for _, share in HOMES.values()])
    weights = np.where(first[None, :] <= year[:, None], share[None, :], 0.0)
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    pick = (cumulative < rng.random(k)[:, None]).sum(axis=1)
    return pl.Series("home", names[pick], dtype=pl.String)


def ccp_around_homes(ccp_df: pl.DataFrame, idva_df: pl.DataFrame) -> pl.DataFrame:
    """Community care squared with veterans' home stays: an episode starting during a
    stay is dropped; one still running at an admission ends the day before."""
    far = pl.date(9999, 12, 31)
    stays = idva_df.filter(pl.col("program") == "HOME").select(
        "person_id", pl.col("start").alias("h_start"), pl.col("end").alias("h_end")
    )
    pairs = ccp_df.select("person_id", "start", "end", "service_type").join(stays, on="person_id")
    inside = pairs.filter(
        pl.col("h_start") <= pl.col("start"), pl.col("start") <= pl.col("h_end").fill_null(far)
    )
    keys = ["person_id", "start", "service_type"]
    cut = (
        pairs.filter(
            pl.col("h_start") > pl.col("start"), pl.col("h_start") <= pl.col("end").fill_null(far)
        )
        .group_by(keys)
        .agg(pl.col("h_start").min().alias("_to"))
    )
    out = ccp_df.join(inside.select(keys), on=keys, how="anti").join(cut, on=keys, how="left")
    out = out.with_columns(
        pl.when(pl.col("_to").is_not_null())
        .then(pl.col("_to") - pl.duration(days=1))
        .otherwise(pl.col("end"))
        .alias("end")
    ).drop("_to")
    return conform(out, "ccp", ["person_id", "start", "service_type"])
