"""Commerce and Economic Opportunity: LIHEAP energy assistance for low-income
households, and WIOA workforce training after a job loss or a TANF exit.

LIHEAP: each heating season (from 1 October) a living unit whose hardship makes it
income-eligible applies with a yearly chance that is higher when a member is on SNAP or
TANF (categorical eligibility and referral), on Medicaid, or 60 or older. The
application lists every member of the unit present on its date, each with the
relationship to the applicant (the oldest adult), so one application bridges parents,
children and grandparents. The extract holds every program year whose season starts in
the window (the ``liheap`` table).

WIOA: a job loss in the wage history (the last quarter of a run of wages) or a TANF
exit leads, now and then, to an enrolment in the adult, dislocated worker (a loss after
a year or more of work) or youth (under 25) programme, from 1 July 2015, when WIOA took
effect. Enrolments end in an exit with a reason and, often, a credential; participants
are found jobs after the exit (:func:`placed_wages`), the planted
``wioa_reemployment``.

Rates and their sources: docs/INTERFACES.md, "Commerce and Economic Opportunity
(dceo)". Draws come from their own generator (seeded from ``synth.seed``), so adding
DCEO leaves every other program's draws as they were; only the wages placed after a
WIOA exit are added to the wage table.
"""

from __future__ import annotations

import datetime

import numpy as np
import polars as pl

from enclave.synth.panel import drop_overlaps, to_date, uniform
from enclave.synth.state import day
from enclave.synth.tables import conform

# --------------------------------------------------------------------------- LIHEAP

#: a unit is income-eligible when its hardship plus N(0, ELIGIBLE_SD) exceeds this
#: (about a third of households, as 60% of state median income is)
ELIGIBLE_H, ELIGIBLE_SD = 0.45, 0.4
#: yearly chance that an eligible unit applies and is served, before the ratios below
TAKE_UP = 0.06
#: rate ratios: a member on SNAP or TANF in the program year (categorically eligible,
#: referred), a member on Medicaid at the season's start, a member 60 or older
SNAP_RR, MEDICAID_RR, SENIOR_RR = 3.0, 1.4, 1.8
#: priority households (a member 60 or older, disabled or under 6) apply from 1 October
#: over this many days; the others from 1 November to 31 May
PRIORITY_DAYS, GENERAL_START, GENERAL_DAYS = 150, 31, 212
#: main heating source of Illinois homes (ACS table B25040), and the benefit's factor
HEATING = {
    "NATURAL_GAS": (0.78, 1.0),
    "ELECTRICITY": (0.16, 0.85),
    "PROPANE": (0.04, 1.5),
    "FUEL_OIL": (0.005, 1.5),
    "WOOD": (0.005, 1.2),
    "OTHER": (0.01, 1.0),
}
#: benefit in dollars: base plus per member (up to six), by fuel, more in hardship
BENEFIT_BASE, BENEFIT_MEMBER, BENEFIT_RANGE = 300.0, 80.0, (100.0, 1500.0)


def _season_members(py: pl.DataFrame, p) -> pl.DataFrame:
    """Members of each unit in the years whose season starts in the window: the
    person-years of ``year`` Y (the unit at the end of Y) apply for program year Y + 1,
    from the window's first year to the one before its last."""
    years = pl.col("year").is_between(p.start_year, p.end_year - 1)
    return py.filter(years, pl.col("jailed").is_null()).select(
        "person", "person_id", "unit", "year", "age", "h", "disabled", "mother", "father",
        "spouse", "entry", "death",
    )  # fmt: skip


def _unit_needs(
    members: pl.DataFrame, snap_tanf: pl.DataFrame, medicaid: pl.DataFrame
) -> pl.DataFrame:
    """Per unit-year: hardship, and whether a member is on SNAP/TANF in the program year,
    on Medicaid on 1 October, 60 or older, disabled or under 6."""
    oct1 = pl.date(pl.col("year"), 10, 1)
    # a month from October of Y to September of Y + 1 is in the program year of ``year`` Y
    season = pl.col("month").dt.year() - (pl.col("month").dt.month() < 10).cast(pl.Int32)
    on_snap = (
        snap_tanf.select("person_id", season.cast(members.schema["year"]).alias("year"))
        .unique()
        .join(members.select("person_id", "year"), on=["person_id", "year"], how="semi")
        .with_columns(snap=pl.lit(True))
    )
    on_medicaid = (
        members.select("person_id", "year")
        .join(medicaid.select("person_id", "start", "end"), on="person_id")
        .filter(pl.col("start") <= oct1, pl.col("end").is_null() | (pl.col("end") >= oct1))
        .select("person_id", "year", pl.lit(True).alias("medicaid"))
        .unique()
    )
    flagged = members.join(on_snap, on=["person_id", "year"], how="left").join(
        on_medicaid, on=["person_id", "year"], how="left"
    )
    return (
        flagged.group_by("unit", "year")
        .agg(
            pl.col("h").first(),
            pl.col("snap").any().fill_null(False),
            pl.col("medicaid").any().fill_null(False),
            (pl.col("age") >= 60).any().alias("senior"),
            (pl.col("disabled") | (pl.col("age") < 6)).any().alias("vulnerable"),
        )
        .sort("unit", "year")  # group_by does not keep order: fix it before drawing
    )


def _applications(rng: np.random.Generator, units: pl.DataFrame) -> pl.DataFrame:
    """The unit-years that apply, with the application day (days since 1970)."""
    eligible = units.select(
        (pl.col("h") + pl.Series(rng.normal(0, ELIGIBLE_SD, units.height)) > ELIGIBLE_H)
        | pl.col("snap")
    ).to_series()
    ratio = (
        pl.when(pl.col("snap")).then(SNAP_RR).otherwise(1.0)
        * pl.when(pl.col("medicaid")).then(MEDICAID_RR).otherwise(1.0)
        * pl.when(pl.col("senior")).then(SENIOR_RR).otherwise(1.0)
    )
    chance = units.select((TAKE_UP * ratio).clip(0, 0.95)).to_series()
    apply = units.filter(eligible & (uniform(rng, units) < chance))
    k = apply.height
    priority = (apply["senior"] | apply["vulnerable"]).to_numpy()
    offset = np.where(
        priority,
        rng.integers(0, PRIORITY_DAYS, k),
        GENERAL_START + rng.integers(0, GENERAL_DAYS, k),
    )
    oct1 = apply.select(pl.date(pl.col("year"), 10, 1).cast(pl.Int32)).to_series().to_numpy()
    return apply.with_columns(pl.Series("applied", oct1 + offset))


def _relationships(listed: pl.DataFrame, parents: pl.DataFrame) -> pl.DataFrame:
    """Each listed member's relationship to the applicant: the oldest adult under 65,
    else the oldest member (as a SNAP case's head), so a grandmother living with her
    daughter's family is the daughter's PARENT, and one raising grandchildren applies."""
    key = ["unit", "year"]
    senior = (pl.col("age") >= 65) | (pl.col("age") < 18)
    applicant = (
        listed.with_columns(senior.alias("_senior"))
        .sort([*key, "_senior", "age", "person"], descending=[False, False, False, True, False])
        .group_by(key, maintain_order=True)
        .agg(pl.col("person").first().alias("a"), pl.col("spouse").first().alias("a_spouse"))
        .join(parents.rename({"person": "a", "mother": "a_mother", "father": "a_father"}),
              on="a", how="left")
    )  # fmt: skip
    grand = parents.select(
        "person", pl.concat_list("mother", "father").alias("_grand")
    )  # a member's parent's parents, through either parent
    members = listed.join(applicant, on=key, how="left")
    for side in ("mother", "father"):
        members = members.join(
            grand.rename({"person": side, "_grand": f"_{side}_parents"}), on=side, how="left"
        )
    is_parent_of = (pl.col("mother") == pl.col("a")) | (pl.col("father") == pl.col("a"))
    step = (pl.col("a_spouse") >= 0) & (
        (pl.col("mother") == pl.col("a_spouse")) | (pl.col("father") == pl.col("a_spouse"))
    )
    grandchild = pl.col("_mother_parents").list.contains(pl.col("a")).fill_null(False) | pl.col(
        "_father_parents"
    ).list.contains(pl.col("a")).fill_null(False)
    sibling = ((pl.col("mother") >= 0) & (pl.col("mother") == pl.col("a_mother"))) | (
        (pl.col("father") >= 0) & (pl.col("father") == pl.col("a_father"))
    )
    relationship = (
        pl.when(pl.col("person") == pl.col("a")).then(pl.lit("APPLICANT"))
        .when(pl.col("spouse") == pl.col("a")).then(pl.lit("SPOUSE"))
        .when(is_parent_of | step).then(pl.lit("CHILD"))
        .when((pl.col("person") == pl.col("a_mother")) | (pl.col("person") == pl.col("a_father")))
        .then(pl.lit("PARENT"))
        .when(grandchild).then(pl.lit("GRANDCHILD"))
        .when(sibling).then(pl.lit("SIBLING"))
        .otherwise(pl.lit("OTHER_RELATIVE"))
    )  # fmt: skip
    return members.with_columns(relationship.alias("relationship"))


def _parents(py: pl.DataFrame, listed: pl.DataFrame) -> pl.DataFrame:
    """``person, mother, father`` of the members listed and of their parents (the
    grandparents a grandchild is told by), from the panel (persons as indices)."""
    kin = listed.select(pl.concat_list("person", "mother", "father").explode().unique())
    rows = py.filter(pl.col("person").is_in(kin.to_series().implode()))
    return rows.select("person", "mother", "father").unique("person").sort("person")


def _heating(rng: np.random.Generator, n_units: int) -> pl.DataFrame:
    """``unit, heating_source, _fuel``: each unit's main heating source, for good."""
    names = list(HEATING)
    share = np.array([HEATING[n][0] for n in names])
    pick = rng.choice(len(names), size=n_units, p=share / share.sum())
    return pl.DataFrame(
        {
            "unit": np.arange(n_units),
            "heating_source": np.array(names)[pick],
            "_fuel": np.array([HEATING[n][1] for n in names])[pick],
        }
    )


def liheap(
    rng: np.random.Generator,
    py: pl.DataFrame,
    snap_tanf: pl.DataFrame,
    medicaid: pl.DataFrame,
    p,
) -> pl.DataFrame:
    """LIHEAP applications (the ``liheap`` table): one row per member listed."""
    members = _season_members(py, p)
    heating = _heating(rng, int(py["unit"].max() or 0) + 1)
    apps = _applications(rng, _unit_needs(members, snap_tanf, medicaid))
    listed = members.drop("h").join(
        apps.select("unit", "year", "h", "applied"), on=["unit", "year"]
    )
    listed = listed.filter(
        pl.col("entry") <= pl.col("applied"), pl.col("death") > pl.col("applied")
    )
    listed = _relationships(listed, _parents(py, listed))
    size = pl.len().over("unit", "year")
    frame = listed.with_columns(
        size.cast(pl.Int8).alias("household_size"),
        (pl.col("year") + 1).cast(pl.Int32).alias("program_year"),
        to_date(pl.col("applied")).alias("application_date"),
    ).join(heating.cast({"unit": listed.schema["unit"]}), on="unit", how="left")
    frame = _numbered(_benefits(rng, frame))
    return conform(frame, "liheap", ["person_id", "application_date"])


def _benefits(rng: np.random.Generator, frame: pl.DataFrame) -> pl.DataFrame:
    """One benefit per application, by household size, fuel and hardship."""
    apps = frame.select("unit", "year", "household_size", "h", "_fuel").unique(["unit", "year"])
    apps = apps.sort("unit", "year")
    lo, hi = BENEFIT_RANGE
    members = pl.col("household_size").cast(pl.Float64).clip(1, 6)
    amount = (
        (BENEFIT_BASE + BENEFIT_MEMBER * members)
        * pl.col("_fuel")
        * (0.2 * (pl.col("h") - 1)).exp()
        * pl.Series(rng.lognormal(0, 0.15, apps.height))
    )
    apps = apps.select("unit", "year", amount.round(0).clip(lo, hi).alias("benefit"))
    return frame.join(apps, on=["unit", "year"], how="left")


def _numbered(frame: pl.DataFrame) -> pl.DataFrame:
    """``application_id``: the program year and the application's number in it, in
    order of application day (then unit)."""
    apps = frame.select("unit", "year", "program_year", "applied").unique(["unit", "year"])
    apps = apps.sort("program_year", "applied", "unit").with_columns(
        pl.int_range(1, pl.len() + 1).over("program_year").alias("_n")
    )
    number = pl.format("{}{}", pl.col("program_year"), pl.col("_n").cast(pl.String).str.zfill(6))
    return frame.join(
        apps.select("unit", "year", number.alias("application_id")), on=["unit", "year"]
    )


# --------------------------------------------------------------------------- WIOA

#: WIOA took effect on 1 July 2015 (Pub. L. 113-128); the extract starts there
WIOA_START = datetime.date(2015, 7, 1)
#: chance of an enrolment after a job loss: dislocated workers (a run of 4 or more
#: quarters), other adults (times exp(0.3 h)), youth (18-24); and after a TANF exit
P_DISLOCATED, P_ADULT, P_YOUTH, P_TANF = 0.02, 0.012, 0.02, 0.05
#: the enrolment starts this many days (low, high) after the loss quarter or TANF month
ENROL_AFTER = (14, 180)
#: days to exit: 90 days without service plus a gamma(2, scale) of training
EXIT_SCALE = {"ADULT": 75.0, "DISLOCATED_WORKER": 75.0, "YOUTH": 120.0}
#: reasons for an exit not forced by death or prison, and their shares
EXIT_REASONS = {
    "COMPLETED": 0.62,
    "ENTERED_EMPLOYMENT": 0.12,
    "LOST_CONTACT": 0.13,
    "HEALTH": 0.04,
    "FAMILY_CARE": 0.05,
    "RELOCATED": 0.04,
}
#: completers and those leaving for a job who attain a credential
CREDENTIAL_SHARE = {"COMPLETED": 0.7, "ENTERED_EMPLOYMENT": 0.2}
#: credential types and shares: adults, youth
CREDENTIALS = {
    "OCCUPATIONAL_CERTIFICATE": (0.6, 0.45),
    "OCCUPATIONAL_LICENSE": (0.3, 0.05),
    "SECONDARY_EQUIVALENCY": (0.0, 0.5),
    "ASSOCIATE_DEGREE": (0.1, 0.0),
}
#: chance a participant is placed in a job after the exit (``wioa_reemployment``):
#: with a credential, completed without one, left for a job, left otherwise
P_PLACED = {"credential": 0.85, "COMPLETED": 0.6, "ENTERED_EMPLOYMENT": 1.0, "other": 0.3}
#: a placed job starts in the exit quarter (left for a job) or up to 2 quarters after,
#: and lasts 4 to 12 quarters
JOB_QUARTERS = (4, 13)


#: a person's quarter as one integer, ``person_id * QUARTER_SPAN + q`` (q < 2**16)
QUARTER_SPAN = 1 << 16


def paid_quarters(wages: pl.DataFrame) -> pl.Series:
    """``k``: each quarter a person has wages in, as ``person_id * QUARTER_SPAN + q`` (q =
    year * 4 + quarter - 1), sorted and distinct. One pass: the wage table is sorted on
    person and quarter already (tens of millions of rows at 1M persons)."""
    q = pl.col("year").cast(pl.Int32) * 4 + pl.col("quarter").cast(pl.Int32) - 1
    key = wages.select((pl.col("person_id") * QUARTER_SPAN + q).alias("k")).get_column("k")
    if not key.is_sorted():
        key = key.sort()
    return key.filter(key.diff().fill_null(1) != 0)


def job_losses(wages: pl.DataFrame, last_quarter: int) -> pl.DataFrame:
    """``person_id, q, tenure``: the last quarter ``q`` (year * 4 + quarter - 1) of each
    run of quarters with wages that a quarter without wages follows in the window, and
    the run's length in quarters (no group-by: runs are read off the sorted quarters)."""
    k = pl.col("k")
    starts = (k - k.shift(1)).fill_null(2) != 1  # no paid quarter just before
    ends = (k.shift(-1) - k).fill_null(2) != 1  # no paid quarter just after
    first = pl.when(starts).then(k).forward_fill()
    runs = (
        paid_quarters(wages)
        .to_frame()
        .select(
            (k // QUARTER_SPAN).alias("person_id"),
            (k % QUARTER_SPAN).cast(pl.Int32).alias("q"),
            (k - first + 1).cast(pl.Int32).alias("tenure"),
            ends.alias("_end"),
        )
    )
    return runs.filter(pl.col("_end"), pl.col("q") < last_quarter).drop("_end")


def _tanf_exits(snap_tanf: pl.DataFrame, end: int) -> pl.DataFrame:
    """``person_id, from_d``: the day after the last month of each run of an adult's TANF
    months."""
    tanf = (
        snap_tanf.filter(pl.col("program") == "TANF", pl.col("relationship") != "CHILD")
        .select("person_id", "month")
        .unique()
        .sort("person_id", "month")
    )
    nxt = pl.col("month").shift(-1).over("person_id")
    last = tanf.filter(nxt.is_null() | (nxt != pl.col("month").dt.offset_by("1mo")))
    after = pl.col("month").dt.offset_by("1mo").cast(pl.Int32)
    return last.select("person_id", after.alias("from_d")).filter(pl.col("from_d") < end)


def _candidates(py: pl.DataFrame, wages: pl.DataFrame, snap_tanf: pl.DataFrame, p) -> pl.DataFrame:
    """Job losses and TANF exits from WIOA's start on, of people 18-64 not in prison
    that year: ``person_id, from_d`` (the day after), ``stream``, ``chance``."""
    end = day(p.end_year + 1)
    losses = job_losses(wages, p.end_year * 4 + 3).with_columns(
        pl.date((pl.col("q") + 1) // 4, ((pl.col("q") + 1) % 4) * 3 + 1, 1)
        .cast(pl.Int32)
        .alias("from_d"),
        pl.lit(False).alias("tanf"),
    )
    exits = _tanf_exits(snap_tanf, end).with_columns(
        pl.lit(None, pl.Int32).alias("tenure"), pl.lit(True).alias("tanf")
    )
    events = pl.concat([losses.drop("q"), exits.select(losses.drop("q").columns)])
    start = day(WIOA_START.year, WIOA_START.month, WIOA_START.day)
    events = events.filter(pl.col("from_d") >= start).with_columns(
        to_date(pl.col("from_d")).dt.year().cast(pl.Int32).alias("year")
    )
    people = py.filter(pl.col("jailed").is_null()).select(
        "person_id", "year", "h", "dob", "entry", "death"
    )
    events = events.join(people, on=["person_id", "year"]).with_columns(
        ((pl.col("from_d") - pl.col("dob").cast(pl.Int32)) / 365.25).alias("age_at")
    )
    events = events.filter(pl.col("age_at").is_between(18, 65, closed="left"))
    stream = (
        pl.when(pl.col("age_at") < 25).then(pl.lit("YOUTH"))
        .when(~pl.col("tanf") & (pl.col("tenure") >= 4)).then(pl.lit("DISLOCATED_WORKER"))
        .otherwise(pl.lit("ADULT"))
    )  # fmt: skip
    chance = (
        pl.when(pl.col("tanf")).then(P_TANF)
        .when(pl.col("stream") == "YOUTH").then(P_YOUTH)
        .when(pl.col("stream") == "DISLOCATED_WORKER").then(P_DISLOCATED)
        .otherwise(P_ADULT * (0.3 * pl.col("h")).exp())
    )  # fmt: skip
    return (
        events.with_columns(stream.alias("stream"))
        .with_columns(chance.alias("chance"))
        .sort("person_id", "from_d", "tanf")
    )


def _exits(rng: np.random.Generator, enrolled: pl.DataFrame) -> pl.DataFrame:
    """Each enrolment's planned exit day and reason (before death and prison cut it)."""
    k = enrolled.height
    scale = enrolled["funding_stream"].replace_strict(EXIT_SCALE).to_numpy()
    days = 90 + (rng.gamma(2.0, 1.0, k) * scale).astype(np.int64)
    names = list(EXIT_REASONS)
    share = np.array(list(EXIT_REASONS.values()))
    reason = np.array(names)[rng.choice(len(names), size=k, p=share / share.sum())]
    return enrolled.with_columns(
        pl.Series("exit_d", enrolled["enrol_d"].to_numpy() + days),
        pl.Series("exit_reason", reason, dtype=pl.String),
    )


def _cut_by_prison_and_death(frame: pl.DataFrame, prison: pl.DataFrame) -> pl.DataFrame:
    """Enrolments made in prison dropped; one running at a prison admission exits that
    day (``INSTITUTIONALIZED``), one running at death exits then (``DECEASED``)."""
    stays = prison.select(
        "person_id",
        pl.col("admit_date").cast(pl.Int32).alias("p_in"),
        pl.col("release_date").cast(pl.Int32).fill_null(np.iinfo(np.int32).max).alias("p_out"),
    )
    pairs = frame.select("person_id", "enrol_d", "exit_d").join(stays, on="person_id")
    inside = pairs.filter(pl.col("p_in") <= pl.col("enrol_d"), pl.col("enrol_d") <= pl.col("p_out"))
    cut = (
        pairs.filter(pl.col("p_in") > pl.col("enrol_d"), pl.col("p_in") <= pl.col("exit_d"))
        .group_by("person_id", "enrol_d")
        .agg(pl.col("p_in").min().alias("_admitted"))
    )
    out = frame.join(inside.select("person_id", "enrol_d"), on=["person_id", "enrol_d"],
                     how="anti").join(cut, on=["person_id", "enrol_d"], how="left")  # fmt: skip
    admitted = pl.col("_admitted").is_not_null()
    died = pl.col("death") <= pl.min_horizontal(
        "exit_d", pl.col("_admitted").fill_null(pl.col("exit_d"))
    )
    return out.with_columns(
        pl.when(died).then(pl.col("death"))
        .when(admitted).then(pl.col("_admitted"))
        .otherwise(pl.col("exit_d")).alias("exit_d"),
        pl.when(died).then(pl.lit("DECEASED"))
        .when(admitted).then(pl.lit("INSTITUTIONALIZED"))
        .otherwise(pl.col("exit_reason")).alias("exit_reason"),
    ).drop("_admitted")  # fmt: skip


def _credentials(rng: np.random.Generator, frame: pl.DataFrame) -> pl.Series:
    """The credential attained (null for none), by exit reason and stream."""
    k = frame.height
    reason = frame["exit_reason"].to_numpy()
    share = np.array([CREDENTIAL_SHARE.get(r, 0.0) for r in reason])
    attained = rng.random(k) < share
    names = np.array(list(CREDENTIALS))
    adult = np.array([v[0] for v in CREDENTIALS.values()])
    youth = np.array([v[1] for v in CREDENTIALS.values()])
    u = rng.random(k)
    is_youth = frame["funding_stream"].to_numpy() == "YOUTH"
    cum = np.where(is_youth[:, None], np.cumsum(youth), np.cumsum(adult))
    kind = names[np.minimum((u[:, None] > cum).sum(axis=1), len(names) - 1)]
    return pl.Series("credential", np.where(attained, kind, None).tolist(), dtype=pl.String)


def wioa(
    rng: np.random.Generator,
    py: pl.DataFrame,
    wages: pl.DataFrame,
    snap_tanf: pl.DataFrame,
    prison: pl.DataFrame,
    p,
) -> pl.DataFrame:
    """WIOA enrolments (the ``wioa`` table) after job losses and TANF exits."""
    end = day(p.end_year + 1)
    cand = _candidates(py, wages, snap_tanf, p)
    drawn = cand.filter(uniform(rng, cand) < cand["chance"])
    lo, hi = ENROL_AFTER
    enrolled = drawn.with_columns(
        (pl.col("from_d") + pl.Series(rng.integers(lo, hi, drawn.height))).alias("enrol_d"),
        pl.col("stream").alias("funding_stream"),
    ).filter(
        pl.col("enrol_d") < end, pl.col("enrol_d") < pl.col("death"),
        pl.col("enrol_d") >= pl.col("entry"),
    )  # fmt: skip
    enrolled = _exits(rng, enrolled.sort("person_id", "enrol_d"))
    enrolled = drop_overlaps(enrolled.sort("person_id", "enrol_d"), "enrol_d", "exit_d")
    enrolled = _cut_by_prison_and_death(enrolled, prison).sort("person_id", "enrol_d")
    enrolled = enrolled.with_columns(_credentials(rng, enrolled))
    still = pl.col("exit_d") >= end
    frame = enrolled.with_columns(
        to_date(pl.col("enrol_d")).alias("enrol_date"),
        pl.when(~still).then(to_date(pl.col("exit_d"))).alias("exit_date"),
        pl.when(~still).then(pl.col("exit_reason")).alias("exit_reason"),
        pl.when(~still).then(pl.col("credential")).alias("credential"),
    )
    return conform(frame, "wioa", ["person_id", "enrol_date"], unique=True)


def _placed(rng: np.random.Generator, enrolments: pl.DataFrame, py: pl.DataFrame) -> pl.DataFrame:
    """The exits placed in a job: ``person_id, q0, q1`` (first and last quarter of the
    job), and the person's ``skill``, hardship ``h`` (in the exit year) and ``death``."""
    exit_year = pl.col("exit_date").dt.year().cast(pl.Int32).alias("year")
    traits = py.select("person_id", "year", "skill", "h", "death")
    exited = (
        enrolments.filter(pl.col("exit_date").is_not_null())
        .with_columns(exit_year)
        .join(traits, on=["person_id", "year"], how="inner")
        .sort("person_id", "enrol_date")
    )
    outcome = (
        pl.when(pl.col("credential").is_not_null()).then(pl.lit("credential"))
        .when(pl.col("exit_reason").is_in(["COMPLETED", "ENTERED_EMPLOYMENT"]))
        .then(pl.col("exit_reason"))
        .when(pl.col("exit_reason").is_in(["DECEASED", "INSTITUTIONALIZED"])).then(pl.lit("none"))
        .otherwise(pl.lit("other"))
    )  # fmt: skip
    chance = outcome.replace_strict({**P_PLACED, "none": 0.0}, return_dtype=pl.Float64)
    k = exited.height
    lag = np.where(
        exited["exit_reason"].to_numpy() == "ENTERED_EMPLOYMENT", 0, rng.integers(0, 3, k)
    )
    length = rng.integers(*JOB_QUARTERS, k)
    exit_q = pl.col("exit_date").dt.year() * 4 + (pl.col("exit_date").dt.month() - 1) // 3
    placed = exited.with_columns(
        (exit_q + pl.Series(lag)).cast(pl.Int32).alias("q0"),
        pl.Series("_length", length),
        uniform(rng, exited).alias("_u"),
    ).filter(pl.col("_u") < exited.select(chance).to_series())
    q1 = (pl.col("q0") + pl.col("_length") - 1).alias("q1")
    return placed.select("person_id", "q0", q1, "skill", "h", "death")


def placed_wages(
    rng: np.random.Generator,
    enrolments: pl.DataFrame,
    py: pl.DataFrame,
    wages: pl.DataFrame,
    prison: pl.DataFrame,
    p,
) -> pl.DataFrame:
    """The wage table with the jobs WIOA participants are placed in after their exit
    (the planted ``wioa_reemployment``): quarters already paid, in prison, after death
    or after the window are left as they were. Pay as in ``work.wages``."""
    placed = _placed(rng, enrolments, py)
    if placed.is_empty() or wages.is_empty():
        return wages
    # an employer in proportion to its employment: the employer of a random wage record
    rows = pl.Series(rng.integers(0, wages.height, placed.height))
    jobs = placed.with_columns(
        wages.get_column("employer_id").gather(rows).alias("employer_id"),
        pl.int_ranges("q0", pl.col("q1") + 1).alias("qi"),
    ).explode("qi")
    # one placed job a quarter (a second placement's quarters yield to the first's)
    jobs = jobs.filter(pl.col("qi") <= p.end_year * 4 + 3).unique(
        ["person_id", "qi"], keep="first", maintain_order=True
    )
    jobs = jobs.with_columns(
        (pl.col("qi") // 4).cast(pl.Int32).alias("year"),
        (pl.col("qi") % 4 + 1).cast(pl.Int8).alias("quarter"),
    )
    paid = wages.join(jobs.select("person_id").unique(), on="person_id", how="semi")
    jobs = jobs.join(paid.select("person_id", "year", "quarter"), on=["person_id", "year",
                     "quarter"], how="anti")  # fmt: skip
    jobs = _outside_prison_and_life(jobs, prison).sort("person_id", "year", "quarter")
    base = 9000 * (pl.col("skill") * 0.5 - 0.25 * pl.col("h")).exp()
    growth = 1.025 ** (pl.col("year") - 2000)
    pay = base * growth * pl.Series(rng.lognormal(0, 0.35, jobs.height))
    added = jobs.with_columns(pay.round(2).alias("wages")).select(wages.columns)
    return _merged(wages, added)


def _merged(wages: pl.DataFrame, added: pl.DataFrame) -> pl.DataFrame:
    """The wage table with ``added`` rows (quarters it has no row for), in its own order
    (person, year, quarter, employer): merged, not sorted again (millions of rows)."""
    key = (pl.col("person_id") * QUARTER_SPAN + pl.col("year").cast(pl.Int64) * 4
           + pl.col("quarter").cast(pl.Int64)).alias("_k")  # fmt: skip
    wages = wages.with_columns(key)
    if not wages.get_column("_k").is_sorted():
        wages = conform(wages, "wages", ["person_id", "year", "quarter", "employer_id"],
                        unique=True).with_columns(key)  # fmt: skip
    merged = wages.merge_sorted(added.with_columns(key).sort("_k"), key="_k")
    return merged.drop("_k")


def _outside_prison_and_life(jobs: pl.DataFrame, prison: pl.DataFrame) -> pl.DataFrame:
    """Job quarters that start before the person's ``death`` (a day number) and overlap
    no prison stay."""
    q_start = pl.date(pl.col("year"), (pl.col("quarter").cast(pl.Int32) - 1) * 3 + 1, 1)
    q_end = q_start.dt.offset_by("3mo").dt.offset_by("-1d")
    jobs = jobs.filter(q_start.cast(pl.Int32) < pl.col("death"))
    far = pl.date(9999, 12, 31)
    jailed = (
        jobs.select("person_id", "year", "quarter")
        .join(prison.select("person_id", "admit_date", "release_date"), on="person_id")
        .filter(pl.col("admit_date") <= q_end, pl.col("release_date").fill_null(far) >= q_start)
        .select("person_id", "year", "quarter")
        .unique()
    )
    return jobs.join(jailed, on=["person_id", "year", "quarter"], how="anti")
