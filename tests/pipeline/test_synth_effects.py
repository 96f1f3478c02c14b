"""Planted effects: recomputed here from the world's tables, independently of
enclave.synth.effects, and in the direction the world was built to show."""

from __future__ import annotations

import polars as pl
import pytest

from enclave.config import SynthParams
from enclave.synth import simulate

pytestmark = pytest.mark.slow

PARAMS = SynthParams(persons=5000, seed=5)
NAMES = {
    "snap_medicaid_share_2019",
    "employment_after_tanf_exit",
    "post_release_employment",
    "graduation_gap_foster",
    "snap_childhood_adult_gap",
    "medicaid_by_age_5",
    "parent_prison_investigation",
    "djj_after_placement",
    "wioa_reemployment",
    "liheap_among_snap",
    "veterans_home_after_ccp",
    "ui_claim_low_wage_gap",
}


@pytest.fixture(scope="module")
def world():
    return simulate(PARAMS)


def _close(world, name, value):
    assert world.effects[name]["value"] == pytest.approx(value, abs=1e-5)


def _worked_quarters(world) -> set[tuple[int, int]]:
    # UI wage records exist only for workers with an SSN
    with_ssn = world["persons"].filter(pl.col("ssn").is_not_null()).select("person_id")
    w = world["wages"].join(with_ssn, on="person_id", how="semi")
    return set(
        zip(w["person_id"].to_list(), (w["year"] * 4 + w["quarter"] - 1).to_list(), strict=True)
    )


def _rate_after(world, events: list[tuple[int, int]]) -> float:
    """Mean over (person, quarter index) events of the share of the next 4 quarters worked."""
    worked = _worked_quarters(world)
    shares = [sum((pid, q + k) in worked for k in range(1, 5)) / 4 for pid, q in events]
    return sum(shares) / len(shares)


def test_every_effect_is_documented(world):
    assert set(world.effects) == NAMES
    for effect in world.effects.values():
        assert set(effect) == {"value", "tolerance", "description", "definition"}
        assert effect["tolerance"] > 0
        assert effect["description"].endswith(".") and len(effect["definition"]) > 60


def test_snap_medicaid_share_2019(world):
    snap = world["snap_tanf"].filter(
        (pl.col("program") == "SNAP") & (pl.col("month").dt.year() == 2019)
    )
    on_snap = set(snap["person_id"].to_list())
    med = world["medicaid"].filter(
        pl.col("start").dt.year() <= 2019,
        pl.col("end").is_null() | (pl.col("end").dt.year() >= 2019),
    )
    on_med = set(med["person_id"].to_list())
    share = len(on_snap & on_med) / len(on_snap)
    _close(world, "snap_medicaid_share_2019", share)
    assert 0.5 < share < 1


def test_graduation_gap_foster_is_negative(world):
    school = world["school"]
    y9 = dict(
        school.filter(pl.col("grade") == 9)
        .group_by("person_id")
        .agg(pl.col("school_year").min())
        .iter_rows()
    )
    cohort = {pid: y for pid, y in y9.items() if y + 4 <= PARAMS.end_year}
    grads = set(school.filter(pl.col("exit_status") == "GRADUATED")["person_id"].to_list())
    plc = world["dcfs"].filter(pl.col("event_type") == "PLACEMENT")
    first = dict(plc.group_by("person_id").agg(pl.col("start").min()).iter_rows())
    groups: dict[bool, list[int]] = {True: [], False: []}
    for pid, y in cohort.items():
        start = first.get(pid)
        foster = start is not None and (start.year, start.month) < (y + 4, 7)
        groups[foster].append(pid in grads)
    rate = {k: sum(v) / len(v) for k, v in groups.items()}
    _close(world, "graduation_gap_foster", rate[True] - rate[False])
    assert rate[True] - rate[False] < 0


def _age(dob, d) -> float:
    return (d - dob).days / 365.25


def test_employment_after_tanf_exit_beats_employment_on_tanf(world):
    persons = {
        r[0]: r[1:] for r in world["persons"].select("person_id", "dob", "death_date").iter_rows()
    }
    tanf = world["snap_tanf"].filter(pl.col("program") == "TANF").select("person_id", "month")
    months = {(pid, m.year * 12 + m.month - 1) for pid, m in tanf.iter_rows()}
    events, during = [], []
    for pid, mi in sorted(months):
        y, m = divmod(mi, 12)
        dob, death = persons[pid]
        import datetime as dt

        month = dt.date(y, m + 1, 1)
        adult = 18 <= _age(dob, month) <= 64
        if adult:
            during.append((pid, y * 4 + m // 3 - 1))
        if (pid, mi + 1) in months or not adult or y > PARAMS.end_year - 1:
            continue
        alive = death is None or death > dt.date(y + (m + 13) // 12, (m + 13) % 12 + 1, 1)
        if alive:
            events.append((pid, y * 4 + m // 3))
    after = _rate_after(world, events)
    _close(world, "employment_after_tanf_exit", after)
    assert after > _rate_after(world, during)


def test_post_release_employment_is_below_other_adults(world):
    import datetime as dt

    persons = {
        r[0]: r[1:] for r in world["persons"].select("person_id", "dob", "death_date").iter_rows()
    }
    events = []
    for pid, rel in world["prison"].select("person_id", "release_date").iter_rows():
        if rel is None or rel.year >= PARAMS.end_year:
            continue
        dob, death = persons[pid]
        later = dt.date(
            rel.year + (rel.month + 12) // 12,
            (rel.month + 12) % 12 + 1,
            rel.day if rel.day <= 28 else 28,
        )
        if 18 <= _age(dob, rel) <= 64 and (death is None or death > later):
            events.append((pid, rel.year * 4 + (rel.month - 1) // 3))
    value = _rate_after(world, events)
    assert world.effects["post_release_employment"]["value"] == pytest.approx(value, abs=0.02)
    # all adults 25-54 in 2010: share of quarters worked
    adults = world["persons"].filter(
        ((pl.date(2010, 1, 1) - pl.col("dob")).dt.total_days() / 365.25).is_between(25, 54),
        pl.col("death_date").is_null(),
        pl.col("dob") < pl.date(1990, 1, 1),
    )
    base = _rate_after(world, [(pid, 2010 * 4 - 1) for pid in adults["person_id"].to_list()])
    assert value < base


def test_snap_childhood_adult_gap_is_positive(world):
    snap = world["snap_tanf"].filter(pl.col("program") == "SNAP")
    yr = snap.select("person_id", pl.col("month").dt.year().alias("y"))
    child = set(yr.filter(pl.col("y") <= 2004)["person_id"].to_list())
    adult = set(yr.filter(pl.col("y") >= 2020)["person_id"].to_list())
    cohort = (
        world["persons"]
        .filter(pl.col("dob").dt.year().is_between(1986, 1996), pl.col("death_date").is_null())[
            "person_id"
        ]
        .to_list()
    )
    exposed = [p in adult for p in cohort if p in child]
    others = [p in adult for p in cohort if p not in child]
    gap = sum(exposed) / len(exposed) - sum(others) / len(others)
    _close(world, "snap_childhood_adult_gap", gap)
    assert gap > 0


def _fifth_birthday(born):
    import datetime as dt

    day = 28 if (born.month, born.day) == (2, 29) else born.day
    return dt.date(born.year + 5, born.month, day)


def _children(world, first: int, last: int) -> dict[int, tuple]:
    """Children with a birth record born first-last and alive on their 5th birthday:
    child -> (birth date, 5th birthday, mother, father if named)."""
    deaths = dict(world["persons"].select("person_id", "death_date").iter_rows())
    out = {}
    for child, mother, father, born, named in (
        world["births"]
        .select("child_id", "mother_id", "father_id", "birth_date", "father_named")
        .iter_rows()
    ):
        until = _fifth_birthday(born)
        death = deaths[child]
        if first <= born.year <= last and (death is None or death > until):
            out[child] = (born, until, mother, father if named else None)
    return out


def test_medicaid_by_age_5(world):
    children = _children(world, PARAMS.start_year, PARAMS.end_year - 5)
    covered = {
        pid
        for pid, start in world["medicaid"].select("person_id", "start").iter_rows()
        if pid in children and start < children[pid][1]
    }
    share = len(covered) / len(children)
    _close(world, "medicaid_by_age_5", share)
    assert 0.3 < share < 1


def test_parent_prison_investigation_is_positive(world):
    children = _children(world, PARAMS.start_year + 1, PARAMS.end_year - 5)
    admitted: dict[int, object] = {}
    for pid, admit in world["prison"].select("person_id", "admit_date").iter_rows():
        admitted[pid] = min(admit, admitted.get(pid, admit))
    investigated = set()
    inv = world["dcfs"].filter(pl.col("event_type") == "INVESTIGATION")
    for pid, start in inv.select("person_id", "start").iter_rows():
        if pid in children and start < children[pid][1]:
            investigated.add(pid)
    groups: dict[bool, list[bool]] = {True: [], False: []}
    for child, (born, _, mother, father) in children.items():
        exposed = any(p in admitted and admitted[p] < born for p in (mother, father) if p)
        groups[exposed].append(child in investigated)
    gap = sum(groups[True]) / len(groups[True]) - sum(groups[False]) / len(groups[False])
    _close(world, "parent_prison_investigation", gap)
    assert gap > 0


def test_djj_after_placement(world):
    """Recomputed in plain Python: per youth-year (13-17 on 1 July, alive then), the
    yearly DJJ admission rate after a placement minus without, per 1,000."""
    import datetime as dt

    placed: dict[int, dt.date] = {}
    plc = world["dcfs"].filter(pl.col("event_type") == "PLACEMENT")
    for pid, start in plc.select("person_id", "start").iter_rows():
        placed[pid] = min(start, placed.get(pid, start))
    admitted = {
        (pid, d.year) for pid, d in world["djj"].select("person_id", "admit_date").iter_rows()
    }
    groups: dict[bool, list[bool]] = {True: [], False: []}
    for pid, dob, death in world["persons"].select("person_id", "dob", "death_date").iter_rows():
        for year in range(PARAMS.start_year, PARAMS.end_year + 1):
            mid = dt.date(year, 7, 1)
            age = year - dob.year - ((dob.month, dob.day) > (7, 1))
            if 13 <= age <= 17 and (death is None or death > mid):
                before = pid in placed and placed[pid] < mid
                groups[before].append((pid, year) in admitted)
    rate = {k: 1000 * sum(v) / len(v) for k, v in groups.items()}
    _close(world, "djj_after_placement", rate[True] - rate[False])


def test_djj_stays_are_youth_stays_and_lead_to_adult_prison(world):
    """Admissions at 12-21 (13-17 on 1 July, or a follow-on stay), no stay overlapping
    another or an adult prison stay, and former DJJ youth admitted to prison at 18-24
    far more often than others (the added hazard)."""
    djj = world["djj"].join(world["persons"].select("person_id", "dob"), on="person_id")
    age = (pl.col("admit_date") - pl.col("dob")).dt.total_days() / 365.25
    assert djj.select(age.min()).item() >= 12 and djj.select(age.max()).item() < 21
    far = pl.date(2100, 1, 1)
    stays = pl.concat([
        world["djj"].select("person_id", "admit_date", "release_date"),
        world["prison"].select("person_id", "admit_date", "release_date"),
    ]).sort("person_id", "admit_date")  # fmt: skip
    previous_end = pl.col("release_date").fill_null(far).shift(1).over("person_id")
    assert stays.filter(pl.col("admit_date") <= previous_end).height == 0
    youth = set(world["djj"]["person_id"].to_list())
    adults = world["prison"].join(world["persons"].select("person_id", "dob"), on="person_id")
    young = adults.filter(age.is_between(18, 25))["person_id"].unique().to_list()
    cohort = world["persons"].filter(pl.col("dob").dt.year().is_between(1982, 1999))
    n_youth = cohort.filter(pl.col("person_id").is_in(list(youth))).height
    rate_youth = len(set(young) & youth) / max(n_youth, 1)
    rate_others = len(set(young) - youth) / (cohort.height - n_youth)
    assert n_youth > 0 and rate_youth > 3 * rate_others


def test_youth_custody_follows_placement_by_construction(monkeypatch):
    """The planted rate ratio drives the measure: with no placement effect the gap shrinks
    to what hardship alone gives, with a large one it grows."""
    from enclave.synth import youth

    values = {}
    for ratio in (1.0, 12.0):
        monkeypatch.setattr(youth, "PLACEMENT_RR", ratio)
        values[ratio] = simulate(PARAMS).effects["djj_after_placement"]["value"]
    assert values[12.0] > values[1.0] + 5


def test_liheap_among_snap(world):
    """Recomputed in plain Python: of the persons with a SNAP month in program year
    2024 (October 2023 to September 2024), the share listed on a 2024 application."""
    import datetime as dt

    first, last = dt.date(PARAMS.end_year - 1, 10, 1), dt.date(PARAMS.end_year, 9, 30)
    snap = {
        pid
        for pid, program, month in world["snap_tanf"]
        .select("person_id", "program", "month")
        .iter_rows()
        if program == "SNAP" and first <= month <= last
    }
    listed = {
        pid
        for pid, year in world["liheap"].select("person_id", "program_year").iter_rows()
        if year == PARAMS.end_year
    }
    share = len(snap & listed) / len(snap)
    _close(world, "liheap_among_snap", share)
    assert 0.1 < share < 0.6


def test_liheap_applications_list_whole_households(world):
    """One applicant per application, its size the members listed, one date; children
    are the applicant's (or the spouse's), grandchildren their children's, parents the
    applicant's; every kind of household member the world makes is listed."""
    liheap = world["liheap"]
    apps = liheap.group_by("application_id").agg(
        (pl.col("relationship") == "APPLICANT").sum().alias("applicants"),
        pl.len().alias("n"),
        pl.col("household_size").first(),
        pl.col("application_date").n_unique().alias("dates"),
        pl.col("benefit").n_unique().alias("benefits"),
    )
    assert (apps["applicants"] == 1).all() and (apps["n"] == apps["household_size"]).all()
    assert (apps["dates"] == 1).all() and (apps["benefits"] == 1).all()
    assert liheap.select(pl.struct("person_id", "program_year").is_unique().all()).item()
    people = world["persons"].select("person_id", "mother_id", "father_id")
    applicant = liheap.filter(pl.col("relationship") == "APPLICANT").select(
        "application_id", pl.col("person_id").alias("a")
    )
    rows = liheap.join(applicant, on="application_id").join(people, on="person_id")
    parents_of = {pid: {m, f} for pid, m, f in people.iter_rows()}
    for pid, rel, a, mother, father in rows.select(
        "person_id", "relationship", "a", "mother_id", "father_id"
    ).iter_rows():
        if rel == "GRANDCHILD":
            assert a in parents_of.get(mother, set()) | parents_of.get(father, set())
        elif rel == "PARENT":
            assert pid in parents_of[a]
    spouse = liheap.filter(pl.col("relationship") == "SPOUSE").select(
        "application_id", pl.col("person_id").alias("s")
    )
    children = rows.filter(pl.col("relationship") == "CHILD").join(
        spouse, on="application_id", how="left"
    )
    parent = pl.concat_list("a", "s").list.drop_nulls()
    own = children.filter(
        parent.list.contains(pl.col("mother_id")) | parent.list.contains(pl.col("father_id"))
    )
    assert own.height > 0.95 * children.height > 0
    assert set(liheap["relationship"]) >= {"APPLICANT", "SPOUSE", "CHILD", "GRANDCHILD"}


def test_wioa_enrolments_follow_a_job_loss_or_a_tanf_exit(world):
    """Every enrolment is of a person 18-64, from WIOA's start, within half a year of a
    quarter without wages after a worked one, or of a TANF exit; exits follow
    enrolments, forced ones on the day of death; enrolments of a person never overlap."""
    import datetime as dt

    wioa = world["wioa"].join(world["persons"].select("person_id", "dob", "death_date"),
                              on="person_id")  # fmt: skip
    assert wioa.height > 0 and (wioa["enrol_date"] >= dt.date(2015, 7, 1)).all()
    age = (pl.col("enrol_date") - pl.col("dob")).dt.total_days() / 365.25
    assert wioa.select(age.min()).item() >= 18 and wioa.select(age.max()).item() < 66
    assert wioa.filter(pl.col("exit_date") < pl.col("enrol_date")).height == 0
    died = wioa.filter(pl.col("exit_reason") == "DECEASED")
    assert (died["exit_date"] == died["death_date"]).all()
    paid = {(p, y * 4 + q - 1) for p, y, q in world["wages"].select(
        "person_id", "year", "quarter").iter_rows()}  # fmt: skip
    tanf = world["snap_tanf"].filter(pl.col("program") == "TANF")
    tanf_months = {(p, m) for p, m in tanf.select("person_id", "month").iter_rows()}
    for pid, enrolled in wioa.select("person_id", "enrol_date").iter_rows():
        q = enrolled.year * 4 + (enrolled.month - 1) // 3
        lost = any((pid, k - 1) in paid and (pid, k) not in paid for k in range(q - 2, q + 1))
        months = [enrolled.replace(day=1) - dt.timedelta(days=31 * k) for k in range(0, 8)]
        left = any((pid, m.replace(day=1)) in tanf_months for m in months)
        assert lost or left, pid
    ordered = world["wioa"].sort("person_id", "enrol_date")
    previous_exit = pl.col("exit_date").shift(1).over("person_id")
    assert ordered.filter(pl.col("enrol_date") <= previous_exit).height == 0


def test_wioa_reemployment(world):
    """Recomputed in plain Python: per job loss (covered wages; 18-64, from 2015-Q3,
    alive through the follow-up), the share of quarters 5-8 after it with wages,
    enrolled in WIOA within 4 quarters minus not."""
    import datetime as dt

    ssn = set(world["persons"].drop_nulls("ssn")["person_id"].to_list())
    people = {p: (d, x) for p, d, x in world["persons"].select(
        "person_id", "dob", "death_date").iter_rows()}  # fmt: skip
    paid: dict[int, set[int]] = {}
    for pid, y, q in world["wages"].select("person_id", "year", "quarter").iter_rows():
        if pid in ssn:
            paid.setdefault(pid, set()).add(y * 4 + q - 1)
    enrolled: dict[int, list[int]] = {}
    for pid, d in world["wioa"].select("person_id", "enrol_date").iter_rows():
        enrolled.setdefault(pid, []).append(d.year * 4 + (d.month - 1) // 3)
    last = PARAMS.end_year * 4 + 3
    groups: dict[bool, list[float]] = {True: [], False: []}
    for pid, quarters in paid.items():
        dob, death = people[pid]
        for q in quarters:
            if q + 1 in quarters or q + 1 < 2015 * 4 + 2 or q + 8 > last:
                continue
            start = dt.date((q + 1) // 4, (q + 1) % 4 * 3 + 1, 1)
            until = dt.date((q + 9) // 4, (q + 9) % 4 * 3 + 1, 1)
            if not 18 <= (start - dob).days / 365.25 < 65 or (death and death < until):
                continue
            trained = any(q + 1 <= e <= q + 4 for e in enrolled.get(pid, []))
            groups[trained].append(sum(q + k in quarters for k in range(5, 9)) / 4)
    rate = {k: sum(v) / len(v) for k, v in groups.items()}
    _close(world, "wioa_reemployment", rate[True] - rate[False])
    assert rate[True] - rate[False] > 0.15


def test_wioa_reemployment_follows_placement_by_construction(monkeypatch):
    """The planted placements drive the measure: with no participant placed after the
    exit, trainees work about as often as other job losers."""
    from enclave.synth import commerce

    monkeypatch.setattr(commerce, "P_PLACED", dict.fromkeys(commerce.P_PLACED, 0.0))
    effect = simulate(PARAMS).effects["wioa_reemployment"]
    assert abs(effect["value"]) < max(effect["tolerance"], 0.1)


def test_veterans_home_after_ccp(world):
    """Recomputed in plain Python: per veteran-year (a person with an IDVA claim, 70 or
    older on 1 July and alive then), the yearly veterans' home admission rate once in
    community care minus without, per 1,000."""
    import datetime as dt

    in_care: dict[int, dt.date] = {}
    for pid, start in world["ccp"].select("person_id", "start").iter_rows():
        in_care[pid] = min(start, in_care.get(pid, start))
    idva = world["idva"]
    claimants = set(idva.filter(pl.col("program") == "CLAIM")["person_id"].to_list())
    homes = idva.filter(pl.col("program") == "HOME").select("person_id", "start")
    admitted = {(pid, d.year) for pid, d in homes.iter_rows()}
    groups: dict[bool, list[bool]] = {True: [], False: []}
    for pid, dob, death in world["persons"].select("person_id", "dob", "death_date").iter_rows():
        if pid not in claimants:
            continue
        for year in range(PARAMS.start_year, PARAMS.end_year + 1):
            mid = dt.date(year, 7, 1)
            age = year - dob.year - ((dob.month, dob.day) > (7, 1))
            if age >= 70 and (death is None or death > mid):
                before = pid in in_care and in_care[pid] < mid
                groups[before].append((pid, year) in admitted)
    rate = {k: 1000 * sum(v) / len(v) for k, v in groups.items()}
    _close(world, "veterans_home_after_ccp", rate[True] - rate[False])


def test_veterans_served_young_and_their_benefits_follow_discharge(world):
    """Service entered at 18-22 and ended alive, by men far more than women, never after
    a prison or youth custody admission; claims only after the discharge year, never
    granted after a dishonorable or bad-conduct discharge; homes at 70 and over, for
    honorable or general service, one stay at a time."""
    persons = world["persons"].select("person_id", "sex", "dob", "death_date", "ssn")
    service = world["military"].join(persons, on="person_id")
    age = (pl.col("entry_date") - pl.col("dob")).dt.total_days() / 365.25
    assert service.select(age.min()).item() >= 18 and service.select(age.max()).item() < 22.01
    assert service["ssn"].null_count() == 0
    ended = service.filter(pl.col("discharge_date").is_not_null())
    assert (ended["discharge_date"] > ended["entry_date"]).all()
    assert ended.filter(pl.col("death_date") <= pl.col("discharge_date")).height == 0
    share = service.group_by("sex").len().join(persons.group_by("sex").len(), on="sex")
    rate = dict(share.select("sex", pl.col("len") / pl.col("len_right")).iter_rows())
    assert rate["M"] > 8 * rate["F"]
    stays = pl.concat([world["prison"].select("person_id", "admit_date"),
                       world["djj"].select("person_id", "admit_date")])  # fmt: skip
    before = stays.join(service, on="person_id").filter(
        pl.col("admit_date") < pl.col("discharge_date").fill_null(pl.date(2100, 1, 1))
    )
    assert before.height == 0
    idva = world["idva"].join(service, on="person_id")
    assert idva.height == world["idva"].height
    assert (idva["start"].dt.year() > idva["discharge_date"].dt.year()).all()
    barred = idva.filter(pl.col("character").is_in(["DISHONORABLE", "BAD_CONDUCT"]))
    assert barred.filter(pl.col("outcome") == "GRANTED").height == 0
    homes = idva.filter(pl.col("program") == "HOME")
    assert homes.height > 0
    assert ((homes["start"] - homes["dob"]).dt.total_days() / 365.25 >= 69.5).all()
    assert set(homes["character"]) <= {"HONORABLE", "GENERAL"}
    previous_end = pl.col("end").fill_null(pl.date(2100, 1, 1)).shift(1).over("person_id")
    assert homes.sort("person_id", "start").filter(pl.col("start") <= previous_end).height == 0


def test_active_duty_stops_wages_and_a_home_stay_ends_community_care(world):
    """No UI wage record falls in a quarter spent wholly on active duty; no community
    care episode runs into a veterans' home stay."""
    service = world["military"].select(
        "person_id", "entry_date", pl.col("discharge_date").fill_null(pl.date(2100, 1, 1))
    )
    first = pl.date(pl.col("year"), pl.col("quarter").cast(pl.Int32) * 3 - 2, 1)
    wages = (
        world["wages"]
        .join(service, on="person_id")
        .filter(
            first >= pl.col("entry_date"), first.dt.offset_by("3mo") <= pl.col("discharge_date")
        )
    )
    assert wages.height == 0
    far = pl.date(2100, 1, 1)
    homes = (
        world["idva"]
        .filter(pl.col("program") == "HOME")
        .select("person_id", pl.col("start").alias("h_start"), pl.col("end").alias("h_end"))
    )
    overlap = (
        world["ccp"]
        .join(homes, on="person_id")
        .filter(
            pl.col("start") <= pl.col("h_end").fill_null(far),
            pl.col("h_start") <= pl.col("end").fill_null(far),
        )
    )
    assert overlap.height == 0


def test_veterans_home_follows_community_care_by_construction(monkeypatch):
    """The planted rate ratio drives the measure: with no community care effect the gap
    shrinks to what frailty and hardship give, with a large one it grows."""
    from enclave.synth import veterans

    values = {}
    for ratio in (1.0, 12.0):
        monkeypatch.setattr(veterans, "CCP_RR", ratio)
        values[ratio] = simulate(PARAMS).effects["veterans_home_after_ccp"]["value"]
    assert values[12.0] > values[1.0] + 10


def _quarter_start(q: int):
    import datetime as dt

    return dt.date(q // 4, q % 4 * 3 + 1, 1)


def test_ui_claim_low_wage_gap(world):
    """Recomputed in plain Python: per job loss (the last quarter with covered wages
    before two without, the next quarter in the claim years, the worker 18-64 on its
    first day and alive on its last), the share followed by a regular UI claim, low
    wage minus the others."""
    import datetime as dt
    from collections import defaultdict

    from enclave.synth import unemployment as ui

    first, last = ui.claim_years(PARAMS)
    with_ssn = set(world["persons"].drop_nulls("ssn")["person_id"].to_list())
    worked: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    rows = world["wages"].select("person_id", "year", "quarter", "wages").iter_rows()
    for pid, year, quarter, wages in rows:
        if pid in with_ssn:
            worked[pid][year * 4 + quarter - 1] += wages
    people = {
        r[0]: r[1:] for r in world["persons"].select("person_id", "dob", "death_date").iter_rows()
    }
    claims: dict[int, list[dt.date]] = defaultdict(list)
    regular = world["ui_claims"].filter(pl.col("program") == "UI")
    for pid, begins in regular.select("person_id", "benefit_year_begin").iter_rows():
        claims[pid].append(begins)
    groups: dict[bool, list[bool]] = {True: [], False: []}
    for pid, quarters in worked.items():
        dob, death = people[pid]
        for q in list(quarters):
            if q + 1 in quarters or q + 2 in quarters or not first * 4 <= q + 1 <= last * 4 + 3:
                continue
            after, after_end = _quarter_start(q + 1), _quarter_start(q + 2) - dt.timedelta(days=1)
            if not 18 <= (after - dob).days / 365.25 < 65 or (death and death <= after_end):
                continue
            paid = [quarters[q - k] for k in range(4) if q - k in quarters]
            recent = sum(paid) / len(paid)
            low = recent < ui.LOW_WAGE * ui.WAGE_GROWTH ** (q // 4 - 2000)
            since = _quarter_start(q) - dt.timedelta(days=6)
            groups[low].append(any(since <= b <= after_end for b in claims[pid]))
    rate = {k: sum(v) / len(v) for k, v in groups.items()}
    _close(world, "ui_claim_low_wage_gap", rate[True] - rate[False])
    assert rate[True] < rate[False]


def test_ui_claims_follow_job_losses_within_the_rules(world):
    """Claims: by workers with an SSN aged 18-64, benefit years beginning on a Sunday in
    the claim years and a year apart at least; a regular claim after the last quarter of
    a run of wages, a UCX claim within two months of an honorable or general discharge;
    weekly benefits within the state's minimum and the year's maximum; weeks paid no
    more than claimed, at most 26, all of them on a lack-of-work claim."""
    from enclave.synth import unemployment as ui

    first, last = ui.claim_years(PARAMS)
    claims = world["ui_claims"].join(world["persons"], on="person_id")
    begins = pl.col("benefit_year_begin")
    assert claims.height > 0 and claims["ssn"].null_count() == 0
    assert (claims["benefit_year_begin"].dt.weekday() == 7).all()
    assert claims["benefit_year_begin"].dt.year().is_between(first, last).all()
    age = (begins - pl.col("dob")).dt.total_days() / 365.25
    # 18-64 on the first day of the quarter after the loss; the claim can come before it
    assert claims.select(age.min()).item() >= 17.7 and claims.select(age.max()).item() < 65
    apart = (begins - begins.shift(1).over("person_id")).dt.total_days()
    assert claims.sort("person_id", begins).filter(apart < 364).height == 0
    assert (claims["weeks_paid"] <= claims["weeks_claimed"]).all()
    assert claims["weeks_claimed"].max() <= 26
    laid_off = claims.filter(pl.col("separation_reason") == "LACK_OF_WORK")
    assert (laid_off["weeks_paid"] == laid_off["weeks_claimed"]).all()
    most = ui.WBA_MAX_2000 * ui.WBA_MAX_GROWTH ** (claims["benefit_year_begin"].dt.year() - 2000)
    assert (claims["weekly_benefit"] >= ui.WBA_MIN).all()
    assert (claims["weekly_benefit"] <= most.floor()).all()
    quarter = pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32) - 1
    worked = world["wages"].select("person_id", quarter.alias("q")).unique()
    # the quarter of the benefit year's first Saturday: the loss quarter, or the next
    saturday = begins.dt.offset_by("6d")
    regular = claims.filter(pl.col("program") == "UI").select(
        "person_id", (saturday.dt.year() * 4 + (saturday.dt.month() - 1) // 3).alias("bq")
    )
    before = regular.join(worked, on="person_id").filter(
        pl.col("q").is_between(pl.col("bq") - 1, pl.col("bq"))
    )
    assert before.select("person_id", "bq").unique().height == regular.unique().height
    ucx = claims.filter(pl.col("program") == "UCX").join(world["military"], on="person_id")
    days = (begins - pl.col("discharge_date")).dt.total_days()
    assert ucx.filter(~days.is_between(-6, 61)).height == 0
    assert set(ucx["character"]) <= {"HONORABLE", "GENERAL"}


def test_ui_claims_follow_the_low_wage_ratio_by_construction(monkeypatch):
    """The planted ratio drives the measure: with low-wage workers claiming as often as
    others the gap shrinks to what monetary eligibility gives, with a fifth as often it
    grows."""
    from enclave.synth import unemployment

    values = {}
    for ratio in (1.0, 0.2):
        monkeypatch.setattr(unemployment, "LOW_WAGE_RR", ratio)
        values[ratio] = simulate(PARAMS).effects["ui_claim_low_wage_gap"]["value"]
    assert values[0.2] < values[1.0] - 0.08
