"""Lifetime service use (enclave.studies.lifetime) on tiny hand-built tables: one
behaviour each, known answers worked out by hand, and properties of random worlds."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from studies import spells_of

from enclave.disclosure import DisclosureError, protect_1d, survival_table
from enclave.studies import lifetime
from enclave.studies.lifetime import NONE, SEVERAL

#: a window of eleven calendar years
WINDOW = {"first_year": 2010, "last_year": 2020}


def persons_of(rows: list[tuple[str, int | None, int | None]]) -> pl.LazyFrame:
    """(pid, birth_year, birth_month) rows."""
    schema = {"pid": pl.String, "birth_year": pl.Int32, "birth_month": pl.Int8}
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def deaths_of(rows: list[tuple[str, str]]) -> pl.LazyFrame:
    """(pid, ISO date) DEATH events, and a birth of a child that is not a death."""
    dated = [(pid, "DEATH", date.fromisoformat(day), "idph") for pid, day in rows]
    dated.append(("Z", "BIRTH_OF_CHILD", date(2011, 1, 1), "idph"))
    schema = {"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String}
    return pl.DataFrame(dated, schema=schema, orient="row").lazy()


def with_births(events: pl.LazyFrame, children: list[str]) -> pl.LazyFrame:
    """``events`` and a BIRTH event (a birth record of their own) of each child; the
    first child has two (a duplicate record), which must count once."""
    born = [(c, "BIRTH", date(2010, 1, 1), "idph") for c in [*children, *children[:1]]]
    schema = {"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String}
    return pl.concat([events, pl.DataFrame(born, schema=schema, orient="row").lazy()])


# ------------------------------------------------------------------ the main estimate

#: born 2010-2015 (window 2010-2020, followed to 5), with a birth record, alive at 5:
#: A, B, G, H, I. C died at 2, D is 5 after the window, E has no birth record, F was
#: born before the window, N has no birth year.
PERSONS = persons_of(
    [
        ("A", 2010, 3),
        ("B", 2011, 6),
        ("C", 2012, None),
        ("D", 2016, 1),
        ("E", 2010, 5),
        ("F", 2009, 12),
        ("G", 2015, 12),
        ("H", 2013, 2),
        ("I", 2010, 8),
        ("N", None, None),
    ]
)
EVENTS = with_births(
    deaths_of([("C", "2014-05-10"), ("I", "2015-08-20")]),
    ["A", "B", "C", "D", "F", "G", "H", "I", "N"],
)
SPELLS = spells_of(
    [
        ("A", "MEDICAID", "2012-01-01", "2012-12-31"),  # at 21 months: before 5
        ("A", "MEDICAID", "2016-01-01", "2016-12-31"),  # a second spell changes nothing
        ("B", "MEDICAID", "2016-06-01", "2017-05-31"),  # in the 5th birthday month: after
        ("B", "SNAP", "2012-01-01", "2012-01-31"),  # another program
        ("C", "MEDICAID", "2012-08-01", "2013-01-31"),  # C died before 5
        ("E", "MEDICAID", "2010-06-01", "2011-01-31"),  # no birth record
        ("G", "MEDICAID", "2016-01-01", "2016-03-31", 0.5),  # a weak link
        ("H", "MEDICAID", "2013-02-01", "2013-09-30", 0.95, 1),  # a name-only link
    ]
)
TABLES = (SPELLS, PERSONS, EVENTS)


def used(**settings) -> dict[str, bool]:
    frame = lifetime.used_before_age(*TABLES, **WINDOW, **settings).collect()
    return dict(zip(frame["pid"], frame["used"], strict=True))


def test_medicaid_before_five_counts_children_born_here_followed_and_alive():
    # I died in the month of the 5th birthday: alive on it, as far as months tell
    assert used(min_match_probability=0.9) == {
        "A": True,
        "B": False,
        "G": False,
        "H": True,
        "I": False,
    }


def test_a_weak_link_counts_once_the_minimum_allows_it():
    assert used(min_match_probability=0.5)["G"] is True


def test_name_only_links_can_be_excluded():
    assert used(min_match_probability=0.9, exclude_name_only=True)["H"] is False


def test_another_program_and_age():
    # SNAP before the 2nd birthday: B's SNAP at 7 months. Followed to 2 and alive: D
    # (born 2016) now too, C not (died at 22 months, mid-year assumed for the birth)
    frame = lifetime.used_before_age(*TABLES, program="SNAP", age=2, **WINDOW).collect()
    assert dict(zip(frame["pid"], frame["used"], strict=True)) == {
        "A": False,
        "B": True,
        "D": False,
        "G": False,
        "H": False,
        "I": False,
    }


def test_a_window_holding_nobody_gives_an_empty_cohort():
    frame = lifetime.used_before_age(*TABLES, first_year=2030, last_year=2040).collect()
    assert frame.height == 0 and frame.columns == ["pid", "birth_year", "used"]


def test_an_unknown_program_is_refused():
    with pytest.raises(ValueError, match="programs"):
        lifetime.used_before_age(*TABLES, program="MEDICARE", **WINDOW)


# ------------------------------------------------------------------ age at first use


def test_first_use_is_the_age_at_the_first_spell_or_the_end_of_observation():
    persons = persons_of([("A", 2010, 3), ("B", 2020, 12), ("C", 2015, 1), ("D", 2018, 6)])
    events = deaths_of([("C", "2017-01-15")])
    spells = spells_of(
        [
            ("A", "SNAP", "2010-03-01", "2010-03-31"),  # in the birth month
            ("A", "SNAP", "2009-12-01", "2010-01-31"),  # before birth: the birth month
            ("A", "MEDICAID", "2013-03-05", "2013-04-30"),  # at 36 months
            ("C", "MEDICAID", "2017-02-01", "2017-02-28"),  # after C's death: not seen
            ("D", "MEDICAID", "2019-06-01", "2019-06-30", 0.4),  # too weak a link
        ]
    )
    frame = lifetime.first_use(
        spells,
        persons,
        with_births(events, ["A", "B", "C", "D"]),
        programs=["MEDICAID", "SNAP"],
        min_match_probability=0.9,
        **WINDOW,
    ).collect()
    got = {(r["pid"], r["program"]): (r["age"] * 12, r["used"]) for r in frame.to_dicts()}
    assert got == {
        ("A", "Medicaid"): (pytest.approx(36.5), True),
        ("A", "SNAP (food assistance)"): (pytest.approx(0.5), True),
        # born in the window's last month: followed to the end of it
        ("B", "Medicaid"): (pytest.approx(1.0), False),
        ("B", "SNAP (food assistance)"): (pytest.approx(1.0), False),
        # died 24 months after birth: followed to the middle of that month
        ("C", "Medicaid"): (pytest.approx(24.5), False),
        ("C", "SNAP (food assistance)"): (pytest.approx(24.5), False),
        # 2018-06 to the end of 2020
        ("D", "Medicaid"): (pytest.approx(31.0), False),
        ("D", "SNAP (food assistance)"): (pytest.approx(31.0), False),
    }


# ------------------------------------------------------------------ the first program


def test_the_first_program_before_the_age():
    persons = persons_of([(p, 2011, 1) for p in "ABCDE"])
    spells = spells_of(
        [
            ("A", "SNAP", "2011-05-01", "2011-05-31"),
            ("A", "MEDICAID", "2012-01-01", "2012-12-31"),
            ("B", "MEDICAID", "2011-03-14", "2011-12-31"),  # the same month as SNAP
            ("B", "SNAP", "2011-03-01", "2011-03-31"),
            ("C", "DCFS_INVESTIGATION", "2016-01-01", "2016-01-31"),  # at 5: too late
            ("D", "SCHOOL", "2015-09-01", "2016-06-30"),  # not a program counted
            ("E", "MEDICAID", "2011-01-01", "2011-12-31"),
        ]
    )
    counts = lifetime.first_program(
        spells,
        persons,
        with_births(deaths_of([]), list("ABCDE")),
        programs=lifetime.SERVICES,
        age=5,
        **WINDOW,
    ).collect()
    assert dict(zip(counts["first"], counts["n"], strict=True)) == {
        "SNAP (food assistance)": 1,
        SEVERAL: 1,
        NONE: 2,
        "Medicaid": 1,
    }
    table = protect_1d(counts, "first", min_cell=1, levels=lifetime.first_levels(lifetime.SERVICES))
    assert table.frame.filter(pl.col("first") == "Total")["n"].item() == 5


# ------------------------------------------------------------------ programs used


def test_programs_between_eighteen_and_thirty():
    window = {"first_year": 2000, "last_year": 2024}
    # A turns 18 in 2003 and 30 in 2015; B turns 18 before the window; C turns 30 after
    persons = persons_of([("A", 1985, 4), ("B", 1980, 1), ("C", 1995, 1), ("D", 1990, 7)])
    spells = spells_of(
        [
            ("A", "SNAP", "2002-01-01", "2004-12-31"),  # across the 18th birthday
            ("A", "MEDICAID", "2001-01-01", "2003-03-31"),  # ends the month before it
            ("A", "TANF", "2014-06-01", "2014-08-31"),  # at 29
            ("A", "PRISON", "2015-04-02", "2016-01-01"),  # in the 30th birthday month
            ("A", "SCHOOL", "2003-09-01", "2004-06-30"),  # not counted
            ("A", "SNAP", "2010-01-01", "2010-12-31"),  # SNAP again: one program
            ("B", "SNAP", "2005-01-01", "2005-12-31"),
            ("C", "SNAP", "2015-01-01", "2015-12-31"),
        ]
    )
    counts = lifetime.programs_used(
        spells,
        persons,
        deaths_of([]),
        programs=lifetime.SERVICES,
        ages=(18, 30),
        top=2,
        **window,
    ).collect()
    assert dict(zip(counts["programs"], counts["n"], strict=True)) == {"2 or more": 1, "0": 1}


def test_programs_by_eighteen_need_a_childhood_inside_the_window():
    # nobody with a birth record born 2010-2020 turns 18 by 2020
    counts = lifetime.programs_used(
        SPELLS,
        PERSONS,
        EVENTS,
        programs=lifetime.SERVICES,
        ages=(0, 18),
        born_in_state=True,
        **WINDOW,
    ).collect()
    assert counts.height == 0


def test_programs_by_two_of_children_born_here():
    counts = lifetime.programs_used(
        SPELLS,
        PERSONS,
        EVENTS,
        programs=lifetime.SERVICES,
        ages=(0, 2),
        born_in_state=True,
        top=3,
        **WINDOW,
    ).collect()
    # followed from birth to 2, alive: A, B, D, G, H, I. A used Medicaid at 22 months,
    # B SNAP at 7, G and H Medicaid in their first month (at the default minimum match
    # probability of 0, the weak and the name-only links count); D and I none
    assert dict(zip(counts["programs"], counts["n"], strict=True)) == {"0": 2, "1": 4}


# ------------------------------------------------------------------ the figure


def test_the_figure_draws_the_published_curves_only(tmp_path):
    first = pl.DataFrame(
        {
            "program": ["Medicaid"] * 40 + ["Prison"] * 40,
            "age": [0.5] * 30 + [6.0] * 10 + [6.0] * 40,
            "used": [True] * 30 + [False] * 10 + [False] * 40,
        }
    )
    table = survival_table(first, "age", "used", by="program", times=[1, 5], min_cell=10)
    fig = lifetime.cumulative_plot(table, title="Used by age")
    assert "Medicaid" in fig.alt and "Prison" in fig.alt
    assert not any(ch.isdigit() for ch in fig.alt)
    assert fig.save(tmp_path / "f.png").stat().st_size > 0
    fig.close()


def test_the_figure_refuses_an_unprotected_frame():
    with pytest.raises(DisclosureError, match="SafeSurvival"):
        lifetime.cumulative_plot(pl.DataFrame({"program": ["Medicaid"]}))  # type: ignore[arg-type]


# ------------------------------------------------------------------ properties


@st.composite
def worlds(draw):
    """Children born 2010-2020 with random deaths and Medicaid / SNAP spells."""
    n = draw(st.integers(1, 25))
    people, deaths, spells = [], [], []
    for i in range(n):
        pid = f"P{i:02d}"
        year, month = draw(st.integers(2010, 2020)), draw(st.one_of(st.none(), st.integers(1, 12)))
        people.append((pid, year, month))
        if draw(st.booleans()):
            deaths.append(
                (pid, f"{draw(st.integers(year, 2020))}-{draw(st.integers(1, 12)):02d}-15")
            )
        for _ in range(draw(st.integers(0, 3))):
            program = draw(st.sampled_from(["MEDICAID", "SNAP"]))
            y, m = draw(st.integers(year, 2020)), draw(st.integers(1, 12))
            mp = draw(st.sampled_from([0.5, 0.95]))
            start = f"{y}-{m:02d}-01"
            spells.append((pid, program, start, f"{y}-{m:02d}-28", mp))
    spells.append(("X", "SNAP", "2015-01-01", "2015-01-31"))  # a person of no cohort
    events = with_births(deaths_of(deaths), [p for p, _, _ in people])
    return spells_of(spells), persons_of(people), events


@settings(max_examples=60, deadline=None)
@given(worlds(), st.integers(1, 8))
def test_first_use_agrees_with_used_before_age(world, age):
    """A child followed to ``age`` and alive has used Medicaid before it exactly when the
    life-table frame gives a first use at an age below it."""
    spells, persons, events = world
    before = lifetime.used_before_age(
        spells, persons, events, age=age, min_match_probability=0.9, **WINDOW
    ).collect()
    first = lifetime.first_use(
        spells, persons, events, programs=["MEDICAID"], min_match_probability=0.9, **WINDOW
    ).collect()
    early = first.filter(pl.col("used") & (pl.col("age") < age))["pid"]
    expected = before["pid"].is_in(early.implode())
    assert before["used"].to_list() == expected.to_list()


@settings(max_examples=60, deadline=None)
@given(worlds())
def test_cumulative_shares_grow_with_age_and_stay_shares(world):
    """One minus the life table of first use: non-decreasing in age, within [0, 1]."""
    spells, persons, events = world
    first = lifetime.first_use(spells, persons, events, programs=["MEDICAID", "SNAP"], **WINDOW)
    first = first.collect()
    assert (first["age"] >= 0).all()
    grid = np.arange(0, 12.0, 0.25)
    for (_,), group in first.group_by("program"):
        fitted = KaplanMeierFitter().fit(group["age"].to_numpy(), group["used"].to_numpy())
        share = 1 - fitted.survival_function_at_times(grid).to_numpy()
        assert ((share >= -1e-12) & (share <= 1 + 1e-12)).all()
        assert (np.diff(share) >= -1e-12).all()


@settings(max_examples=60, deadline=None)
@given(worlds(), st.integers(1, 10))
def test_program_counts_add_up_to_the_cohort(world, age):
    """Every child followed to ``age`` is counted once, with at most two programs."""
    spells, persons, events = world
    counts = lifetime.programs_used(
        spells,
        persons,
        events,
        programs=lifetime.SERVICES,
        ages=(0, age),
        born_in_state=True,
        **WINDOW,
    ).collect()
    cohort = lifetime.observed_cohort(
        persons, events, ages=(0, age), born_in_state=True, **WINDOW
    ).collect()
    assert counts["n"].sum() == cohort.height
    assert set(counts["programs"]) <= {"0", "1", "2"}
