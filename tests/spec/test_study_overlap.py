"""Service-overlap measures on tiny inline analytic tables with known answers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from enclave.studies import overlap
from enclave.studies.overlap import Period

D = dt.date
YEAR = Period.parse("2019-01-01", "2019-12-31")


def spells(*rows) -> pl.LazyFrame:
    """rows: (pid, program, agency, start, end, match_probability)."""
    cols = ["pid", "program", "agency", "start", "end", "match_probability"]
    return pl.LazyFrame([dict(zip(cols, r, strict=True)) for r in rows]).with_columns(
        n_records=pl.lit(1)
    )


def events(*rows) -> pl.LazyFrame:
    return pl.LazyFrame(
        [dict(zip(["pid", "event", "date", "agency"], r, strict=True)) for r in rows],
        schema={"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String},
    )


def persons(*rows) -> pl.LazyFrame:
    """rows: (pid, birth_year, birth_month, county_fips, match_probability)."""
    cols = ["pid", "birth_year", "birth_month", "county_fips", "match_probability"]
    return pl.LazyFrame(
        [dict(zip(cols, r, strict=True)) for r in rows],
        schema={
            "pid": pl.String,
            "birth_year": pl.Int32,
            "birth_month": pl.Int8,
            "county_fips": pl.String,
            "match_probability": pl.Float64,
        },
    )


NO_EVENTS = events()


def touched(sp, ev=NO_EVENTS, pe=None, minimum=0.9) -> dict[str, list[str]]:
    pe = pe if pe is not None else persons()
    out = overlap.agencies_touched(sp, ev, pe, YEAR, minimum).collect()
    return dict(zip(out["pid"], out["agencies"].to_list(), strict=True))


def test_spell_must_overlap_the_period():
    sp = spells(
        ("a", "MEDICAID", "hfs", D(2018, 1, 1), D(2018, 12, 31), 1.0),  # ends just before
        ("a", "SNAP", "idhs", D(2018, 6, 1), D(2019, 1, 1), 1.0),  # touches first day
        ("b", "PRISON", "idoc", D(2019, 12, 31), D(2021, 1, 1), 1.0),  # starts last day
        ("c", "CCP", "aging", D(2020, 1, 1), D(2020, 5, 1), 1.0),  # after
    )
    assert touched(sp) == {"a": ["idhs"], "b": ["idoc"]}


def test_weak_links_do_not_count():
    sp = spells(
        ("a", "MEDICAID", "hfs", D(2019, 1, 1), D(2019, 3, 31), 0.95),
        ("a", "SNAP", "idhs", D(2019, 1, 1), D(2019, 1, 31), 0.5),
    )
    assert touched(sp) == {"a": ["hfs"]}
    assert touched(sp, minimum=0.4) == {"a": ["hfs", "idhs"]}


def test_agencies_are_counted_once_and_in_agreement_order():
    sp = spells(
        ("a", "EMPLOYMENT", "ides", D(2019, 1, 1), D(2019, 3, 31), 1.0),
        ("a", "SNAP", "idhs", D(2019, 1, 1), D(2019, 1, 31), 1.0),
        ("a", "TANF", "idhs", D(2019, 1, 1), D(2019, 1, 31), 1.0),
        ("a", "MEDICAID", "hfs", D(2019, 5, 1), D(2019, 9, 30), 1.0),
    )
    out = overlap.agencies_touched(sp, NO_EVENTS, persons(), YEAR, 0.9).collect()
    assert out.row(0, named=True) == {
        "pid": "a",
        "agencies": ["hfs", "idhs", "ides"],
        "n_agencies": 3,
        "combination": "Medicaid + SNAP/TANF + Wages",
    }


def test_two_extracts_of_one_agency_count_as_one_agency():
    """Employment Security delivers wage records and UI claims: a person with both touched
    one agency, though both programs show in the combination."""
    sp = spells(
        ("a", "EMPLOYMENT", "ides", D(2019, 1, 1), D(2019, 3, 31), 1.0),
        ("a", "UI_CLAIM", "ides_ui", D(2019, 4, 7), D(2019, 6, 29), 1.0),
        ("a", "MEDICAID", "hfs", D(2019, 5, 1), D(2019, 9, 30), 1.0),
    )
    out = overlap.agencies_touched(sp, NO_EVENTS, persons(), YEAR, 0.9).collect()
    assert out.row(0, named=True) == {
        "pid": "a",
        "agencies": ["hfs", "ides", "ides_ui"],
        "n_agencies": 2,
        "combination": "Medicaid + Wages + Unemployment insurance",
    }
    assert overlap.agency_count_levels()[-1] == len(overlap.AGENCIES) - 1


def test_vital_events_count_for_idph_in_the_period_only():
    sp = spells(("a", "MEDICAID", "hfs", D(2019, 1, 1), D(2019, 3, 31), 1.0))
    ev = events(
        ("a", "BIRTH_OF_CHILD", D(2019, 7, 4), "idph"),
        ("b", "DEATH", D(2018, 12, 31), "idph"),  # before the period
        ("c", "DEATH", D(2019, 2, 1), "idph"),
        ("d", "DEATH", D(2019, 2, 1), "idph"),  # weakly linked person
        ("e", "PLACEMENT", D(2019, 2, 1), "dcfs"),  # not a vital record
    )
    pe = persons(
        ("a", 1990, 1, "17031", 1.0),
        ("b", 1930, 1, "17031", 1.0),
        ("c", 1930, 1, "17031", 0.99),
        ("d", 1930, 1, "17031", 0.5),
        ("e", 2010, 1, "17031", 1.0),
    )
    assert touched(sp, ev, pe) == {"a": ["hfs", "idph"], "c": ["idph"]}


def _many(pid_prefix: str, n: int, agencies: list[tuple[str, str]]):
    return [
        (f"{pid_prefix}{i}", program, agency, D(2019, 1, 1), D(2019, 12, 31), 1.0)
        for i in range(n)
        for program, agency in agencies
    ]


def test_distribution_counts_persons_by_number_of_agencies():
    rows = _many("x", 12, [("MEDICAID", "hfs")]) + _many(
        "y", 15, [("MEDICAID", "hfs"), ("SNAP", "idhs")]
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, persons(), YEAR, 0.9)
    table = overlap.distribution(t, min_cell=10)
    # one level per number of agencies a person can touch: 1 to every agency there is
    levels = overlap.agency_count_levels()
    assert table.cells.get_column("n").to_list() == [12, 15] + [0] * (len(levels) - 2)
    assert table.value(n_agencies="Total") == 27


def test_top_combinations_pool_the_rest_and_suppress_small_ones():
    rows = (
        _many("x", 30, [("MEDICAID", "hfs")])
        + _many("y", 20, [("MEDICAID", "hfs"), ("SNAP", "idhs")])
        + _many("z", 12, [("PRISON", "idoc")])
        + _many("w", 3, [("CCP", "aging")])
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, persons(), YEAR, 0.9)
    table = overlap.top_combinations(t, 2, min_cell=10)
    assert table.frame.get_column("combination").to_list() == [
        "Medicaid",
        "Medicaid + SNAP/TANF",
        overlap.OTHER,
        "Total",
    ]
    assert table.frame.get_column("n").to_list() == [30, 20, 15, 65]
    small = overlap.top_combinations(t, 4, min_cell=10)
    assert small.value(combination="Aging services") is None
    assert small.value(combination="Prison") is None  # the complement of the small one


@pytest.mark.parametrize(
    ("birth_year", "birth_month", "group"),
    [
        (2001, 1, "18-25"),  # 18th birthday in the period's first month: counted
        (2001, 2, "0-17"),
        (2001, None, "0-17"),  # unknown month: taken as July
        (1954, 1, "65+"),
        (1954, 12, "45-64"),
        (2019, 6, "0-17"),  # born during the period
        (None, None, overlap.UNKNOWN),  # withheld for k-anonymity
    ],
)
def test_age_at_period_start(birth_year, birth_month, group):
    pe = persons(("a", birth_year, birth_month, None, 1.0))
    out = overlap.with_age_group(pe, YEAR, [0, 18, 26, 45, 65]).collect()
    assert out.item(0, "age_group") == group


def test_by_age_and_county_tables():
    rows = _many("x", 11, [("MEDICAID", "hfs")]) + _many("y", 10, [("SNAP", "idhs")])
    pe = persons(
        *[(f"x{i}", 1950, 1, "17031", 1.0) for i in range(11)],
        *[(f"y{i}", 2010, 1, None, 1.0) for i in range(10)],
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, pe, YEAR, 0.9)
    by_age = overlap.by_age_group(t, pe, YEAR, [0, 65], min_cell=10)
    assert by_age.value(age_group="65+", n_agencies="1") == 11
    assert by_age.value(age_group="0-64", n_agencies="1") == 10
    by_county = overlap.by_county(t, pe, min_cell=10)
    assert by_county.frame.get_column("county").unique(maintain_order=True).to_list() == [
        "Cook",
        overlap.UNKNOWN,
        "Total",
    ]
    assert by_county.value(county=overlap.UNKNOWN, n_agencies="1") == 10


def test_snap_medicaid_share():
    rows = (
        _many("a", 30, [("SNAP", "idhs"), ("MEDICAID", "hfs")])
        + _many("b", 10, [("SNAP", "idhs")])
        + _many("c", 50, [("MEDICAID", "hfs")])
    )
    table = overlap.snap_medicaid(spells(*rows), YEAR, 0.9, min_cell=10)
    assert table.value(medicaid=overlap.ON) == 30
    assert table.value(medicaid=overlap.OFF) == 10
    assert overlap.share(table, overlap.ON) == pytest.approx(0.75)


def test_snap_medicaid_share_is_suppressed_with_its_counts():
    rows = _many("a", 30, [("SNAP", "idhs"), ("MEDICAID", "hfs")]) + _many(
        "b", 4, [("SNAP", "idhs")]
    )
    table = overlap.snap_medicaid(spells(*rows), YEAR, 0.9, min_cell=10)
    assert table.value(medicaid=overlap.OFF) is None
    assert overlap.share(table, overlap.ON) is None


def test_period_must_not_end_before_it_starts():
    with pytest.raises(ValueError, match="ends before"):
        Period.parse("2019-12-31", "2019-01-01")


def test_fixture_world_matches_the_analytic_schemas():
    """The made-up research zone the notebook tests use passes the build's own models."""
    from enclave.analytic.schemas import MODELS
    from enclave.testing import analytic_zone as fixture

    tables = fixture.build(persons=300, seed=3, year=2019)
    assert tables.keys() == MODELS.keys()
    for name, frame in tables.items():
        MODELS[name].validate(frame)
        assert frame.columns == list(fixture.SCHEMAS[name])


def test_linked_tables_show_the_same_totals_suppressed():
    # 12 persons with one agency; 3 with two (a small count) split over two age groups
    rows = _many("x", 12, [("MEDICAID", "hfs")]) + _many(
        "y", 3, [("MEDICAID", "hfs"), ("SNAP", "idhs")]
    )
    pe = persons(
        *[(f"x{i}", 1950 if i < 6 else 2010, 1, "17031", 1.0) for i in range(12)],
        *[(f"y{i}", 1950, 1, "17031", 1.0) for i in range(3)],
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, pe, YEAR, 0.9)
    tables = overlap.agency_count_tables(t, pe, YEAR, [0, 65], 3, min_cell=5)
    dist = tables["distribution"]
    for name in ("by_age_group", "by_county"):
        two = tables[name]
        column_totals = two.frame.filter(pl.col(two.dims[0]) == "Total").get_column("n")
        assert column_totals.to_list() == dist.frame.get_column("n").to_list(), name
    assert dist.value(n_agencies="2") is None


def test_a_small_combination_cannot_be_recovered_from_the_distribution():
    # singles: 30 hfs, 50 idhs, 3 idoc; pairs: 12 hfs + idhs. Every combination is listed,
    # so persons with one agency minus the published singles would give idoc alone; the
    # cheapest complement within the combinations alone would be the pair.
    rows = (
        _many("a", 30, [("MEDICAID", "hfs")])
        + _many("b", 50, [("SNAP", "idhs")])
        + _many("c", 3, [("PRISON", "idoc")])
        + _many("d", 12, [("MEDICAID", "hfs"), ("SNAP", "idhs")])
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, persons(), YEAR, 0.9)
    tables = overlap.agency_count_tables(t, persons(), YEAR, [0], 15, min_cell=10)
    dist, combos = tables["distribution"], tables["top_combinations"]
    singles = [combos.value(combination=c) for c in ("Medicaid", "SNAP/TANF", "Prison")]
    assert singles[2] is None
    known = dist.value(n_agencies="1")
    if known is not None:
        assert singles.count(None) >= 2
    assert combos.value(combination="Total") == dist.value(n_agencies="Total")


def test_suppressed_combinations_are_not_ranked_among_published_ones():
    rows = (
        _many("a", 30, [("MEDICAID", "hfs")])
        + _many("b", 50, [("SNAP", "idhs")])
        + _many("c", 3, [("PRISON", "idoc")])
        + _many("d", 12, [("MEDICAID", "hfs"), ("SNAP", "idhs")])
    )
    t = overlap.agencies_touched(spells(*rows), NO_EVENTS, persons(), YEAR, 0.9)
    combos = overlap.top_combinations(t, 15, min_cell=10)
    frame = combos.frame
    order = frame.get_column("suppressed").to_list()[:-1]
    assert order == sorted(order)  # every published row before every suppressed one
    published = frame.filter(~pl.col("suppressed"), pl.col("combination") != "Total")
    assert published.get_column("n").to_list() == sorted(published["n"], reverse=True)


def test_a_period_holding_nobody_gives_tables_of_zeros():
    """No spell or event of the fixture zone (2019) falls in 1950: every table counts
    nobody (no county or combination to list), and the share is not given."""
    from enclave.testing import analytic_zone as fixture

    zone = {k: v.lazy() for k, v in fixture.build(persons=300, seed=3, year=2019).items()}
    empty = Period.parse("1950-01-01", "1950-12-31")
    sp, pe = zone["program_spells"], zone["persons"]
    t = overlap.agencies_touched(sp, zone["life_events"], pe, empty, 0.9)
    assert t.collect().height == 0
    tables = overlap.agency_count_tables(t, pe, empty, [0, 18, 65], 15, min_cell=10)
    for name, table in tables.items():
        assert table.frame.get_column("n").to_list() == [0] * table.frame.height, name
        assert not table.frame.get_column("suppressed").any(), name
    dist = tables["distribution"].frame.get_column("n_agencies").to_list()
    assert dist == [*map(str, overlap.agency_count_levels()), "Total"]
    assert tables["by_age_group"].value(age_group="0-17", n_agencies="Total") == 0
    assert tables["by_county"].frame.get_column("county").unique().to_list() == ["Total"]
    assert tables["top_combinations"].frame.get_column("combination").to_list() == ["Total"]
    snap = overlap.snap_medicaid(sp, empty, 0.9, min_cell=10)
    assert [snap.value(medicaid=m) for m in (overlap.ON, overlap.OFF, "Total")] == [0, 0, 0]
    assert overlap.share(snap, overlap.ON) is None
