"""Effects planted in the world, measured from its own truth tables.

Each effect is what a study on perfectly linked data would find: a value, a
tolerance (three standard errors from the sampling error of the measure at the
world's size, with a small floor) and a precise definition, so a study's estimate
can be checked against it. Values are measured, not copied from the planting
parameters, so they hold whatever else shapes the world.
"""

from __future__ import annotations

import math

import polars as pl

from enclave.config import SynthParams

FLOOR = 0.005  # smallest tolerance: rounding and linkage noise aside


def _effect(value: float, se: float, description: str, definition: str) -> dict:
    return {
        "value": round(float(value), 6),
        "tolerance": round(max(3 * se, FLOOR), 6),
        "description": description,
        "definition": definition,
    }


def _share_se(p: float, n: int) -> float:
    return math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1))


def _gap(flag: pl.DataFrame, group: str, outcome: str) -> tuple[float, float]:
    """Outcome rate in group minus outside it, and the standard error of the difference."""
    stats = flag.group_by(group).agg(pl.col(outcome).mean().alias("p"), pl.len().alias("n"))
    by = {row[group]: (row["p"], row["n"]) for row in stats.iter_rows(named=True)}
    (p1, n1), (p0, n0) = by.get(True, (0.0, 0)), by.get(False, (0.0, 0))
    se = math.sqrt(_share_se(p1, n1) ** 2 + _share_se(p0, n0) ** 2)
    return p1 - p0, se


def snap_medicaid_share(t: dict[str, pl.DataFrame], year: int) -> dict:
    snap = (
        t["snap_tanf"]
        .filter((pl.col("program") == "SNAP") & (pl.col("month").dt.year() == year))
        .select("person_id")
        .unique()
    )
    med = (
        t["medicaid"]
        .filter(
            (pl.col("start") <= pl.date(year, 12, 31))
            & (pl.col("end").is_null() | (pl.col("end") >= pl.date(year, 1, 1)))
        )
        .select("person_id")
        .unique()
        .with_columns(pl.lit(True).alias("med"))
    )
    both = snap.join(med, on="person_id", how="left").with_columns(pl.col("med").fill_null(False))
    n = both.height
    share = float(both["med"].mean()) if n else 0.0
    return _effect(
        share,
        _share_se(share, n),
        f"Most people on SNAP in {year} were also eligible for Medicaid.",
        f"Persons with at least one SNAP member-month in calendar {year}; share of them "
        f"with a Medicaid eligibility span (any category) covering at least one day of {year}.",
    )


def _quarters(frame: pl.DataFrame, date: str) -> pl.Expr:
    """Quarter index (year * 4 + quarter - 1) of a date column."""
    return pl.col(date).dt.year() * 4 + (pl.col(date).dt.month() - 1) // 3


def covered_wages(t: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Wages that reach UI wage records: employers report covered wages by SSN, so
    the work of a person without one is off the books (see emit, IDES)."""
    with_ssn = t["persons"].filter(pl.col("ssn").is_not_null()).select("person_id")
    return t["wages"].join(with_ssn, on="person_id", how="semi")


def _employment_after(events: pl.DataFrame, wages: pl.DataFrame) -> pl.DataFrame:
    """Per event (person_id, q = event quarter index): share of q+1..q+4 with any wages."""
    # only the people with an event: wages have tens of millions of rows at 1M persons
    worked = (
        wages.join(events.select("person_id").unique(), on="person_id", how="semi")
        .select(
            "person_id", (pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32) - 1).alias("wq")
        )
        .unique()
    )
    ev = events.with_row_index("event").with_columns(pl.int_ranges(1, 5).alias("k")).explode("k")
    ev = ev.with_columns((pl.col("q") + pl.col("k")).alias("wq"))
    ev = ev.join(worked.with_columns(pl.lit(1.0).alias("w")), on=["person_id", "wq"], how="left")
    return ev.group_by("event").agg(pl.col("w").fill_null(0.0).mean().alias("rate"))


def _mean_rate_effect(rates: pl.DataFrame, description: str, definition: str) -> dict:
    """An effect that is the mean of per-event rates, with its standard error."""
    n = rates.height
    value = float(rates["rate"].mean()) if n else 0.0
    se = math.sqrt(max(float(rates["rate"].var() or 0.0), 1e-12) / max(n, 1))
    return _effect(value, se, description, definition)


def employment_after_tanf_exit(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    tanf = (
        t["snap_tanf"]
        .filter(pl.col("program") == "TANF")
        .select("person_id", "month")
        .unique()
        .sort("person_id", "month")
    )
    nxt = pl.col("month").shift(-1).over("person_id")
    exits = tanf.filter(nxt.is_null() | (nxt != pl.col("month").dt.offset_by("1mo")))
    exits = exits.join(t["persons"].select("person_id", "dob", "death_date"), on="person_id")
    age = (pl.col("month") - pl.col("dob")).dt.total_days() / 365.25
    last_exit = pl.date(p.end_year - 1, 12, 1)
    exits = exits.filter(
        age.is_between(18, 64),
        pl.col("month") <= last_exit,
        pl.col("death_date").is_null()
        | (pl.col("death_date") > pl.col("month").dt.offset_by("13mo")),
    ).select("person_id", _quarters(exits, "month").alias("q"))
    return _mean_rate_effect(
        _employment_after(exits, covered_wages(t)),
        "Adults leaving TANF mostly find work within a year.",
        "TANF exits: the last month of each run of consecutive TANF member-months of a "
        f"person aged 18-64 that month, exit month on or before {p.end_year - 1}-12, the "
        "person alive 13 months later. Measure: mean over exits of the share of the 4 "
        "calendar quarters after the exit quarter with any UI wage record.",
    )


def post_release_employment(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    rel = t["prison"].filter(
        pl.col("release_date").is_not_null(), pl.col("release_date") < pl.date(p.end_year, 1, 1)
    )
    rel = rel.join(t["persons"].select("person_id", "dob", "death_date"), on="person_id")
    age = (pl.col("release_date") - pl.col("dob")).dt.total_days() / 365.25
    rel = rel.filter(
        age.is_between(18, 64),
        pl.col("death_date").is_null()
        | (pl.col("death_date") > pl.col("release_date").dt.offset_by("13mo")),
    ).select("person_id", _quarters(rel, "release_date").alias("q"))
    return _mean_rate_effect(
        _employment_after(rel, covered_wages(t)),
        "People released from prison work less than other adults in the year after.",
        "Prison releases (release date before "
        f"{p.end_year}-01-01) of persons aged 18-64 at release and alive 13 months "
        "later. Measure: mean over releases of the share of the 4 calendar quarters "
        "after the release quarter with any UI wage record.",
    )


def graduation_gap_foster(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    g9 = (
        t["school"]
        .filter(pl.col("grade") == 9)
        .group_by("person_id")
        .agg(pl.col("school_year").min().alias("y9"))
        .filter(pl.col("y9") + 4 <= p.end_year)
    )
    grad = (
        t["school"]
        .filter(pl.col("exit_status") == "GRADUATED")
        .select("person_id")
        .unique()
        .with_columns(pl.lit(True).alias("graduated"))
    )
    placed = (
        t["dcfs"]
        .filter(pl.col("event_type") == "PLACEMENT")
        .group_by("person_id")
        .agg(pl.col("start").min().alias("placed"))
    )
    cohort = (
        g9.join(grad, on="person_id", how="left")
        .join(placed, on="person_id", how="left")
        .with_columns(
            pl.col("graduated").fill_null(False).cast(pl.Float64),
            (pl.col("placed") < pl.date(pl.col("y9") + 4, 7, 1)).fill_null(False).alias("foster"),
        )
    )
    gap, se = _gap(cohort, "foster", "graduated")
    return _effect(
        gap,
        se,
        "Students who were ever placed in foster care graduate less often.",
        "Cohort: students with a grade-9 school year (first one) y9 such that y9 + 4 <= "
        f"{p.end_year}. Graduated: any school record with exit_status GRADUATED. Foster: "
        "any child welfare PLACEMENT (any type) starting before 1 July of y9 + 4. "
        "Measure: graduation rate of the foster group minus that of the others.",
    )


def snap_childhood_adult_gap(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    y0, y1 = p.start_year, p.start_year + 4
    a0, a1 = p.end_year - 4, p.end_year
    born0, born1 = y0 - 14, y0 - 4
    snap = (
        t["snap_tanf"]
        .filter(pl.col("program") == "SNAP")
        .select("person_id", pl.col("month").dt.year().alias("y"))
    )
    child = snap.filter(pl.col("y").is_between(y0, y1)).select("person_id").unique()
    adult = snap.filter(pl.col("y").is_between(a0, a1)).select("person_id").unique()
    cohort = t["persons"].filter(
        pl.col("dob").dt.year().is_between(born0, born1),
        pl.col("death_date").is_null() | (pl.col("death_date") > pl.date(a1, 12, 31)),
    )
    cohort = cohort.select(
        "person_id",
        pl.col("person_id").is_in(child["person_id"].implode()).alias("child_snap"),
        pl.col("person_id").is_in(adult["person_id"].implode()).cast(pl.Float64).alias("adult"),
    )
    gap, se = _gap(cohort, "child_snap", "adult")
    return _effect(
        gap,
        se,
        "Children in SNAP households are more likely to receive SNAP as adults.",
        f"Persons born {born0}-{born1} alive at the end of {a1}. Exposed: any SNAP "
        f"member-month in {y0}-{y1}. Measure: share with any SNAP member-month in "
        f"{a0}-{a1}, exposed minus not exposed.",
    )


#: the age by which the childhood effects are measured: the window is 25 years, so a
#: child born in it with records of the parents before the birth reaches 5, not 18
CHILD_AGE = 5


def _birth_cohort(t: dict[str, pl.DataFrame], first: int, last: int, age: int) -> pl.DataFrame:
    """Children with a birth record born in ``first``-``last``, alive on their
    ``age``-th birthday: person_id, birth_date, until (that birthday)."""
    born = t["births"].filter(pl.col("birth_date").dt.year().is_between(first, last))
    born = born.join(
        t["persons"].select("person_id", "death_date"), left_on="child_id", right_on="person_id"
    )
    until = pl.col("birth_date").dt.offset_by(f"{age}y")
    return born.filter(pl.col("death_date").is_null() | (pl.col("death_date") > until)).select(
        pl.col("child_id").alias("person_id"), "birth_date", until.alias("until")
    )


def _before(cohort: pl.DataFrame, contacts: pl.DataFrame, date: str) -> pl.Expr:
    """Whether a cohort member has a contact dated before their ``until``."""
    hit = contacts.join(cohort.select("person_id", "until"), on="person_id").filter(
        pl.col(date) < pl.col("until")
    )
    return pl.col("person_id").is_in(hit["person_id"].unique().implode())


def medicaid_by_age(t: dict[str, pl.DataFrame], p: SynthParams, age: int = CHILD_AGE) -> dict:
    first, last = p.start_year, p.end_year - age
    cohort = _birth_cohort(t, first, last, age)
    share = cohort.select(_before(cohort, t["medicaid"], "start").cast(pl.Float64).mean()).item()
    n = cohort.height
    share = float(share) if n else 0.0
    return _effect(
        share,
        _share_se(share, n),
        f"Many children born in the state are covered by Medicaid before age {age}.",
        f"Children with a birth record born {first}-{last}, alive on their {age}th "
        f"birthday. Measure: share with a Medicaid eligibility span (any category) "
        f"starting before their {age}th birthday.",
    )


def parent_prison_investigation(
    t: dict[str, pl.DataFrame], p: SynthParams, age: int = CHILD_AGE
) -> dict:
    from enclave.synth.children import parent_prison_before_birth

    first, last = p.start_year + 1, p.end_year - age
    cohort = _birth_cohort(t, first, last, age)
    exposed = parent_prison_before_birth(t["births"], t["prison"])
    investigations = t["dcfs"].filter(pl.col("event_type") == "INVESTIGATION")
    cohort = cohort.with_columns(
        pl.col("person_id").is_in(exposed["person_id"].implode()).alias("exposed"),
        _before(cohort, investigations, "start").cast(pl.Float64).alias("investigated"),
    )
    gap, se = _gap(cohort, "exposed", "investigated")
    return _effect(
        gap,
        se,
        "Children whose parent was in prison before their birth are investigated by "
        "child welfare more often.",
        f"Children with a birth record born {first}-{last}, alive on their {age}th "
        "birthday. Exposed: a parent named on the birth record (the mother, or the father "
        "where named) with a prison admission before the child's birth. Measure: share "
        f"with a child welfare INVESTIGATION starting before their {age}th birthday, "
        "exposed minus not exposed.",
    )


#: ages (on 1 July) of the youth-years in ``djj_after_placement``: DJJ commits 13-17
YOUTH_AGES = (13, 17)
#: ``djj_after_placement`` is a rate per this many youth-years (a yearly share is small)
PER_YOUTH_YEARS = 1000


def youth_years(persons: pl.DataFrame, p: SynthParams) -> pl.DataFrame:
    """``person_id, year``: each calendar year of the window in which the person was
    13-17 on 1 July (whole years of age) and alive on that day."""
    lo, hi = YOUTH_AGES
    mid = pl.date(pl.col("year"), 7, 1)
    # the first year a person is lo on 1 July: birth year + lo, or + lo + 1 if born after 1 July
    late = (pl.col("dob").dt.month() > 7) | (
        (pl.col("dob").dt.month() == 7) & (pl.col("dob").dt.day() > 1)
    )
    first = pl.col("dob").dt.year() + lo + late.cast(pl.Int32)
    years = (
        persons.select("person_id", "death_date", "dob", first.alias("_first"))
        .filter(pl.col("_first") <= p.end_year, pl.col("_first") + hi - lo >= p.start_year)
        .with_columns(pl.int_ranges("_first", pl.col("_first") + hi - lo + 1).alias("year"))
        .explode("year")
        .filter(pl.col("year").is_between(p.start_year, p.end_year))
    )
    alive = pl.col("death_date").is_null() | (pl.col("death_date") > mid)
    return years.filter(alive).select("person_id", pl.col("year").cast(pl.Int32))


def placement_youth_years(
    years: pl.DataFrame, placements: pl.DataFrame, admissions: pl.DataFrame, date: str, admit: str
) -> pl.DataFrame:
    """Youth-years flagged ``placed`` (a child welfare placement, ``date``, started before
    1 July of the year) and ``admitted`` (a DJJ admission, ``admit``, in the year)."""
    first = placements.group_by("person_id").agg(pl.col(date).min().alias("_placed"))
    admitted = admissions.select("person_id", pl.col(admit).dt.year().cast(pl.Int32).alias("year"))
    return (
        years.join(first, on="person_id", how="left")
        .join(
            admitted.unique().with_columns(admitted=pl.lit(1.0)),
            on=["person_id", "year"],
            how="left",
        )
        .select(
            (pl.col("_placed") < pl.date(pl.col("year"), 7, 1)).fill_null(False).alias("placed"),
            pl.col("admitted").fill_null(0.0),
        )
    )


def djj_after_placement(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    years = youth_years(t["persons"], p)
    placements = t["dcfs"].filter(pl.col("event_type") == "PLACEMENT")
    flagged = placement_youth_years(years, placements, t["djj"], "start", "admit_date")
    gap, se = _gap(flagged, "placed", "admitted")
    lo, hi = YOUTH_AGES
    return _effect(
        gap * PER_YOUTH_YEARS,
        se * PER_YOUTH_YEARS,
        "Youth placed by child welfare are committed to juvenile justice more often.",
        f"Youth-years: each calendar year {p.start_year}-{p.end_year} in which a person "
        f"was {lo}-{hi} (whole years) and alive on 1 July. Placed: a child welfare "
        "PLACEMENT (any type) starting before 1 July of the year. Measure: share of "
        "youth-years with a DJJ admission (any type) dated in the year, placed minus "
        "not placed, per 1,000 youth-years.",
    )


#: the age (on 1 July, whole years) from which veteran-years count in
#: ``veterans_home_after_ccp``: the Illinois Veterans' Homes' residents are mostly older
VETERAN_AGE = 70
#: ``veterans_home_after_ccp`` is a rate per this many veteran-years
PER_VETERAN_YEARS = 1000


def aged_years(persons: pl.DataFrame, p: SynthParams, age: int) -> pl.DataFrame:
    """``person_id, year``: each calendar year of the window in which the person was
    ``age`` or older on 1 July (whole years of age) and alive on that day."""
    late = (pl.col("dob").dt.month() > 7) | (
        (pl.col("dob").dt.month() == 7) & (pl.col("dob").dt.day() > 1)
    )
    first = pl.max_horizontal(pl.col("dob").dt.year() + age + late.cast(pl.Int32), p.start_year)
    years = (
        persons.select("person_id", "death_date", first.alias("_first"))
        .filter(pl.col("_first") <= p.end_year)
        .with_columns(pl.int_ranges("_first", p.end_year + 1).alias("year"))
        .explode("year")
    )
    alive = pl.col("death_date").is_null() | (pl.col("death_date") > pl.date(pl.col("year"), 7, 1))
    return years.filter(alive).select("person_id", pl.col("year").cast(pl.Int32))


def home_veteran_years(
    years: pl.DataFrame, care: pl.DataFrame, admissions: pl.DataFrame, start: str, admit: str
) -> pl.DataFrame:
    """Veteran-years flagged ``in_care`` (a community care episode, ``start``, begun
    before 1 July of the year) and ``admitted`` (a veterans' home admission, ``admit``,
    dated in the year)."""
    first = care.group_by("person_id").agg(pl.col(start).min().alias("_care"))
    admitted = admissions.select("person_id", pl.col(admit).dt.year().cast(pl.Int32).alias("year"))
    return (
        years.join(first, on="person_id", how="left")
        .join(admitted.unique().with_columns(admitted=pl.lit(1.0)), on=["person_id", "year"],
              how="left")
        .select(
            (pl.col("_care") < pl.date(pl.col("year"), 7, 1)).fill_null(False).alias("in_care"),
            pl.col("admitted").fill_null(0.0),
        )
    )  # fmt: skip


def veterans_home_after_ccp(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    claimants = t["idva"].filter(pl.col("program") == "CLAIM").select("person_id").unique()
    persons = t["persons"].join(claimants, on="person_id", how="semi")
    years = aged_years(persons, p, VETERAN_AGE)
    homes = t["idva"].filter(pl.col("program") == "HOME")
    flagged = home_veteran_years(years, t["ccp"], homes, "start", "start")
    gap, se = _gap(flagged, "in_care", "admitted")
    return _effect(
        gap * PER_VETERAN_YEARS,
        se * PER_VETERAN_YEARS,
        "Veterans in the Department on Aging's community care enter a veterans' home more often.",
        f"Veterans: persons with an IDVA claims-assistance record (any year). "
        f"Veteran-years: each calendar year {p.start_year}-{p.end_year} in which a "
        f"veteran was {VETERAN_AGE} or older (whole years) and alive on 1 July. In care: "
        "an Aging Community Care Program episode (any service) starting before 1 July of "
        "the year. Measure: share of veteran-years with an Illinois Veterans' Home "
        "admission dated in the year, in care minus not, per 1,000 veteran-years.",
    )


#: ``wioa_reemployment``: an enrolment within this many quarters of a job loss counts,
#: and employment is followed over these quarters after the loss (the year after a
#: typical exit: enrolment within two quarters, about eight months of training)
WIOA_ENROLLED_WITHIN, WIOA_FOLLOWED = 4, (5, 8)


def _quarter_of(date: pl.Expr) -> pl.Expr:
    """Quarter index (year * 4 + quarter - 1) of a date expression."""
    return date.dt.year().cast(pl.Int32) * 4 + (date.dt.month().cast(pl.Int32) - 1) // 3


def wioa_loss_cohort(t: dict[str, pl.DataFrame], p: SynthParams) -> pl.DataFrame:
    """``trained, worked``: per job loss in covered wages from WIOA's start on, of a
    person 18-64 then and alive to the end of the follow-up, whether a WIOA enrolment
    followed within :data:`WIOA_ENROLLED_WITHIN` quarters, and the share of the
    :data:`WIOA_FOLLOWED` quarters after the loss with wages."""
    from enclave.synth.commerce import QUARTER_SPAN, WIOA_START, job_losses, paid_quarters

    lo, hi = WIOA_FOLLOWED
    last = p.end_year * 4 + 3
    first = WIOA_START.year * 4 + (WIOA_START.month - 1) // 3
    wages = covered_wages(t)
    losses = job_losses(wages, last).filter(pl.col("q") + 1 >= first, pl.col("q") + hi <= last)
    start = pl.date((pl.col("q") + 1) // 4, (pl.col("q") + 1) % 4 * 3 + 1, 1)
    until = pl.date((pl.col("q") + hi + 1) // 4, (pl.col("q") + hi + 1) % 4 * 3 + 1, 1)
    age = (start - pl.col("dob")).dt.total_days() / 365.25
    losses = losses.join(t["persons"].select("person_id", "dob", "death_date"), on="person_id")
    losses = losses.filter(
        age.is_between(18, 65, closed="left"),
        pl.col("death_date").is_null() | (pl.col("death_date") >= until),
    ).with_row_index("loss")
    enrolled = t["wioa"].select("person_id", _quarter_of(pl.col("enrol_date")).alias("eq"))
    trained = (
        losses.join(enrolled, on="person_id")
        .filter(pl.col("eq").is_between(pl.col("q") + 1, pl.col("q") + WIOA_ENROLLED_WITHIN))
        .select("loss", pl.lit(True).alias("trained"))
        .unique()
    )
    # the followed quarters, as keys of the paid quarters (person_id * QUARTER_SPAN + q)
    key = pl.col("person_id") * QUARTER_SPAN + pl.col("q")
    followed = losses.select("loss", pl.int_ranges(key + lo, key + hi + 1).alias("k"))
    paid = pl.col("k").is_in(paid_quarters(wages).implode()).cast(pl.Float64).alias("w")
    worked = (
        followed.explode("k")
        .with_columns(paid)
        .group_by("loss")
        .agg(pl.col("w").mean().alias("worked"))
    )
    return (
        losses.select("loss")
        .join(trained, on="loss", how="left")
        .join(worked, on="loss", how="left")
        .select(pl.col("trained").fill_null(False), "worked")
    )


def wioa_reemployment(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    gap, se = _gap(wioa_loss_cohort(t, p), "trained", "worked")
    lo, hi = WIOA_FOLLOWED
    return _effect(
        gap,
        se,
        "Job losers who enrol in WIOA training work more in the second year after the "
        "loss than job losers who do not.",
        "Job losses: the last quarter q of a run of quarters with a UI wage record, the "
        "quarter after it without one, q + 1 from 2015-Q3 (WIOA's start) and q + "
        f"{hi} in the window, of a person aged 18-64 on the first day of q + 1 and "
        f"alive on the day after q + {hi}. Trained: a WIOA enrolment (any funding "
        f"stream) in quarters q + 1 to q + {WIOA_ENROLLED_WITHIN}. Measure: share of "
        f"quarters q + {lo} to q + {hi} with any UI wage record, trained minus not "
        "trained.",
    )


def liheap_among_snap(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    year = p.end_year
    first, last = pl.date(year - 1, 10, 1), pl.date(year, 9, 30)
    snap = (
        t["snap_tanf"]
        .filter(pl.col("program") == "SNAP", pl.col("month").is_between(first, last))
        .select("person_id")
        .unique()
    )
    listed = t["liheap"].filter(pl.col("program_year") == year).select("person_id").unique()
    cohort = snap.with_columns(
        pl.col("person_id").is_in(listed["person_id"].implode()).cast(pl.Float64).alias("listed")
    )
    n = cohort.height
    share = float(cohort["listed"].mean()) if n else 0.0
    return _effect(
        share,
        _share_se(share, n),
        "Many SNAP recipients live in a household that LIHEAP helps with its heating bill.",
        f"Persons with at least one SNAP member-month in LIHEAP program year {year} "
        f"(October {year - 1} to September {year}); share of them listed (as applicant "
        f"or household member) on a LIHEAP application of program year {year}.",
    )


def ui_claim_low_wage_gap(t: dict[str, pl.DataFrame], p: SynthParams) -> dict:
    from enclave.synth import unemployment as ui

    first, last = ui.claim_years(p)
    worked = ui.worked_quarters(t["wages"], t["persons"], first - 2)
    losses = ui.job_losses(worked, first * 4, last * 4 + 3)
    after = pl.date((pl.col("q") + 1) // 4, (pl.col("q") + 1) % 4 * 3 + 1, 1)
    after_end = after.dt.offset_by("3mo") - pl.duration(days=1)
    age = (after - pl.col("dob")).dt.total_days() / 365.25
    losses = losses.join(t["persons"].select("person_id", "dob", "death_date"), on="person_id")
    losses = losses.filter(
        age.is_between(*ui.CLAIM_AGES, closed="left"),
        pl.col("death_date").is_null() | (pl.col("death_date") > after_end),
    ).with_row_index("_loss")
    regular = t["ui_claims"].filter(pl.col("program") == "UI")
    claims = regular.select("person_id", "benefit_year_begin")
    since = pl.date(pl.col("q") // 4, pl.col("q") % 4 * 3 + 1, 1) - pl.duration(days=6)
    claimed = (
        losses.join(claims, on="person_id")
        .filter(pl.col("benefit_year_begin").is_between(since, after_end))
        .select("_loss")
        .unique()
    )
    flagged = losses.select(
        ui.low_wage(pl.col("recent"), pl.col("q")).alias("low"),
        pl.col("_loss").is_in(claimed["_loss"].implode()).cast(pl.Float64).alias("claimed"),
    )
    gap, se = _gap(flagged, "low", "claimed")
    return _effect(
        gap,
        se,
        "Workers losing a low-wage job claim unemployment insurance less often.",
        "Job losses: the last quarter q of a run of quarters with any UI wage record (of a "
        "worker with an SSN; the next two quarters have none), q + 1 in "
        f"{first}-{last}, the worker {ui.CLAIM_AGES[0]:.0f}-{ui.CLAIM_AGES[1] - 1:.0f} "
        "(whole years) on the first day of q + 1 and alive on its last. Low wage: wages "
        f"of the quarters worked among q and the three before it average under "
        f"${ui.LOW_WAGE:,.0f} a quarter in 2000 dollars (times {ui.WAGE_GROWTH} a year "
        "since). Measure: share "
        "of losses followed by a regular UI claim (program UI) whose benefit year begins "
        "from six days before q through the end of q + 1, low wage minus the others.",
    )


def compute(t: dict[str, pl.DataFrame], p: SynthParams) -> dict[str, dict]:
    """Every planted effect, measured on the world's tables."""
    return {
        "snap_medicaid_share_2019": snap_medicaid_share(t, 2019),
        "employment_after_tanf_exit": employment_after_tanf_exit(t, p),
        "post_release_employment": post_release_employment(t, p),
        "graduation_gap_foster": graduation_gap_foster(t, p),
        "snap_childhood_adult_gap": snap_childhood_adult_gap(t, p),
        "medicaid_by_age_5": medicaid_by_age(t, p),
        "parent_prison_investigation": parent_prison_investigation(t, p),
        "djj_after_placement": djj_after_placement(t, p),
        "wioa_reemployment": wioa_reemployment(t, p),
        "liheap_among_snap": liheap_among_snap(t, p),
        "veterans_home_after_ccp": veterans_home_after_ccp(t, p),
        "ui_claim_low_wage_gap": ui_claim_low_wage_gap(t, p),
    }
