"""Exit cohorts (enclave.studies.cohorts) and the mean with a confidence interval
(enclave.disclosure.magnitude.mean_table) on tiny hand-built tables: one behaviour each."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from enclave.disclosure.magnitude import SafeMagnitude, mean_table
from enclave.studies import cohorts, save_table
from enclave.studies.cohorts import FOLLOWED, OUTSIDE

Q1_2020 = 2020 * 4  # quarter_index of 2020 Q1


def spell(pid, start, end, program="TANF", mp=1.0, name_only=0):
    return {
        "pid": pid,
        "program": program,
        "agency": "idhs",
        "start": date.fromisoformat(start),
        "end": date.fromisoformat(end),
        "n_records": 1,
        "match_probability": mp,
        "name_only_records": name_only,
    }


def frame_of(rows):
    return pl.DataFrame(rows).lazy()


def person(pid, birth_year=1990, birth_month=5, sex="F", county="17031", death=None):
    return {
        "pid": pid,
        "birth_year": birth_year,
        "birth_month": birth_month,
        "sex": sex,
        "county_fips": county,
        "death_year": death.year if death else None,
        "death_month": death.month if death else None,
    }


def persons_of(rows):
    return pl.DataFrame(
        rows,
        schema={
            "pid": pl.String,
            "birth_year": pl.Int32,
            "birth_month": pl.Int8,
            "sex": pl.String,
            "county_fips": pl.String,
            "death_year": pl.Int32,
            "death_month": pl.Int8,
        },
    ).lazy()


def events_of(deaths: dict[str, str]):
    return pl.DataFrame(
        {
            "pid": list(deaths),
            "event": ["DEATH"] * len(deaths),
            "date": [date.fromisoformat(d) for d in deaths.values()],
            "agency": ["idph"] * len(deaths),
        },
        schema={"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String},
    ).lazy()


def exits_of(spells, persons, deaths=None, **kw):
    return cohorts.exits(
        frame_of(spells), persons_of(persons), events_of(deaths or {}), program="TANF", **kw
    ).collect()


# ----------------------------------------------------------------------------- exits


def test_each_spell_end_is_one_exit_with_its_quarter_and_age():
    spells = [
        spell("a", "2020-01-01", "2020-03-31"),
        spell("a", "2020-06-01", "2020-06-30"),
        spell("a", "2019-01-01", "2019-12-31", program="SNAP"),
    ]
    out = exits_of(spells, [person("a")])
    assert out.get_column("index_date").to_list() == [date(2020, 3, 31), date(2020, 6, 30)]
    assert out.get_column("index_quarter").to_list() == [Q1_2020, Q1_2020 + 1]
    assert out.get_column("exit_id").to_list() == [0, 1]
    assert out.get_column("age").to_list() == [29, 30]  # born May 1990
    assert out.get_column("year").to_list() == [2020, 2020]


@pytest.mark.parametrize(
    ("birth", "kept"),
    [
        ((2002, 4), False),  # 17 years 11 months in March 2020
        ((2002, 3), True),  # the month of the 18th birthday counts
        ((1956, 3), True),  # the month of the 64th birthday counts
        ((1956, 2), False),  # 64 years and a month
        ((1956, None), True),  # month withheld: mid-year, 63 in March 2020
        ((2002, None), False),  # mid-year 2002: 17 in March 2020
        ((None, None), False),  # no birth year: age unknown
    ],
)
def test_age_at_the_exit_month_from_birth_year_and_month(birth, kept):
    who = person("a", birth_year=birth[0], birth_month=birth[1])
    assert exits_of([spell("a", "2020-01-01", "2020-03-31")], [who]).height == int(kept)


@pytest.mark.parametrize(
    ("death", "kept"),
    [(None, True), ("2021-04-15", False), ("2021-04-30", False), ("2021-05-01", True)],
)
def test_alive_thirteen_months_after_the_exit(death, kept):
    deaths = {"a": death} if death else {}
    out = exits_of([spell("a", "2020-01-01", "2020-03-31")], [person("a")], deaths)
    assert out.height == int(kept)


def test_exits_after_the_last_exit_date_are_left_out():
    spells = [spell("a", "2023-01-01", "2023-12-31"), spell("a", "2024-01-01", "2024-01-31")]
    out = exits_of(spells, [person("a")], last_exit="2023-12-31")
    assert out.get_column("index_date").to_list() == [date(2023, 12, 31)]


def test_weak_and_name_only_links_can_be_left_out():
    spells = [
        spell("a", "2020-01-01", "2020-01-31", mp=0.95),
        spell("a", "2020-04-01", "2020-04-30", mp=0.6),
        spell("a", "2020-07-01", "2020-07-31", name_only=1),
    ]
    people = [person("a")]
    assert exits_of(spells, people).height == 3
    assert exits_of(spells, people, min_match_probability=0.9).height == 2
    strict = exits_of(spells, people, min_match_probability=0.9, exclude_name_only=True)
    assert strict.get_column("index_date").to_list() == [date(2020, 1, 31)]


# -------------------------------------------------------------------- quarters after


def panel_of(rows):
    """(pid, year, quarter, employed, wages, tanf) rows."""
    return pl.DataFrame(
        rows,
        schema={
            "pid": pl.String,
            "year": pl.Int32,
            "quarter": pl.Int8,
            "employed": pl.Boolean,
            "wages": pl.Float64,
            "tanf": pl.Boolean,
        },
        orient="row",
    ).lazy()


def cohort_one(index="2020-03-31"):
    return exits_of([spell("a", "2020-01-01", index)], [person("a")]).lazy()


PANEL = [
    ("a", 2020, 1, True, 900.0, True),  # the exit quarter itself: not counted
    ("a", 2020, 2, True, 1000.0, False),
    ("a", 2020, 3, False, 0.0, False),
    ("a", 2020, 4, True, 3000.0, False),
    # 2021 Q1: no row, so not employed
    ("a", 2021, 2, True, 5000.0, False),  # past the fourth quarter
]


def test_share_of_the_quarters_after_the_exit_quarter():
    out = cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=4).collect()
    assert out.get_column("employed").to_list() == [0.5]
    wages = cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=4, measure="wages")
    assert wages.collect().get_column("wages").to_list() == [1000.0]
    eight = cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=8).collect()
    assert eight.get_column("employed").to_list() == [3 / 8]


def test_the_second_year_after_the_exit_skips_the_first():
    """Quarters 5-8 after the exit quarter: only 2021 Q2 of them worked."""
    second = cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=8, skip=4).collect()
    assert second.get_column("employed").to_list() == [1 / 4]
    fifth = cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=5, skip=4).collect()
    assert fifth.get_column("employed").to_list() == [1.0]
    with pytest.raises(ValueError, match="after the skipped"):
        cohorts.quarters_after(cohort_one(), panel_of(PANEL), n=4, skip=4)


def test_follow_up_past_coverage_is_dropped_and_counted():
    cohort = cohort_one()
    kw = {"n": 4, "coverage_start": "2000-01-01"}
    kept = cohorts.quarters_after(cohort, panel_of(PANEL), coverage_end="2021-03-31", **kw)
    assert kept.collect().height == 1
    # 2021 Q1 is only part-covered: the exit is dropped, not counted as not employed
    gone = cohorts.quarters_after(cohort, panel_of(PANEL), coverage_end="2021-03-30", **kw)
    assert gone.collect().height == 0
    counts = cohorts.follow_up(cohort, coverage_end="2021-03-30", **kw).collect()
    assert counts.rows() == [(OUTSIDE, 1)]
    counts = cohorts.follow_up(cohort, coverage_end="2021-03-31", **kw).collect()
    assert counts.rows() == [(FOLLOWED, 1)]
    # wage records that start after the first quarter after the exit
    late = cohorts.quarters_after(cohort, panel_of(PANEL), n=4, coverage_start="2020-04-02")
    assert late.collect().height == 0


def test_coverage_reads_the_sources_window_from_the_coverage_table():
    from enclave.analytic.school import build_coverage

    records = pl.DataFrame(
        {
            "program": ["EMPLOYMENT", "EMPLOYMENT", "MEDICAID"],
            "agency": ["ides", "ides", "hfs"],
            "start": [date(2010, 1, 1), date(2024, 10, 1), date(2005, 1, 15)],
            "end": [date(2010, 3, 31), date(2024, 12, 31), None],
        }
    )
    table = build_coverage(records)
    assert cohorts.coverage(table, "EMPLOYMENT") == (date(2010, 1, 1), date(2024, 12, 31))
    # an open record covers its own month: it says nothing of later ones
    assert cohorts.coverage(table, "MEDICAID") == (date(2005, 1, 1), date(2005, 1, 31))
    with pytest.raises(ValueError, match="no PRISON records"):
        cohorts.coverage(table, "PRISON")
    with pytest.raises(ValueError, match="reads the coverage table"):
        cohorts.coverage(records, "EMPLOYMENT")


# -------------------------------------------------------------------- time to return


def test_time_to_return_is_observed_or_censored_at_death_or_end():
    spells = [
        spell("a", "2018-01-01", "2018-03-31"),  # exit 2018 Q1
        spell("a", "2018-11-01", "2019-02-28"),  # returns 2018 Q4: 3 quarters; exit 2019 Q1
        spell("b", "2018-01-01", "2018-03-31"),  # b dies in 2019 Q3 before returning
        spell("b", "2019-10-01", "2019-10-31"),  # (a record after death: linkage error)
        spell("c", "2018-01-01", "2018-06-30"),  # c never returns: censored at the end
    ]
    people = [person(p) for p in "abc"]
    cohort = cohorts.exits(
        frame_of(spells),
        persons_of(people),
        events_of({"b": "2019-08-15"}),
        program="TANF",
        last_exit="2018-12-31",
        alive_months=0,
    )
    out = cohorts.time_to_return(
        cohort, frame_of(spells), program="TANF", end_of_observation="2019-12-31"
    )
    rows = out.select("pid", "duration", "observed").rows()
    assert rows == [("a", 3, True), ("b", 6, False), ("c", 6, False)]


# ------------------------------------------------------------------ matched comparison


def _matching_world():
    """Two exits in one stratum (F, 35-44, county 17031, 2020); four candidates there,
    one candidate in another county, one on TANF that year, one dead too soon."""
    people = [person(p, birth_year=1980) for p in ("x", "y", "c1", "c2", "c3", "c4", "tanf")]
    people.append(person("other", birth_year=1980, county="17043"))
    people.append(person("dead", birth_year=1980, death=date(2020, 9, 1)))
    spells = [spell("x", "2020-01-01", "2020-03-31"), spell("y", "2020-02-01", "2020-05-31")]
    rows = [(p, 2020, 2, False, 0.0, p in ("x", "y", "tanf")) for p in (x["pid"] for x in people)]
    return frame_of(spells), persons_of(people), panel_of(rows)


def test_matched_comparison_respects_strata_and_exclusions():
    spells, people, panel = _matching_world()
    cohort = cohorts.exits(spells, people, events_of({}), program="TANF")
    out = cohorts.matched_comparison(cohort, people, panel, program="TANF", k=2, seed=7).collect()
    assert out.height == 4  # two per exit
    assert set(out.get_column("pid")) <= {"c1", "c2", "c3", "c4"}
    assert out.get_column("pid").n_unique() == 4  # enough candidates: none used twice
    index = cohort.collect().select("exit_id", "index_quarter")
    joined = out.join(index, left_on="matched_to", right_on="exit_id")
    assert (joined.get_column("index_quarter") == joined.get_column("index_quarter_right")).all()


def test_matched_comparison_is_deterministic_given_the_seed():
    spells, people, panel = _matching_world()
    cohort = cohorts.exits(spells, people, events_of({}), program="TANF")
    draws = [
        cohorts.matched_comparison(cohort, people, panel, program="TANF", seed=s).collect()
        for s in (1, 1, 2, 3, 4, 5)
    ]
    assert draws[0].equals(draws[1])
    assert len({tuple(d.get_column("pid")) for d in draws}) > 1  # the seed matters


def test_paired_difference_and_groups():
    exits_after = pl.DataFrame({"exit_id": [0, 1], "employed": [1.0, 0.5]}).lazy()
    comparison = pl.DataFrame({"matched_to": [0, 0, 1], "employed": [0.5, 0.0, 0.5]}).lazy()
    diff = cohorts.paired_difference(exits_after, comparison, "employed").collect()
    assert diff.get_column("difference").to_list() == [0.75, 0.0]
    groups = cohorts.compare_groups(exits_after, comparison, "employed").collect()
    assert groups.get_column("group").to_list() == ["exits"] * 2 + ["comparison"] * 3


# ------------------------------------------------------------------------ sensitivity


def _estimate(base: float, *, min_match_probability: float, exclude_name_only: bool):
    value = base + min_match_probability + (10 if exclude_name_only else 0)
    return pl.DataFrame({"v": [value, value]}).lazy()


def test_sensitivity_reruns_every_setting_in_order():
    out = cohorts.sensitivity(_estimate, 100.0, min_match_probabilities=(0.5, 0.9))
    settings = out.get_column("setting").unique(maintain_order=True).to_list()
    assert settings == [
        "match probability >= 0.5, name-only links kept",
        "match probability >= 0.5, name-only links excluded",
        "match probability >= 0.9, name-only links kept",
        "match probability >= 0.9, name-only links excluded",
    ]
    firsts = out.group_by("setting", maintain_order=True).agg(pl.col("v").first())
    assert firsts.get_column("v").to_list() == [100.5, 110.5, 100.9, 110.9]


def test_sensitivity_of_exits_then_quarters_after_once_is_the_outcome_per_setting():
    # the notebooks' shape: the exits at every setting, one pass over the panel after
    spells = frame_of(
        [
            spell("a", "2020-01-01", "2020-03-31", mp=0.95),
            spell("a", "2020-04-01", "2020-05-31", mp=0.6),  # joins the spell above, or not
            spell("b", "2020-01-01", "2020-02-29", name_only=1),
            spell("c", "2019-10-01", "2020-01-31"),
        ]
    )
    people = persons_of([person(p) for p in "abc"])
    panel = panel_of([*PANEL, ("b", 2020, 2, True, 10.0, False), ("c", 2020, 3, True, 1.0, False)])
    events = events_of({})
    args, kw = (spells, people, events), {"program": "TANF", "min_match_probabilities": (0.5, 0.9)}
    stacked = cohorts.sensitivity(cohorts.exits, *args, **kw)
    once = cohorts.quarters_after(stacked.lazy(), panel).collect()
    per_setting = cohorts.sensitivity(cohorts.outcome_after_exit, *args, panel, **kw)
    assert once.equals(per_setting)
    rows = once.group_by("setting", maintain_order=True).len().get_column("len")
    assert rows.to_list() == [4, 3, 3, 2]  # the settings' cohorts differ
    assert once.get_column("employed").n_unique() > 1


def test_is_empty_says_nothing_about_size():
    assert cohorts.is_empty(pl.DataFrame({"a": []}).lazy())
    assert not cohorts.is_empty(pl.DataFrame({"a": [1, 2]}))


# -------------------------------------------------------------- mean with an interval


def test_mean_table_interval_known_answer():
    frame = pl.DataFrame({"k": ["a"] * 20 + ["b"] * 20, "v": [0.0, 1.0] * 10 + [1.0, 3.0] * 10})
    t = mean_table(frame, "k", "v", min_cell=10)
    assert isinstance(t, SafeMagnitude)
    assert t.frame.columns == ["k", "persons", "mean", "lower", "upper"]
    # sd 0.5130, t(19) 2.0930: half-width 0.2401
    assert t.value("lower", k="a") == pytest.approx(0.5 - 0.24010, abs=1e-4)
    assert t.value("upper", k="b") == pytest.approx(2.0 + 2 * 0.24010, abs=1e-4)
    assert t.value("persons", k="Total") == 40
    assert "persons" in t.certificate.columns


def test_mean_table_suppresses_the_interval_with_the_mean():
    frame = pl.DataFrame(
        {"k": ["a"] * 3 + ["b"] * 20 + ["c"] * 20, "v": [0.0, 1.0, 1.0] + [0.0, 1.0] * 20}
    )
    t = mean_table(frame, "k", "v", min_cell=10)
    for column in ("mean", "lower", "upper"):
        assert t.value(column, k="a") is None
    # secondary suppression hides one more group, interval and all
    assert sum(t.frame.get_column("lower").is_null()) >= 2


def test_mean_table_without_total_and_saved(tmp_path):
    frame = pl.DataFrame({"s": ["x"] * 12 + ["y"] * 12, "v": [0.0, 1.0] * 12})
    t = mean_table(frame, "s", "v", min_cell=10, total=False)
    assert t.frame.get_column("s").to_list() == ["x", "y"]
    path = save_table(t, tmp_path, "means")
    assert path is not None and path.with_name("means.csv.cert.json").is_file()
