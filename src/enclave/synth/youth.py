"""Youth custody (Juvenile Justice): commitments of 13-17 year olds to the state's
youth centres, and the adult prison admissions that follow them.

A youth's yearly chance of a DJJ admission grows with the unit's hardship, is far
higher for boys, falls over the window as the state's youth custody did, and is
:data:`PLACEMENT_RR` times higher once the youth has been placed by child welfare
(the planted ``djj_after_placement``). A first admission is a commitment or a court
evaluation (often followed by a commitment); a release to aftercare is sometimes
followed by a return for an aftercare violation. Youth leaving DJJ are more likely to
be admitted to adult prison at 18-24 (:data:`AFTER_DJJ_HAZARD`). Rates and their
sources: docs/INTERFACES.md, "Juvenile Justice (djj)".

Draws come from their own generator (seeded from ``synth.seed``), so adding youth
custody leaves every other program's draws as they were.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth.panel import drop_overlaps, to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform
from enclave.synth.work import _stays

#: ages (on 1 July) at which a youth can be committed: 13 (705 ILCS 405/5-750) to 17
ADMIT_AGES = (13.0, 18.0)
#: yearly admission hazard at 13-17 before hardship, trend and placement: boys, girls
BOYS, GIRLS = 0.006, 0.0008
HARDSHIP = 0.9
#: the hazard falls linearly from the first to the last year of the window, to this
#: share of where it started (admissions fell by about three quarters, 2000-2020)
TREND_TO = 0.25
#: rate ratio once the youth has a child welfare placement (``djj_after_placement``)
PLACEMENT_RR = 3.0
#: first admissions that are a 30-day court evaluation, and evaluations then committed
EVALUATION_SHARE, EVALUATION_THEN_COMMITTED = 0.25, 0.5
#: commitments released to aftercare (the rest are discharged), and aftercare
#: releases returned for an aftercare violation
AFTERCARE_SHARE, VIOLATION_SHARE = 0.85, 0.25
#: the age at which DJJ custody ends (youth are released or transferred)
AGE_OUT = 21
#: added yearly hazard of an adult prison admission at 18-24 after a DJJ stay
AFTER_DJJ_HAZARD = 0.06
AFTER_DJJ_AGES = (18.0, 25.0)
#: youth centres by sex, and the years each received youth (Joliet and Murphysboro
#: closed in 2013, Kewanee in 2016); boys' evaluations are at the St. Charles reception
BOYS_CENTRES = {
    "STC": (1990, 2100),
    "HAR": (1990, 2100),
    "JOL": (1990, 2012),
    "MUR": (1997, 2012),
    "KEW": (2001, 2015),
    "PMQ": (1990, 2100),
    "CHI": (1990, 2100),
}
GIRLS_CENTRE, RECEPTION = "WAR", "STC"


def placed_since(dcfs_df: pl.DataFrame) -> pl.DataFrame:
    """``person_id, placed``: the start of each child's first child welfare placement."""
    return (
        dcfs_df.filter(pl.col("event_type") == "PLACEMENT")
        .group_by("person_id")
        .agg(pl.col("start").min().alias("placed"))
    )


def djj(rng: np.random.Generator, py: pl.DataFrame, dcfs_df: pl.DataFrame, p) -> pl.DataFrame:
    """DJJ stays (the ``djj`` table): admissions, their types, centres and releases."""
    end = day(p.end_year + 1)
    youth = py.filter(pl.col("age") >= ADMIT_AGES[0], pl.col("age") < ADMIT_AGES[1])
    youth = youth.join(placed_since(dcfs_df), on="person_id", how="left")
    youth = youth.sort("person_id", "year")  # joins do not keep order: fix it before drawing
    span = max(p.end_year - p.start_year, 1)
    trend = 1 - (1 - TREND_TO) * (pl.col("year") - p.start_year) / span
    placed = (pl.col("placed") < pl.date(pl.col("year"), 7, 1)).fill_null(False)
    rate = (
        pl.when(pl.col("sex") == "M").then(BOYS).otherwise(GIRLS)
        * trend
        * (HARDSHIP * pl.col("h")).exp()
        * pl.when(placed).then(PLACEMENT_RR).otherwise(1.0)
    )
    first = youth.filter(uniform(rng, youth) < youth.select(rate).to_series())
    k = first.height
    jan1 = first.select(pl.date("year", 1, 1).cast(pl.Int32)).to_series().to_numpy()
    admit = jan1 + rng.integers(0, 365, k)
    evaluation = rng.random(k) < EVALUATION_SHARE
    stays = first.select("person_id", "sex", "dob", "county_fips", "entry", "death").with_columns(
        pl.Series("admit", admit),
        pl.Series("admission_type", np.where(evaluation, "COURT_EVALUATION", "COMMITMENT")),
    )
    stays = stays.with_columns(_length(rng, stays))
    evaluations = stays.filter(pl.col("admission_type") == "COURT_EVALUATION")
    committed = evaluations.filter(uniform(rng, evaluations) < EVALUATION_THEN_COMMITTED)
    stays = pl.concat([stays, _next_stay(rng, committed, (1, 31), "COMMITMENT")])
    released = stays.filter(pl.col("release_reason") == "AFTERCARE")
    returned = released.filter(uniform(rng, released) < VIOLATION_SHARE)
    stays = pl.concat([stays, _next_stay(rng, returned, (30, 366), "AFTERCARE_VIOLATION")])
    stays = stays.filter(
        pl.col("admit") >= pl.col("entry"), pl.col("admit") < pl.col("death"), pl.col("admit") < end
    )
    stays = drop_overlaps(stays.sort("person_id", "admit"), "admit", "release")
    return _releases(rng, stays, end)


def _next_stay(
    rng: np.random.Generator, stays: pl.DataFrame, gap: tuple[int, int], kind: str
) -> pl.DataFrame:
    """A ``kind`` admission ``gap`` days (low, high) after each of ``stays`` ends."""
    after = pl.Series(rng.integers(*gap, stays.height))
    nxt = stays.with_columns(
        (pl.col("release") + after).alias("admit"), pl.lit(kind).alias("admission_type")
    )
    return nxt.with_columns(_length(rng, nxt))


def _length(rng: np.random.Generator, stays: pl.DataFrame) -> list[pl.Series]:
    """``release`` and ``release_reason`` of stays by admission type: evaluations last
    3-12 weeks, commitments about 9 months (gamma), violators 2-6 months."""
    k = stays.height
    kind = stays["admission_type"].to_numpy()
    days = np.where(
        kind == "COURT_EVALUATION",
        rng.integers(20, 90, k),
        np.where(
            kind == "COMMITMENT",
            60 + rng.gamma(2.0, 105.0, k).astype(np.int64),
            rng.integers(60, 180, k),
        ),
    )
    aftercare = rng.random(k) < AFTERCARE_SHARE
    reason = np.where(
        kind == "COURT_EVALUATION",
        "EVALUATION_COMPLETE",
        np.where(aftercare, "AFTERCARE", "DISCHARGE"),
    )
    return [
        pl.Series("release", stays["admit"].to_numpy() + days),
        pl.Series("release_reason", reason),
    ]


def _releases(rng: np.random.Generator, stays: pl.DataFrame, end: int) -> pl.DataFrame:
    """Age-out, death and the end of the window cut releases; the centre is drawn."""
    age_out = (pl.col("dob").dt.offset_by(f"{AGE_OUT}y").cast(pl.Int32) - 1).alias("_out")
    stays = stays.with_columns(age_out)
    release = pl.min_horizontal("release", "_out", "death")
    reason = (
        pl.when(pl.col("death") <= pl.min_horizontal("release", "_out"))
        .then(pl.lit("DIED"))
        .when(pl.col("_out") < pl.col("release"))
        .then(pl.lit("AGED_OUT"))
        .otherwise(pl.col("release_reason"))
    )
    stays = stays.with_columns(reason.alias("release_reason"), release.alias("release"))
    in_custody = pl.col("release") >= end
    stays = stays.with_columns(
        pl.when(~in_custody).then(pl.col("release_reason")).alias("release_reason"),
        pl.when(~in_custody).then(pl.col("release")).alias("release"),
    )
    stays = stays.sort("person_id", "admit").with_columns(_centre(rng, stays))
    frame = stays.with_columns(
        to_date(pl.col("admit")).alias("admit_date"),
        to_date(pl.col("release")).alias("release_date"),
    )
    return conform(frame, "djj", ["person_id", "admit_date"])


def _centre(rng: np.random.Generator, stays: pl.DataFrame) -> pl.Series:
    """The youth centre: girls at Warrenville, boys' evaluations at the St. Charles
    reception centre, other boys at one of the centres open that year."""
    k = stays.height
    year = stays.select(to_date(pl.col("admit")).dt.year()).to_series().to_numpy()
    names = np.array(list(BOYS_CENTRES))
    open_ = np.array([[lo <= y <= hi for lo, hi in BOYS_CENTRES.values()] for y in year])
    weights = open_.reshape(k, len(names)) * rng.random((k, len(names)))
    boys = names[weights.argmax(axis=1)] if k else np.array([], dtype=str)
    girls = stays["sex"].cast(pl.String).to_numpy() == "F"
    evaluation = stays["admission_type"].to_numpy() == "COURT_EVALUATION"
    centre = np.where(girls, GIRLS_CENTRE, np.where(evaluation, RECEPTION, boys))
    return pl.Series("facility", centre, dtype=pl.String)


def after_djj_prison(
    rng: np.random.Generator, py: pl.DataFrame, djj_df: pl.DataFrame, prison_df: pl.DataFrame, p
) -> pl.DataFrame:
    """The prison table with the adult admissions that follow DJJ stays added: at
    18-24, after the last DJJ release, a yearly :data:`AFTER_DJJ_HAZARD` (more in
    hardship); an added stay overlapping a stay already drawn is not added."""
    end = day(p.end_year + 1)
    left = djj_df.group_by("person_id").agg(
        pl.col("release_date").max().dt.year().alias("_left"),
        pl.col("release_date").null_count().alias("_open"),
    )
    adults = py.join(left.filter(pl.col("_open") == 0), on="person_id").filter(
        pl.col("age") >= AFTER_DJJ_AGES[0],
        pl.col("age") < AFTER_DJJ_AGES[1],
        pl.col("year") > pl.col("_left"),
    )
    adults = adults.sort("person_id", "year")  # joins do not keep order: fix it before drawing
    rate = AFTER_DJJ_HAZARD * (0.5 * pl.col("h")).exp()
    cand = adults.filter(uniform(rng, adults) < adults.select(rate).to_series())
    added = _stays(rng, cand, end).select(prison_df.columns).cast({"county_fips": pl.String})
    far = pl.date(9999, 12, 31)
    clash = added.join(prison_df, on="person_id", suffix="_old").filter(
        pl.col("admit_date") <= pl.col("release_date_old").fill_null(far),
        pl.col("admit_date_old") <= pl.col("release_date").fill_null(far),
    )
    added = added.join(clash.select("person_id", "admit_date"), on=["person_id", "admit_date"],
                       how="anti")  # fmt: skip
    return conform(pl.concat([prison_df, added]), "prison", ["person_id", "admit_date"])


def transfer_to_prison(djj_df: pl.DataFrame, prison_df: pl.DataFrame) -> pl.DataFrame:
    """DJJ stays squared with adult prison: a stay admitted while the youth is in
    prison is dropped; one still running at a prison admission ends the day before,
    released ``TRANSFER_IDOC``."""
    far = pl.date(9999, 12, 31)
    pairs = djj_df.select("person_id", "admit_date", "release_date").join(
        prison_df.select("person_id", pl.col("admit_date").alias("p_admit"),
                         pl.col("release_date").alias("p_release")),
        on="person_id",
    )  # fmt: skip
    inside = pairs.filter(
        pl.col("p_admit") <= pl.col("admit_date"),
        pl.col("admit_date") <= pl.col("p_release").fill_null(far),
    )
    cut = (
        pairs.filter(
            pl.col("p_admit") > pl.col("admit_date"),
            pl.col("p_admit") <= pl.col("release_date").fill_null(far),
        )
        .group_by("person_id", "admit_date")
        .agg(pl.col("p_admit").min().alias("_to"))
    )
    out = djj_df.join(inside.select("person_id", "admit_date"), on=["person_id", "admit_date"],
                      how="anti").join(cut, on=["person_id", "admit_date"], how="left")  # fmt: skip
    moved = pl.col("_to").is_not_null()
    out = out.with_columns(
        pl.when(moved).then(pl.col("_to") - pl.duration(days=1)).otherwise(pl.col("release_date"))
        .alias("release_date"),
        pl.when(moved).then(pl.lit("TRANSFER_IDOC")).otherwise(pl.col("release_reason"))
        .alias("release_reason"),
    ).drop("_to")  # fmt: skip
    kept = pl.col("release_date").is_null() | (pl.col("release_date") >= pl.col("admit_date"))
    out = out.filter(kept)
    return conform(out, "djj", ["person_id", "admit_date"])
