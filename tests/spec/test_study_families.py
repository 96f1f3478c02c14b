"""Families across generations (enclave.studies.families) on tiny hand-built tables: one
behaviour each, known answers worked out by hand, and a property of random families."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from studies import LINK_SCHEMA, spells_of

from enclave.studies import cohorts, families
from enclave.studies.families import EXPOSED, NOT_EXPOSED


def persons_of(rows: list[tuple]) -> pl.LazyFrame:
    """(pid, birth_year, birth_month[, death_year, death_month]) rows."""
    full = [(*r, *(None, None)[len(r) - 3 :]) for r in rows]
    schema = {
        "pid": pl.String,
        "birth_year": pl.Int32,
        "birth_month": pl.Int8,
        "death_year": pl.Int32,
        "death_month": pl.Int8,
    }
    return pl.DataFrame(full, schema=schema, orient="row").lazy()


def links_of(rows: list[tuple[str, str, str, float]]) -> pl.LazyFrame:
    """(child_pid, parent_pid, role, match_probability) rows."""
    return pl.DataFrame(rows, schema=LINK_SCHEMA, orient="row").lazy()


def events_of(rows: list[tuple[str, str, str]]) -> pl.LazyFrame:
    """(pid, event, ISO date) rows."""
    data = [(pid, event, date.fromisoformat(day), "isbe") for pid, event, day in rows]
    schema = {"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String}
    return pl.DataFrame(data, schema=schema, orient="row").lazy()


def coverage_of(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """(source, start, end) rows."""
    data = [(s, "idph", date.fromisoformat(a), date.fromisoformat(b)) for s, a, b in rows]
    schema = {"source": pl.String, "agency": pl.String, "start": pl.Date, "end": pl.Date}
    return pl.DataFrame(data, schema=schema, orient="row")


def pids(frame: pl.LazyFrame, flag: str | None = None) -> list[str]:
    data = frame.collect()
    if flag is not None:
        data = data.filter(pl.col(flag))
    return sorted(data.get_column("pid").to_list())


# ------------------------------------------------------------------------ birth years

WINDOW = [
    ("BIRTH", "2005-01-01", "2022-01-31"),
    ("PRISON", "2005-01-01", "2022-10-31"),
    ("DCFS_INVESTIGATION", "2005-01-01", "2022-12-31"),
    ("SCHOOL", "2005-07-01", "2023-06-30"),
    ("SNAP", "2005-01-01", "2022-12-31"),
]


def test_birth_years_leave_a_year_of_history_and_end_within_the_outcome():
    """2005 is the first full year: born 2006 on. December 2017 births turn five in
    December 2022, the investigations' last month; December 2018 births would not."""
    assert families.birth_years(coverage_of(WINDOW)) == (2006, 2017)


def test_birth_years_start_later_when_the_first_year_is_partial():
    window = [("PRISON", "2005-03-01", "2022-10-31"), *WINDOW[2:], WINDOW[0]]
    assert families.birth_years(coverage_of(window)) == (2007, 2017)


def test_birth_years_stop_at_an_outcome_ending_mid_year():
    """School records end in June 2023: 2023 is not a whole year, so a child must turn
    nineteen by December 2022; and before the birth records end (2021 is their last
    whole year)."""
    years = families.birth_years(coverage_of(WINDOW), outcome_source="SCHOOL", ages=(0, 19))
    assert years == (2006, 2003)
    assert not families.observable(years)
    short = families.birth_years(coverage_of(WINDOW), ages=(0, 0))
    assert short == (2006, 2021)


def test_birth_years_need_the_outcome_records_from_the_first_age():
    """SNAP at 18-24 from records starting in 2030: a child must turn 18 in 2030 or
    later, so the cohort starts with the 2012 births (and ends with the last whole year
    of birth records, 2021)."""
    late = [*WINDOW[:4], ("SNAP", "2030-01-01", "2060-12-31")]
    assert families.birth_years(coverage_of(late), outcome_source="SNAP", ages=(18, 25)) == (
        2012,
        2021,
    )


def test_birth_years_refuse_a_source_missing_from_the_project():
    with pytest.raises(ValueError, match="no TANF records"):
        families.birth_years(coverage_of(WINDOW), exposure="TANF")


# --------------------------------------------------------------------------- children


def test_children_are_the_birth_records_children_in_the_years_alive_at_the_birthday():
    persons = persons_of(
        [
            ("A", 2010, 6),  # in
            ("B", 2010, 6, 2015, 6),  # dies in the month of the fifth birthday: out
            ("C", 2010, 6, 2015, 7),  # dies the month after: in
            ("D", 2010, 6, 2015, None),  # death month withheld: January, so out
            ("E", 2009, 12),  # born before the cohort: out
            ("F", 2010, None),  # birth month withheld: in (mid-year)
            ("G", None, None),  # no birth year: out
            ("H", 2010, 6),  # no birth record: out
            ("M", 1990, 1),  # a parent, not a child
        ]
    )
    links = links_of([(c, "M", "MOTHER", 0.95) for c in "ABCDEFG"])
    kids = families.children(persons, links, birth_years=(2010, 2012), alive_age=5)
    assert pids(kids) == ["A", "C", "F"]
    birth = dict(kids.collect().select("pid", "birth").iter_rows())
    assert birth["F"] == 2010 * 12 + cohorts.MID_YEAR


def test_a_child_with_two_parents_is_one_child():
    persons = persons_of([("A", 2010, 6), ("M", 1990, 1), ("P", 1988, 1)])
    links = links_of([("A", "M", "MOTHER", 0.95), ("A", "P", "FATHER", 0.95)])
    kids = families.children(persons, links, birth_years=(2010, 2010), alive_age=5)
    assert kids.collect().height == 1


# --------------------------------------------------------------------------- exposure

KIDS = persons_of([(c, 2010, 6) for c in "ABCDEFGH"])


def _exposure(links, spells, **kw) -> list[str]:
    kids = families.children(KIDS, links, birth_years=(2010, 2010), alive_age=5)
    return pids(families.parent_exposure(kids, links, spells, **kw), "exposed")


def test_only_a_spell_starting_before_the_birth_month_exposes():
    """A: admitted in May, the month before the June birth. B: admitted on the first of
    the birth month (not before the birth month). C: admitted after. D: a SNAP spell
    only, not prison. E: a spell running over the birth but starting before."""
    links = links_of([(c, f"P{c}", "MOTHER", 0.99) for c in "ABCDE"])
    spells = spells_of(
        [
            ("PA", "PRISON", "2010-05-31", "2011-01-31"),
            ("PB", "PRISON", "2010-06-01", "2011-01-31"),
            ("PC", "PRISON", "2012-01-01", "2012-02-28"),
            ("PD", "SNAP", "2008-01-01", "2009-02-28"),
            ("PE", "PRISON", "2009-01-01", "2014-02-28"),
        ]
    )
    assert _exposure(links, spells, program="PRISON") == ["A", "E"]
    assert _exposure(links, spells, program="SNAP") == ["D"]


def test_fathers_count_where_linked_and_roles_can_be_chosen():
    links = links_of([("A", "M", "MOTHER", 0.99), ("A", "F", "FATHER", 0.99)])
    spells = spells_of([("F", "PRISON", "2008-01-01", "2009-01-31")])
    assert _exposure(links, spells) == ["A"]
    assert _exposure(links, spells, roles=("MOTHER",)) == []


def test_weak_family_links_and_weak_or_name_only_spells_do_not_expose():
    """A's mother is linked at 0.8; B's spell at 0.7; C's rests on a name-only link."""
    links = links_of([("A", "PA", "MOTHER", 0.8), ("B", "PB", "MOTHER", 0.99)])
    links = pl.concat([links, links_of([("C", "PC", "MOTHER", 0.99)])])
    spells = spells_of(
        [
            ("PA", "PRISON", "2008-01-01", "2009-01-31"),
            ("PB", "PRISON", "2008-01-01", "2009-01-31", 0.7),
            ("PC", "PRISON", "2008-01-01", "2009-01-31", 0.99, 1),
        ]
    )
    assert _exposure(links, spells) == ["A", "B", "C"]
    assert _exposure(links, spells, family_match_probability=0.9) == ["B", "C"]
    assert _exposure(links, spells, min_match_probability=0.9) == ["A", "C"]
    assert _exposure(links, spells, exclude_name_only=True) == ["A", "B"]


def test_every_child_gets_a_row_even_without_a_parent_spell():
    links = links_of([("A", "M", "MOTHER", 0.99), ("B", "M", "MOTHER", 0.99)])
    kids = families.children(KIDS, links, birth_years=(2010, 2010), alive_age=5)
    rows = families.parent_exposure(kids, links, spells_of([])).collect()
    assert rows.height == 2 and not rows.get_column("exposed").any()


# ---------------------------------------------------------------------------- outcome


def _outcome(spells, events=None, **kw) -> list[str]:
    links = links_of([(c, "M", "MOTHER", 0.99) for c in "ABCDEFGH"])
    kids = families.children(KIDS, links, birth_years=(2010, 2010), alive_age=kw["ages"][1])
    events = events if events is not None else events_of([])
    return pids(families.outcome_in_ages(kids, spells, events, **kw), "outcome")


def test_an_investigation_counts_when_it_starts_before_the_month_of_the_fifth_birthday():
    """Born June 2010: A starts in May 2015 (in); B in June 2015 (out); C in 2011 (in);
    D is a placement, not an investigation."""
    spells = spells_of(
        [
            ("A", "DCFS_INVESTIGATION", "2015-05-31", "2015-06-30"),
            ("B", "DCFS_INVESTIGATION", "2015-06-01", "2015-06-30"),
            ("C", "DCFS_INVESTIGATION", "2011-03-01", "2011-04-30"),
            ("D", "DCFS_PLACEMENT", "2011-03-01", "2011-04-30"),
        ]
    )
    assert _outcome(spells, ages=(0, 5)) == ["A", "C"]
    assert _outcome(spells, ages=(0, 5), min_match_probability=1.0) == ["A", "C"]


def test_an_event_outcome_and_a_spell_overlapping_an_age_range():
    """Graduation before the 19th birthday (June 2029): A in June 2028, B in June 2029
    (the birthday month: out). SNAP at 18-24 (June 2028 to May 2035): C's spell runs
    from before 18 into the range (in); D's ends the month before (out)."""
    events = events_of([("A", "GRADUATION", "2028-06-30"), ("B", "GRADUATION", "2029-06-30")])
    assert _outcome(spells_of([]), events, outcome="GRADUATION", ages=(0, 19)) == ["A"]
    spells = spells_of(
        [("C", "SNAP", "2027-01-01", "2028-06-30"), ("D", "SNAP", "2027-01-01", "2028-05-31")]
    )
    assert _outcome(spells, outcome="SNAP", ages=(18, 25)) == ["C"]


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError, match="neither a program nor a life event"):
        _outcome(spells_of([]), outcome="LOTTERY", ages=(0, 5))


# -------------------------------------------------------------------- child outcomes

PERSONS = persons_of([(c, 2010, 6) for c in "ABCD"] + [("M", 1985, 1), ("F", 1984, 1)])
LINKS = links_of(
    [
        ("A", "M", "MOTHER", 0.99),
        ("B", "M", "MOTHER", 0.99),
        ("B", "F", "FATHER", 0.95),
        ("C", "F", "FATHER", 0.95),
        ("D", "Q", "MOTHER", 0.99),
    ]
)
#: M admitted before A's and B's birth; F's spell rests on 0.92; A and D investigated
SPELLS = spells_of(
    [
        ("M", "PRISON", "2007-02-01", "2008-01-31"),
        ("F", "PRISON", "2009-02-01", "2009-03-31", 0.92),
        ("A", "DCFS_INVESTIGATION", "2012-01-01", "2012-02-28"),
        ("D", "DCFS_INVESTIGATION", "2013-01-01", "2013-02-28", 0.92),
    ]
)


def _rows(**kw) -> pl.DataFrame:
    return families.child_outcomes(
        SPELLS, PERSONS, LINKS, events_of([]), birth_years=(2010, 2010), **kw
    ).collect()


def test_child_outcomes_gives_each_child_its_group_and_outcome():
    rows = _rows(min_match_probability=0.9, family_match_probability=0.9)
    assert rows.columns == ["pid", "birth_year", "exposure", "outcome"]
    assert rows.select("pid", "exposure", "outcome").rows() == [
        ("A", EXPOSED, True),
        ("B", EXPOSED, False),
        ("C", EXPOSED, False),
        ("D", NOT_EXPOSED, True),
    ]


def test_without_a_family_threshold_the_spell_threshold_applies_to_links_too():
    """At 0.96, F's links (0.95) and F's spell (0.92) and D's investigation drop out."""
    rows = _rows(min_match_probability=0.96)
    assert rows.select("pid", "exposure", "outcome").rows() == [
        ("A", EXPOSED, True),
        ("B", EXPOSED, False),
        ("C", NOT_EXPOSED, False),
        ("D", NOT_EXPOSED, False),
    ]
    assert _rows(min_match_probability=0.96, family_match_probability=0.9).equals(rows)


def test_sensitivity_reruns_the_estimate_per_setting_and_splits_back():
    settings_ = cohorts.sensitivity(
        families.child_outcomes,
        SPELLS,
        PERSONS,
        LINKS,
        events_of([]),
        birth_years=(2010, 2010),
        min_match_probabilities=(0.9, 0.96),
    )
    parts = families.by_setting(settings_)
    assert [label for label, _ in parts] == [
        cohorts.setting_label(m, x) for m in (0.9, 0.96) for x in (False, True)
    ]
    exposed = [rows.filter(pl.col("exposure") == EXPOSED).height for _, rows in parts]
    assert exposed == [3, 3, 2, 2]


def test_comparable_needs_both_groups():
    rows = _rows(min_match_probability=0.9)
    assert families.comparable(rows)
    assert not families.comparable(rows.filter(pl.col("exposure") == EXPOSED))
    assert not families.comparable(rows.head(0))


def test_an_empty_cohort_gives_no_rows_not_an_error():
    rows = families.child_outcomes(
        SPELLS, PERSONS, LINKS, events_of([]), birth_years=(2030, 2031)
    ).collect()
    assert cohorts.is_empty(rows) and not families.comparable(rows)


# ------------------------------------------------------------------------- properties


@st.composite
def family(draw):
    """A few children born in 2010 and parents with prison spells starting 2008-2012."""
    n = draw(st.integers(1, 5))
    births = draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))
    links, spells = [], []
    for i in range(n):
        for role in draw(st.sampled_from([("MOTHER",), ("MOTHER", "FATHER")])):
            parent = draw(st.sampled_from(["P0", "P1", "P2", "P3"]))
            links.append((f"C{i}", parent, role, 0.99))
    for parent in ("P0", "P1", "P2", "P3"):
        for year, month in draw(
            st.lists(st.tuples(st.integers(2008, 2012), st.integers(1, 12)), max_size=3)
        ):
            start = date(year, month, draw(st.integers(1, 28)))
            spells.append((parent, "PRISON", start.isoformat(), "2013-01-31"))
    return births, links, spells


@settings(max_examples=60, deadline=None)
@given(family())
def test_exposure_counts_exactly_the_parents_spells_starting_before_the_birth_month(drawn):
    """No spell starting in or after the child's birth month ever exposes it, and one
    starting before always does (an oracle in plain Python)."""
    births, links, spells = drawn
    persons = persons_of([(f"C{i}", 2010, m) for i, m in enumerate(births)])
    kids = families.children(persons, links_of(links), birth_years=(2010, 2010), alive_age=5)
    found = pids(families.parent_exposure(kids, links_of(links), spells_of(spells)), "exposed")
    starts: dict[str, list[date]] = {}
    for parent, _, start, _ in spells:
        starts.setdefault(parent, []).append(date.fromisoformat(start))
    expected = sorted(
        {
            child
            for child, parent, _, _ in links
            if any(s < date(2010, births[int(child[1:])], 1) for s in starts.get(parent, []))
        }
    )
    assert found == expected
