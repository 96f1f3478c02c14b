"""The synthetic world on a small population: schema, integrity, plausibility, effects."""

from __future__ import annotations

import polars as pl
import pytest

from enclave.config import SynthParams
from enclave.synth import simulate
from enclave.synth.world import PROGRAM_TABLES, SCHEMAS, conforms

pytestmark = pytest.mark.slow

PARAMS = SynthParams(persons=3000, seed=11)
START, END = pl.date(PARAMS.start_year, 1, 1), pl.date(PARAMS.end_year, 12, 31)

#: program table -> its person column and the date column of the contact's start
STARTS = {
    "medicaid": ("person_id", pl.col("start")),
    "snap_tanf": ("person_id", pl.col("month")),
    "ccp": ("person_id", pl.col("start")),
    "dcfs": ("person_id", pl.col("start")),
    "school": ("person_id", pl.date(pl.col("school_year"), 9, 1)),
    "wages": ("person_id", pl.date(pl.col("year"), pl.col("quarter") * 3 - 2, 1)),
    "prison": ("person_id", pl.col("admit_date")),
    "djj": ("person_id", pl.col("admit_date")),
    "liheap": ("person_id", pl.col("application_date")),
    "wioa": ("person_id", pl.col("enrol_date")),
    "military": ("person_id", pl.col("entry_date")),
    "idva": ("person_id", pl.col("start")),
    "ui_claims": ("person_id", pl.col("benefit_year_begin")),
    "births": ("child_id", pl.col("birth_date")),
    "deaths": ("person_id", pl.col("death_date")),
}


@pytest.fixture(scope="module")
def world():
    return simulate(PARAMS)


@pytest.fixture(scope="module")
def persons(world):
    return world["persons"]


def test_every_table_has_the_canonical_schema(world):
    assert conforms(world) == []
    assert set(world.tables) == set(SCHEMAS)


def test_the_population_has_the_requested_size_and_unique_ids(persons):
    assert persons.height == PARAMS.persons
    assert persons["person_id"].n_unique() == persons.height


def test_same_seed_gives_identical_frames(world):
    again = simulate(PARAMS)
    for name in SCHEMAS:
        assert world[name].equals(again[name]), name
    assert world.effects == again.effects


def test_another_seed_gives_another_world(world):
    other = simulate(SynthParams(persons=PARAMS.persons, seed=PARAMS.seed + 1))
    assert not world["persons"].equals(other["persons"])
    assert not world["wages"].equals(other["wages"])


@pytest.mark.parametrize("name", PROGRAM_TABLES)
def test_program_people_exist(world, persons, name):
    col, _ = STARTS[name]
    missing = world[name].join(persons, left_on=col, right_on="person_id", how="anti")
    assert missing.height == 0


@pytest.mark.parametrize("name", PROGRAM_TABLES)
def test_no_contact_before_birth_or_after_death_or_outside_the_window(world, persons, name):
    col, start = STARTS[name]
    rows = (
        world[name]
        .with_columns(start.alias("_start"))
        .join(persons.select("person_id", "dob", "death_date"), left_on=col, right_on="person_id")
    )
    assert rows.height > 0, name
    # a benefit month is the month's first day: compare it with the month of birth
    born = pl.col("dob").dt.truncate("1mo") if name == "snap_tanf" else pl.col("dob")
    bad = rows.filter(
        (pl.col("_start") < born)
        | (pl.col("_start") > pl.col("death_date"))
        | (pl.col("_start") > END)
    )
    assert bad.height == 0, name


@pytest.mark.parametrize("name", ["medicaid", "ccp", "dcfs"])
def test_spells_end_after_they_start_and_not_after_death(world, persons, name):
    rows = world[name].join(persons.select("person_id", "death_date"), on="person_id")
    assert rows.filter(pl.col("end") < pl.col("start")).height == 0
    assert rows.filter(pl.col("end") > pl.col("death_date")).height == 0
    # an open spell is open at the end of the window, so nobody dead has one
    open_dead = rows.filter(pl.col("end").is_null() & pl.col("death_date").is_not_null())
    assert open_dead.height == 0


def test_prison_stays_do_not_overlap(world):
    stays = world["prison"].sort("person_id", "admit_date")
    prev = pl.col("release_date").shift(1).over("person_id")
    assert stays.filter(prev.is_not_null() & (pl.col("admit_date") <= prev)).height == 0
    assert set(stays["offense_class"].unique()) <= {"X", "1", "2", "3", "4"}


def test_relations_match_the_parents_in_persons(world, persons):
    rel = world["relations"]
    from_persons = pl.concat(
        [
            persons.filter(pl.col(c).is_not_null()).select(
                pl.col("person_id").alias("child_id"),
                pl.col(c).alias("parent_id"),
                pl.lit(r).alias("role"),
            )
            for c, r in (("mother_id", "MOTHER"), ("father_id", "FATHER"))
        ]
    ).sort("child_id", "role")
    assert rel.sort("child_id", "role").equals(from_persons)
    parents = rel.join(persons, left_on="parent_id", right_on="person_id")
    assert parents.height == rel.height
    # mothers are women, fathers men, both older than their children
    assert parents.filter((pl.col("role") == "MOTHER") & (pl.col("sex") != "F")).height == 0
    assert parents.filter((pl.col("role") == "FATHER") & (pl.col("sex") != "M")).height == 0
    kids = rel.join(persons.select("person_id", "dob"), left_on="child_id", right_on="person_id")
    kids = kids.join(
        persons.select("person_id", pl.col("dob").alias("pdob")),
        left_on="parent_id",
        right_on="person_id",
    )
    gap = (pl.col("dob") - pl.col("pdob")).dt.total_days() / 365.25
    assert kids.filter(gap < 13).height == 0


def test_twins_point_at_each_other_and_share_birth_and_mother(persons):
    twins = persons.filter(pl.col("twin_id").is_not_null())
    assert twins.height > 0
    pair = twins.join(persons, left_on="twin_id", right_on="person_id", suffix="_t")
    assert pair.height == twins.height
    assert (pair["twin_id_t"] == pair["person_id"]).all()
    assert (pair["dob"] == pair["dob_t"]).all()
    assert (pair["mother_id"].eq_missing(pair["mother_id_t"])).all()
    assert (pair["last_name"] == pair["last_name_t"]).all()


def test_juniors_carry_their_fathers_names(persons):
    jr = persons.filter(pl.col("suffix").is_in(["JR", "III"]))
    assert jr.height > 0
    dad = jr.join(persons, left_on="father_id", right_on="person_id", suffix="_f")
    assert dad.height == jr.height
    assert (dad["first_name"] == dad["first_name_f"]).all()
    assert (dad["last_name"] == dad["last_name_f"]).all()
    assert dad["suffix_f"].is_in(["SR", "JR"]).all()


def test_ssns_are_valid_unique_and_sometimes_missing(persons):
    ssn = persons["ssn"].drop_nulls()
    assert 0 < persons["ssn"].null_count() < persons.height * 0.1
    assert ssn.str.contains(r"^\d{9}$").all()
    assert ssn.n_unique() == ssn.len()
    area = ssn.str.slice(0, 3)
    assert not area.is_in(["000", "666"]).any()
    assert (area < "900").all()


def test_ages_and_births_are_plausible(world, persons):
    age = (START - pl.col("dob")).dt.total_days() / 365.25
    assert persons.select(age.max()).item() < 97
    assert persons.filter(pl.col("dob") > END).height == 0
    births = world["births"]
    assert births.filter(pl.col("birth_date") < START).height == 0
    assert set(births["plurality"].unique()) <= {1, 2}
    # every birth in the window is a person with that mother and birth date
    joined = births.join(persons, left_on="child_id", right_on="person_id")
    assert joined.height == births.height
    assert (joined["dob"] == joined["birth_date"]).all()
    assert (joined["mother_id"] == joined["mother_id_right"]).all()
    assert joined.filter(pl.col("father_named") & pl.col("father_id").is_null()).height == 0
    deaths = world["deaths"].join(persons, on="person_id")
    assert (deaths["death_date"] == deaths["death_date_right"]).all()
    assert deaths.height == persons["death_date"].is_not_null().sum()


def test_school_ages_and_grades_are_sensible(world, persons):
    rows = world["school"].join(persons.select("person_id", "dob"), on="person_id")
    age = (pl.date(pl.col("school_year"), 9, 1) - pl.col("dob")).dt.total_days() / 365.25
    assert rows.select(age.min()).item() >= 4.5
    assert rows.select(age.max()).item() < 20
    assert rows["grade"].is_between(0, 12).all()
    finished = rows.filter(pl.col("exit_status").is_in(["GRADUATED", "DROPOUT"]))
    assert finished["person_id"].n_unique() == finished.height
    assert (rows.filter(pl.col("exit_status") == "GRADUATED")["grade"] == 12).all()


def test_community_care_is_for_people_sixty_and_over(world, persons):
    rows = world["ccp"].join(persons.select("person_id", "dob"), on="person_id")
    assert rows.filter(pl.col("start") < pl.col("dob").dt.offset_by("60y")).height == 0


def test_dcfs_events_concern_children(world, persons):
    rows = world["dcfs"].join(persons.select("person_id", "dob"), on="person_id")
    assert rows.filter(pl.col("start") >= pl.col("dob").dt.offset_by("18y")).height == 0
    inv = rows.filter(pl.col("event_type") == "INVESTIGATION")
    assert inv["finding"].is_in(["INDICATED", "UNFOUNDED"]).all()
    plc = rows.filter(pl.col("event_type") == "PLACEMENT")
    assert plc["placement_type"].is_in(["FOSTER", "KIN", "RESIDENTIAL"]).all()


def test_residences_are_consecutive_spells_in_illinois(world, persons):
    res = world["residences"].sort("person_id", "valid_from")
    assert res["county_fips"].str.starts_with("17").all()
    assert res["zip"].str.contains(r"^6[0-2]\d{3}$").all()
    nxt = pl.col("valid_from").shift(-1).over("person_id")
    gaps = res.filter(nxt.is_not_null() & (pl.col("valid_to") != nxt.dt.offset_by("-1d")))
    assert gaps.height == 0
    # everyone has an address; household members start at the same one
    assert res["person_id"].n_unique() == persons.height
    first = res.group_by("person_id").first().join(persons, on="person_id")
    initial = first.filter(pl.col("dob") < START)
    per_household = initial.group_by("household_id").agg(pl.col("street_address").n_unique())
    assert (per_household["street_address"] == 1).mean() > 0.95


def test_surname_history_starts_with_the_birth_surname(world, persons):
    first = world["surnames"].sort("person_id", "valid_from").group_by("person_id").first()
    joined = first.join(persons, on="person_id")
    assert joined.height == persons.height
    assert (joined["last_name"] == joined["last_name_right"]).all()
    assert (joined["valid_from"] == joined["dob"]).all()
    changed = world["surnames"].group_by("person_id").len().filter(pl.col("len") > 1)
    women = changed.join(persons, on="person_id")
    assert women.height > 0 and (women["sex"] == "F").mean() > 0.95


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("persons", ["person_id"]),
        ("surnames", ["person_id", "valid_from"]),
        ("residences", ["person_id", "valid_from"]),
        ("relations", ["child_id", "role"]),
        ("births", ["child_id"]),
        ("deaths", ["person_id"]),
        ("snap_tanf", ["person_id", "month", "program"]),
        ("school", ["person_id", "school_year"]),
        ("wages", ["person_id", "year", "quarter", "employer_id"]),
    ],
)
def test_tables_are_sorted_on_keys_that_identify_a_row(world, name, keys):
    frame = world[name]
    assert frame.select(keys).is_duplicated().sum() == 0
    assert frame.equals(frame.sort(keys))


def test_medicaid_spans_of_a_person_never_overlap(world):
    spans = world["medicaid"].sort("person_id", "start")
    prev_end = pl.col("end").shift(1).over("person_id")
    prev_open = pl.col("end").is_null().shift(1).over("person_id")
    overlap = spans.filter(
        pl.col("person_id").is_first_distinct().not_() & (prev_open | (pl.col("start") <= prev_end))
    )
    assert overlap.height == 0
    assert set(spans["category"].unique()) <= {"CHILD", "ADULT", "AGED", "DISABLED", "PREGNANT"}


def test_adults_get_at_most_sixty_months_of_tanf(world):
    tanf = world["snap_tanf"].filter(
        (pl.col("program") == "TANF") & (pl.col("relationship") != "CHILD")
    )
    assert tanf.height > 0
    assert tanf.group_by("person_id").len()["len"].max() <= 60
