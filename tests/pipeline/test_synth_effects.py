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
