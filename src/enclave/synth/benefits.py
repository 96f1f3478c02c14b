"""Benefits from hardship: Medicaid eligibility spans, SNAP and TANF member-months,
and community care for people 60 and over."""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.parallel import ordered_map
from enclave.synth.panel import (
    benefit_months,
    clip_to_life,
    drop_overlaps,
    month_index,
    to_date,
    uniform,
    year_spells,
)
from enclave.synth.state import day
from enclave.synth.tables import conform

TANF_MONTHS = 60  # federal lifetime limit for adults
MONTHS_PER_PIECE = 4_000_000  # member-months built at a time (bounded memory)
CCP_SERVICES = ("HOMEMAKER", "ADULT_DAY", "EMERGENCY_HOME_RESPONSE", "IN_HOME_SERVICE")


def medicaid(rng, py: pl.DataFrame, births_df: pl.DataFrame, p) -> pl.DataFrame:
    """Eligibility years by category from hardship; pregnancy spans around births."""
    n = py.height
    noise = pl.Series(rng.normal(0, 0.4, n))
    disabled = pl.col("disabled")
    cat = (
        pl.when(pl.col("age") < 19).then(pl.lit("CHILD"))
        .when(pl.col("age") >= 65).then(pl.lit("AGED"))
        .when(disabled).then(pl.lit("DISABLED"))
        .otherwise(pl.lit("ADULT"))
    )  # fmt: skip
    thr = (
        pl.when(pl.col("cat") == "CHILD").then(0.35)
        .when(pl.col("cat") == "AGED").then(1.2)
        .when(pl.col("cat") == "DISABLED").then(-9.0)
        .when(pl.col("year") >= 2014).then(0.8)
        .otherwise(1.2)
    )  # fmt: skip
    elig = (
        py.with_columns(cat.alias("cat"))
        .filter((pl.col("h") + noise > thr) & pl.col("jailed").is_null())
        .select("person_id", "cat", "year", "entry", "death")  # what the spells keep
    )
    spells = year_spells(elig, ["person_id", "cat"], p.start_year, p.end_year, rng)
    spells = clip_to_life(spells, day(p.end_year + 1))
    # pregnancy: mothers not otherwise covered get a span around the birth (one per
    # delivery, twins included)
    preg = (
        births_df.unique(["mother_id", "birth_date"])
        .join(
            py.select("person_id", "year", "h", "entry", "death"),
            left_on=["mother_id", pl.col("birth_date").dt.year().cast(pl.Int32)],
            right_on=["person_id", "year"],
        )
        .filter(pl.col("h") > 0.2)
    )
    bd = preg["birth_date"].cast(pl.Int32)
    preg = preg.select(
        pl.col("mother_id").alias("person_id"),
        pl.lit("PREGNANT").alias("cat"),
        (bd - 270).alias("start_d"),
        (bd + 60).alias("end_d"),
        "entry",
        "death",
    )
    preg = clip_to_life(preg, day(p.end_year + 1))
    preg = drop_overlaps(preg.sort("person_id", "start_d"), "start_d", "end_d")
    covered = spells.select("person_id", pl.col("start_d").alias("s"), pl.col("end_d").alias("e"))
    clash = (
        preg.join(covered, on="person_id")
        .filter((pl.col("s") <= pl.col("end_d")) & (pl.col("e") >= pl.col("start_d")))
        .select("person_id", "start_d")
    )
    preg = preg.join(clash, on=["person_id", "start_d"], how="anti")
    frame = pl.concat([spells.select(preg.columns), preg], how="vertical_relaxed").rename(
        {"cat": "category"}
    )
    return conform(frame, "medicaid", ["person_id", "start", "category"])


def _roles() -> pl.Expr:
    """HEAD (oldest adult of the unit-year), SPOUSE, CHILD (of either), OTHER."""
    return (
        pl.when(pl.col("person") == pl.col("head")).then(pl.lit("HEAD"))
        .when((pl.col("mother") == pl.col("head")) | (pl.col("father") == pl.col("head")))
        .then(pl.lit("CHILD"))
        .when(pl.col("spouse_of_head")).then(pl.lit("SPOUSE"))
        .when(pl.col("age") < 18).then(pl.lit("CHILD"))
        .otherwise(pl.lit("OTHER"))
    )  # fmt: skip


def snap_tanf(rng, py: pl.DataFrame, p) -> pl.DataFrame:
    """SNAP for hard-up units, TANF for the hardest-up units with children: member-months."""
    units = (
        py.group_by("unit", "year")
        .agg(pl.col("h").first(), (pl.col("age") < 18).any().alias("kids"))
        .sort("unit", "year")
    )
    noise = pl.Series(rng.normal(0, 0.4, units.height))
    # a unit with children qualifies at a lower income, so counts as needier
    need = pl.col("h") + noise + pl.when(pl.col("kids")).then(0.35).otherwise(0.0)
    units = units.with_columns(need.alias("need"))
    snap = benefit_months(units.filter(pl.col("need") > 1.15), rng, "unit", p).with_columns(
        pl.lit("SNAP").alias("program")
    )
    tanf = units.filter(pl.col("kids") & (pl.col("need") > 2.2))
    tanf = benefit_months(tanf, rng, "unit", p).with_columns(pl.lit("TANF").alias("program"))
    cases = pl.concat([snap, tanf]).select("unit", "year", "program", "m0", "m1")
    # case ids: a fixed random 9-digit number per unit
    n_units = int(py["unit"].max()) + 1
    ids = rng.choice(900_000_000, size=n_units, replace=False) + 100_000_000
    members = (
        py.lazy()
        .filter(pl.col("jailed").is_null())
        .select(
            "person", "person_id", "unit", "year", "age", "mother", "father", "spouse",
            "entry", "death",
        )
    )  # fmt: skip
    # the head (applicant): the oldest adult under 65, else the oldest adult
    head = (
        members.filter(pl.col("age") >= 18)
        .with_columns((pl.col("age") >= 65).alias("senior"))
        .sort(
            "unit", "year", "senior", "age", "person", descending=[False, False, False, True, False]
        )
        .group_by("unit", "year", maintain_order=True)
        .agg(pl.col("person").first().alias("head"))
    )
    spouse_of_head = (pl.col("spouse") == pl.col("head")).fill_null(False).alias("spouse_of_head")
    # only the columns the member-months need, before multiplying rows by months
    rows = (
        cases.lazy()
        .join(members, on=["unit", "year"])
        .join(head, on=["unit", "year"], how="left")
        .with_columns(spouse_of_head)
        .select(
            "person_id",
            "unit",
            "year",
            "program",
            _roles().alias("relationship"),
            month_index(pl.col("entry")).alias("first_month"),
            "death",
            "m0",
            "m1",
        )
        .collect()
    )
    case = pl.DataFrame({"unit": np.arange(n_units), "case_id": ids.astype(str)})
    case = case.cast({"unit": rows.schema["unit"]})
    # member-months of a range of people at a time: the table is the largest of the
    # world (tens of millions of rows at 1M persons), its intermediates larger still
    months = int(rows.select((pl.col("m1") - pl.col("m0") + 1).cast(pl.Int64).sum()).item() or 0)
    edges = np.linspace(0, int(py["person_id"].max() or 0) + 1, months // MONTHS_PER_PIECE + 2)
    bounds = zip(edges[:-1].astype(np.int64), edges[1:].astype(np.int64), strict=True)

    def piece(bound: tuple[int, int]) -> pl.DataFrame:
        people = pl.col("person_id").is_between(*bound, closed="left")
        return _member_months(rows.filter(people), case)

    # pieces draw nothing: two are built at once
    return pl.concat(list(ordered_map(piece, bounds)), rechunk=True)


def _member_months(rows: pl.DataFrame, case: pl.DataFrame) -> pl.DataFrame:
    """Member-years of some people -> their member-months, as the snap_tanf table."""
    rows = rows.with_columns(
        pl.int_ranges("m0", pl.col("m1") + 1, dtype=pl.Int8).alias("m")
    ).explode("m")
    month = pl.date(pl.col("year"), pl.col("m"), 1)
    rows = rows.filter(
        (pl.col("year") * 12 + pl.col("m") >= pl.col("first_month"))
        & (month.cast(pl.Int32) < pl.col("death"))
    ).select("person_id", "unit", month.alias("month"), "program", "relationship")
    rows = rows.join(case, on="unit", how="left")
    return conform(
        _tanf_time_limit(rows), "snap_tanf", ["person_id", "month", "program"], unique=True
    )


def _tanf_time_limit(rows: pl.DataFrame) -> pl.DataFrame:
    """Adults get at most 60 months of TANF in a lifetime; children stay on the case."""
    tanf = rows.filter(pl.col("program") == "TANF").sort("person_id", "month")
    adult = (pl.col("relationship") != "CHILD").cast(pl.Int32)
    used = adult.cum_sum().over("person_id")
    tanf = tanf.filter((adult == 0) | (used <= TANF_MONTHS))
    return pl.concat([rows.filter(pl.col("program") != "TANF"), tanf])


def ccp(rng, py: pl.DataFrame, p) -> pl.DataFrame:
    """Community care episodes for people 60 and over, likelier with age and hardship."""
    old = py.filter(pl.col("age") >= 60)
    rate = 0.006 * (1 + (pl.col("age") - 60) / 8) * (0.5 * pl.col("h")).exp()
    eps = old.filter(uniform(rng, old) < old.select(rate).to_series())
    k = eps.height
    jan1 = eps.select(pl.date("year", 1, 1).cast(pl.Int32)).to_series().to_numpy()
    start = jan1 + rng.integers(0, 365, k)
    # 60 or older on the first service day
    start = np.maximum(
        start,
        eps.select(pl.col("dob").cast(pl.Int32) + int(60 * 365.25) + 1).to_series().to_numpy(),
    )
    eps = eps.with_columns(
        pl.Series("start_d", start),
        pl.Series("end_d", start + rng.gamma(1.5, 300, k).astype(np.int64) + 30),
        pl.Series(
            "service_type",
            np.array(CCP_SERVICES)[rng.choice(len(CCP_SERVICES), k, p=(0.55, 0.15, 0.2, 0.1))],
        ),
    ).filter(pl.col("start_d") < pl.col("death"), pl.col("start_d") >= pl.col("entry"))
    eps = drop_overlaps(eps.sort("person_id", "start_d"), "start_d", "end_d")
    end = day(p.end_year + 1)
    stop = pl.min_horizontal("end_d", "death")
    eps = eps.filter(pl.col("start_d") < end).with_columns(
        to_date(pl.col("start_d")).alias("start"),
        pl.when(stop < end).then(to_date(stop)).alias("end"),
    )
    return conform(eps, "ccp", ["person_id", "start", "service_type"])
