"""Childhood contacts: child welfare investigations and placements, and school."""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth.panel import to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform

#: investigation rate ratio for a child whose parent (on the birth record) was admitted
#: to prison before the child's birth (the planted ``parent_prison_investigation``)
PARENT_PRISON_RR = 2.0


def parent_prison_before_birth(births_df: pl.DataFrame, prison_df: pl.DataFrame) -> pl.DataFrame:
    """Children (``person_id``) with a parent named on their birth record (the mother,
    or the father where named) admitted to prison before the child's birth."""
    first = prison_df.group_by("person_id").agg(pl.col("admit_date").min().alias("admit"))
    parents = pl.concat(
        [
            births_df.select("child_id", "birth_date", pl.col("mother_id").alias("parent")),
            births_df.filter(pl.col("father_named")).select(
                "child_id", "birth_date", pl.col("father_id").alias("parent")
            ),
        ]
    )
    hit = parents.join(first, left_on="parent", right_on="person_id").filter(
        pl.col("admit") < pl.col("birth_date")
    )
    return hit.select(pl.col("child_id").alias("person_id")).unique().sort("person_id")


def dcfs(rng, py: pl.DataFrame, p, exposed: pl.DataFrame | None = None) -> pl.DataFrame:
    """Investigations of children (more in hard-up units, and more, by
    :data:`PARENT_PRISON_RR`, for the children in ``exposed``: a parent in prison before
    their birth); placements after some indicated ones."""
    kids = py.filter(pl.col("age") < 17.5)
    if exposed is not None:
        flag = exposed.select("person_id", pl.lit(True).alias("_exposed"))
        kids = kids.join(flag, on="person_id", how="left").sort("person_id", "year")
        ratio = pl.when(pl.col("_exposed")).then(PARENT_PRISON_RR).otherwise(1.0)
    else:
        ratio = pl.lit(1.0)
    rate = 0.02 * (0.75 * pl.col("h")).exp() * ratio
    inv = kids.filter(uniform(rng, kids) < kids.select(rate).to_series())
    k = inv.height
    jan1 = inv.select(pl.date("year", 1, 1).cast(pl.Int32)).to_series().to_numpy()
    start = jan1 + rng.integers(0, 365, k)
    indicated = rng.random(k) < np.clip(0.22 + 0.08 * inv["h"].to_numpy(), 0.05, 0.6)
    inv = inv.with_columns(
        pl.Series("start_d", start),
        pl.Series("end_d", start + rng.integers(20, 60, k)),
        pl.lit("INVESTIGATION").alias("event_type"),
        pl.Series("finding", np.where(indicated, "INDICATED", "UNFOUNDED")),
        pl.lit(None, pl.String).alias("placement_type"),
    ).filter((pl.col("start_d") >= pl.col("entry")) & (pl.col("start_d") < pl.col("death")))
    # placement: 40% of indicated investigations, until about 1-3 years later or age 18
    plc = inv.filter(pl.col("finding") == "INDICATED")
    plc = plc.filter(uniform(rng, plc) < 0.4)
    k = plc.height
    teen = plc["age"].to_numpy() >= 12
    u = rng.random(k)
    ptype = np.where(teen & (u < 0.3), "RESIDENTIAL", np.where(u < 0.65, "FOSTER", "KIN"))
    pstart = plc["end_d"].to_numpy() + rng.integers(0, 30, k)
    adult = plc.select(pl.col("dob").cast(pl.Int32) + int(18 * 365.25)).to_series().to_numpy()
    pend = np.minimum(pstart + rng.gamma(2.0, 250, k).astype(np.int64) + 30, adult)
    plc = plc.with_columns(
        pl.Series("start_d", pstart),
        pl.Series("end_d", pend),
        pl.lit("PLACEMENT").alias("event_type"),
        pl.lit(None, pl.String).alias("finding"),
        pl.Series("placement_type", ptype),
    ).filter(pl.col("start_d") < pl.col("death"))
    frame = pl.concat([inv, plc], how="vertical_relaxed")
    end = day(p.end_year + 1)
    frame = frame.filter(pl.col("start_d") < end).with_columns(
        to_date(pl.col("start_d")).alias("start"),
        pl.when(pl.min_horizontal("end_d", "death") < end)
        .then(to_date(pl.min_horizontal("end_d", "death")))
        .alias("end"),
    )
    return conform(frame, "dcfs", ["person_id", "start", "event_type"])


def school(rng, py: pl.DataFrame, dcfs_df: pl.DataFrame, p) -> pl.DataFrame:
    """K-12 by school year (fall year = calendar year); dropout and graduation from hardship.

    Foster placement before or during a school year multiplies the dropout hazard by 2.5 and
    lowers the chance of graduating (the planted ``graduation_gap_foster``).
    """
    sept = pl.date(pl.col("year"), 9, 1)
    age_sep = ((sept - pl.col("dob")).dt.total_days() / 365.25).floor().cast(pl.Int64)
    rows = py.with_columns((age_sep - 5 - pl.col("held_back")).alias("grade")).filter(
        pl.col("grade").is_between(0, 12),
        sept.cast(pl.Int32) >= pl.col("entry"),
        sept.cast(pl.Int32) < pl.col("death"),
    )
    placed = (
        dcfs_df.filter(pl.col("event_type") == "PLACEMENT")
        .group_by("person_id")
        .agg(pl.col("start").min().dt.year().cast(pl.Int32).alias("placed_year"))
    )
    rows = rows.join(placed, on="person_id", how="left").with_columns(
        (pl.col("placed_year") <= pl.col("year")).fill_null(False).alias("foster")
    )
    hazard = (
        pl.when(pl.col("grade") >= 9).then(0.025).otherwise(0.0)
        * (0.5 * pl.col("h")).exp()
        * pl.when(pl.col("foster")).then(2.5).otherwise(1.0)
    )
    p_grad = pl.when(pl.col("foster")).then(0.85).otherwise(0.96)
    rows = rows.sort("person_id", "year")  # joins do not keep order: fix it before drawing
    rows = rows.with_columns(uniform(rng, rows).alias("_u"))
    last_year = pl.col("year") + 1 > p.end_year
    status = (
        pl.when(pl.col("_u") < hazard).then(pl.lit("DROPOUT"))
        .when(last_year).then(pl.lit("ENROLLED"))
        .when(pl.col("grade") == 12)
        .then(pl.when(pl.col("_u") < hazard + p_grad).then(pl.lit("GRADUATED"))
              .otherwise(pl.lit("DROPOUT")))
        .when(pl.col("county_fips") != pl.col("county_fips").shift(-1).over("person_id"))
        .then(pl.lit("TRANSFERRED"))
        .otherwise(pl.lit("ENROLLED"))
    )  # fmt: skip
    rows = rows.with_columns(status.alias("exit_status"))
    # nothing after a dropout or graduation
    done = pl.col("exit_status").is_in(["DROPOUT", "GRADUATED"]).cast(pl.Int32)
    rows = rows.filter(done.cum_sum().shift(1).over("person_id").fill_null(0) == 0)
    return conform(
        rows.rename({"year": "school_year"}), "school", ["person_id", "school_year"], unique=True
    )
