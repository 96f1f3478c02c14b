"""The analytic builders on tiny inline research-zone tables, one behaviour each."""

from __future__ import annotations

from datetime import date

import polars as pl

from enclave.analytic import build, validate
from enclave.analytic.events import build_events
from enclave.analytic.panel import build_panel
from enclave.analytic.spells import program_spells
from enclave.config import BuildParams

D = date


def base_row(agency: str, pid: str, mp: float = 1.0, **content) -> dict:
    return {"record_pid": f"r{pid}{len(content)}", "pid": pid, "match_probability": mp,
            "agency": agency, **content}  # fmt: skip


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows)


def test_idhs_member_months_become_one_spell_per_program():
    idhs = frame(
        [
            base_row("idhs", "a", benefit_month=D(2020, m, 1), program="SNAP", case_id="c",
                     relationship="HEAD", county_fips="17031")
            for m in (1, 2, 4)
        ]
        + [base_row("idhs", "a", benefit_month=D(2020, 9, 1), program="TANF", case_id="c",
                    relationship="HEAD", county_fips="17031")]
    )  # fmt: skip
    spells = program_spells({"idhs": idhs}, gap_months=1)
    assert spells.select("program", "start", "end", "n_records").rows() == [
        ("SNAP", D(2020, 1, 1), D(2020, 4, 30), 3),
        ("TANF", D(2020, 9, 1), D(2020, 9, 30), 1),
    ]


def test_open_medicaid_span_ends_at_the_observation_window():
    hfs = frame(
        [
            base_row("hfs", "a", elig_start=D(2019, 5, 3), elig_end=None, elig_category="X",
                     county_fips=None),
            base_row("hfs", "b", elig_start=D(2021, 2, 10), elig_end=D(2021, 3, 4),
                     elig_category="X", county_fips=None),
        ]
    )  # fmt: skip
    spells = program_spells({"hfs": hfs}, gap_months=1)
    assert spells.filter(pl.col("pid") == "a").get_column("end").item() == D(2021, 3, 31)


def test_ides_quarters_and_school_years_merge_across_years():
    ides = frame(
        [base_row("ides", "a", year=2020, quarter=q, employer_id="e", wages=10.0)
         for q in (3, 4)]
        + [base_row("ides", "a", year=2021, quarter=1, employer_id="f", wages=5.0)]
    )  # fmt: skip
    isbe = frame(
        [base_row("isbe", "a", school_year=y, grade=1, exit_status="ENROLLED",
                  county_fips="17019") for y in (2018, 2019)]
    )  # fmt: skip
    spells = program_spells({"ides": ides, "isbe": isbe}, gap_months=0)
    assert spells.select("program", "start", "end").rows() == [
        ("EMPLOYMENT", D(2020, 7, 1), D(2021, 3, 31)),
        ("SCHOOL", D(2018, 7, 1), D(2020, 6, 30)),
    ]


def test_panel_has_a_row_per_active_quarter_with_flags_wages_and_county():
    idoc = frame(
        [base_row("idoc", "a", admit_date=D(2020, 2, 1), release_date=D(2020, 4, 2),
                  offense_class="X", county_fips="17031")]
    )  # fmt: skip
    ides = frame(
        [base_row("ides", "a", year=2020, quarter=3, employer_id=e, wages=w)
         for e, w in (("e", 100.0), ("f", 50.5))]
    )  # fmt: skip
    base = {"idoc": idoc, "ides": ides}
    panel = build_panel(program_spells(base, 1), base)
    rows = panel.select("year", "quarter", "prison", "incarcerated", "employed", "wages",
                        "county_fips").rows()  # fmt: skip
    assert rows == [
        (2020, 1, True, True, False, 0.0, "17031"),
        (2020, 2, True, True, False, 0.0, "17031"),
        (2020, 3, False, False, True, 150.5, "17031"),
    ]


def test_events_from_each_agency():
    idph = frame(
        [
            base_row("idph", "kid", record_type="BIRTH", event_date=D(2010, 4, 1),
                     county_fips=None, plurality=1),
            base_row("idph", "mum", record_type="DEATH", event_date=D(2030, 1, 9),
                     county_fips=None, plurality=None),
        ]
    )  # fmt: skip
    isbe = frame(
        [base_row("isbe", "kid", school_year=2027, grade=12, exit_status="GRADUATED",
                  county_fips=None)]
    )  # fmt: skip
    idoc = frame(
        [base_row("idoc", "mum", admit_date=D(2020, 1, 1), release_date=None,
                  offense_class="X", county_fips=None)]
    )  # fmt: skip
    family = pl.DataFrame(
        {"child_pid": ["kid"], "parent_pid": ["mum"], "role": ["MOTHER"],
         "match_probability": [0.99]}
    )  # fmt: skip
    events = build_events({"idph": idph, "isbe": isbe, "idoc": idoc}, family)
    assert events.rows() == [
        ("kid", "BIRTH", D(2010, 4, 1), "idph"),
        ("kid", "GRADUATION", D(2028, 6, 30), "isbe"),
        ("mum", "BIRTH_OF_CHILD", D(2010, 4, 1), "idph"),
        ("mum", "PRISON_ADMISSION", D(2020, 1, 1), "idoc"),
        ("mum", "DEATH", D(2030, 1, 9), "idph"),
    ]


def test_djj_stays_become_custody_spells_events_and_panel_flags():
    djj = frame(
        [base_row("djj", "y", admit_date=D(2015, 3, 2), release_date=D(2015, 9, 30),
                  admission_type="COMMITMENT", facility="STC", release_reason="AFTERCARE",
                  county_fips="17031"),
         base_row("djj", "y", admit_date=D(2016, 1, 5), release_date=None,
                  admission_type="AFTERCARE_VIOLATION", facility="HAR", release_reason=None,
                  county_fips="17031")]
    )  # fmt: skip
    base = {"djj": djj}
    spells = program_spells(base, gap_months=1, window_end=D(2016, 6, 30))
    assert spells.select("program", "agency", "start", "end").rows() == [
        ("DJJ_CUSTODY", "djj", D(2015, 3, 2), D(2015, 9, 30)),
        ("DJJ_CUSTODY", "djj", D(2016, 1, 5), D(2016, 6, 30)),
    ]
    events = build_events(base, pl.DataFrame(schema={"child_pid": pl.String,
                                                     "parent_pid": pl.String}))  # fmt: skip
    assert events.select("event", "date", "agency").rows() == [
        ("YOUTH_ADMISSION", D(2015, 3, 2), "djj"),
        ("YOUTH_RELEASE", D(2015, 9, 30), "djj"),
        ("YOUTH_ADMISSION", D(2016, 1, 5), "djj"),
    ]
    panel = build_panel(spells, base)
    flags = panel.select("year", "quarter", "djj_custody", "prison", "incarcerated").rows()
    assert flags == [
        (2015, 1, True, False, False),
        (2015, 2, True, False, False),
        (2015, 3, True, False, False),
        (2016, 1, True, False, False),
        (2016, 2, True, False, False),
    ]
    validate("program_spells", spells)
    validate("life_events", events)
    validate("person_quarters", panel)


def _dceo_row(pid: str, program: str, start: date, **content) -> dict:
    fields = {
        "case_id": None, "relationship": None, "program_year": None, "household_size": None,
        "benefit_amount": None, "heating_source": None, "funding_stream": None,
        "exit_reason": None, "credential": None, "end_date": None, "county_fips": "17031",
    }  # fmt: skip
    return base_row("dceo", pid, program=program, start_date=start, **{**fields, **content})


def test_dceo_records_become_energy_and_training_spells_events_and_panel_flags():
    """A LIHEAP application covers its household to the end of the program year (30
    September; a row without one, to the end of the year its application falls in); a
    WIOA enrolment runs to its exit (an open one to the window's end) and gives
    enrolment and exit events; each program has its own panel flag."""
    dceo = frame(
        [_dceo_row("g", "LIHEAP", D(2024, 2, 10), case_id="m", relationship="APPLICANT"),
         _dceo_row("h", "LIHEAP", D(2023, 11, 4), case_id="k", relationship="GRANDCHILD",
                   program_year=2024, household_size=3, benefit_amount=612.0,
                   heating_source="NATURAL_GAS"),
         _dceo_row("h", "WIOA", D(2024, 2, 5), end_date=D(2024, 5, 20), funding_stream="YOUTH",
                   exit_reason="COMPLETED", credential="SECONDARY_EQUIVALENCY"),
         _dceo_row("h", "WIOA", D(2024, 11, 12), funding_stream="ADULT")]
    )  # fmt: skip
    base = {"dceo": dceo}
    spells = program_spells(base, gap_months=1, window_end=D(2024, 12, 31))
    assert spells.select("pid", "program", "agency", "start", "end").rows() == [
        ("g", "LIHEAP", "dceo", D(2024, 2, 10), D(2024, 9, 30)),
        ("h", "LIHEAP", "dceo", D(2023, 11, 4), D(2024, 9, 30)),
        ("h", "WIOA", "dceo", D(2024, 2, 5), D(2024, 5, 20)),
        ("h", "WIOA", "dceo", D(2024, 11, 12), D(2024, 12, 31)),
    ]
    events = build_events(base, pl.DataFrame(schema={"child_pid": pl.String,
                                                     "parent_pid": pl.String}))  # fmt: skip
    assert events.select("event", "date", "agency").rows() == [
        ("WIOA_ENROLMENT", D(2024, 2, 5), "dceo"),
        ("WIOA_EXIT", D(2024, 5, 20), "dceo"),
        ("WIOA_ENROLMENT", D(2024, 11, 12), "dceo"),
    ]
    panel = build_panel(spells, base)
    flags = panel.filter(pl.col("pid") == "h").select("year", "quarter", "liheap", "wioa")
    assert flags.rows() == [
        (2023, 4, True, False),
        (2024, 1, True, True),
        (2024, 2, True, True),
        (2024, 3, True, False),
        (2024, 4, False, True),
    ]
    assert panel.filter(pl.col("pid") == "g").get_column("quarter").to_list() == [1, 2, 3]
    validate("program_spells", spells)
    validate("life_events", events)
    validate("person_quarters", panel)


def _idva_row(pid: str, benefit: str, start: date, end: date | None, **content) -> dict:
    fields = {
        "claim_type": None, "home": None, "disposition": None, "branch": "NAVY",
        "service_entry": D(1966, 9, 12), "service_release": D(1970, 9, 11),
        "discharge_character": "HONORABLE", "county_fips": "17001",
    }  # fmt: skip
    return base_row("idva", pid, benefit=benefit, benefit_start=start, benefit_end=end,
                    **{**fields, **content})  # fmt: skip


def test_idva_records_become_claim_and_home_spells_events_and_panel_flags():
    """A claim covers filing to decision, a veterans' home stay admission to discharge (an
    open one to the window's end); the DD-214 release is one MILITARY_DISCHARGE however
    many records repeat it; each program has its own panel flag."""
    idva = frame(
        [_idva_row("v", "CLAIM", D(2015, 3, 2), D(2015, 8, 20), claim_type="PENSION",
                   disposition="GRANTED"),
         _idva_row("v", "HOME", D(2016, 1, 5), None, home="QCY")]
    )  # fmt: skip
    base = {"idva": idva}
    spells = program_spells(base, gap_months=1, window_end=D(2016, 6, 30))
    assert spells.select("program", "agency", "start", "end").rows() == [
        ("VETERANS_CLAIM", "idva", D(2015, 3, 2), D(2015, 8, 20)),
        ("VETERANS_HOME", "idva", D(2016, 1, 5), D(2016, 6, 30)),
    ]
    events = build_events(base, pl.DataFrame(schema={"child_pid": pl.String,
                                                     "parent_pid": pl.String}))  # fmt: skip
    assert events.select("event", "date", "agency").rows() == [
        ("MILITARY_DISCHARGE", D(1970, 9, 11), "idva"),
        ("VETERANS_HOME_ADMISSION", D(2016, 1, 5), "idva"),
    ]
    panel = build_panel(spells, base)
    flags = panel.select("year", "quarter", "veterans_claim", "veterans_home").rows()
    assert flags == [
        (2015, 1, True, False),
        (2015, 2, True, False),
        (2015, 3, True, False),
        (2016, 1, False, True),
        (2016, 2, False, True),
    ]
    validate("program_spells", spells)
    validate("life_events", events)
    validate("person_quarters", panel)


def test_ui_claims_become_claim_spells_events_and_panel_flags():
    """A UI claim covers its waiting week and the weeks claimed after it (none claimed:
    the waiting week alone), gives a UI_CLAIM event on the benefit year's first day, and
    its own panel flag."""
    ides_ui = frame(
        [base_row("ides_ui", "u", benefit_year_begin=D(2020, 3, 29), program="UI",
                  separation_reason="LACK_OF_WORK", weekly_benefit=456.0, weeks_claimed=14,
                  weeks_paid=14, county_fips="17031"),
         base_row("ides_ui", "u", benefit_year_begin=D(2021, 6, 27), program="UI",
                  separation_reason="VOLUNTARY_QUIT", weekly_benefit=456.0, weeks_claimed=0,
                  weeks_paid=0, county_fips="17031")]
    ).with_columns(pl.col("weeks_claimed", "weeks_paid").cast(pl.Int8))  # fmt: skip
    base = {"ides_ui": ides_ui}
    spells = program_spells(base, gap_months=1, window_end=D(2021, 12, 31))
    assert spells.select("program", "agency", "start", "end").rows() == [
        ("UI_CLAIM", "ides_ui", D(2020, 3, 29), D(2020, 7, 11)),
        ("UI_CLAIM", "ides_ui", D(2021, 6, 27), D(2021, 7, 3)),
    ]
    events = build_events(base, pl.DataFrame(schema={"child_pid": pl.String,
                                                     "parent_pid": pl.String}))  # fmt: skip
    assert events.select("event", "date", "agency").rows() == [
        ("UI_CLAIM", D(2020, 3, 29), "ides_ui"),
        ("UI_CLAIM", D(2021, 6, 27), "ides_ui"),
    ]
    panel = build_panel(spells, base)
    assert panel.select("year", "quarter", "ui_claim", "employed").rows() == [
        (2020, 1, True, False),
        (2020, 2, True, False),
        (2020, 3, True, False),
        (2021, 2, True, False),
        (2021, 3, True, False),
    ]
    validate("program_spells", spells)
    validate("life_events", events)
    validate("person_quarters", panel)


def test_all_tables_validate_and_persons_summarise_records():
    hfs = frame(
        [base_row("hfs", "a", 0.9, elig_start=D(2019, 1, 1), elig_end=D(2019, 6, 30),
                  elig_category="X", county_fips="17031"),
         base_row("hfs", "a", 0.8, elig_start=D(2021, 1, 1), elig_end=None,
                  elig_category="X", county_fips="17043")]
    )  # fmt: skip
    idph = frame(
        [base_row("idph", "a", record_type="DEATH", event_date=D(2022, 3, 5),
                  county_fips="17043", plurality=None)]
    )  # fmt: skip
    demographics = pl.DataFrame(
        {"pid": ["a"], "birth_year": [1950], "birth_month": [3], "sex": ["F"]},
        schema={"pid": pl.String, "birth_year": pl.Int32, "birth_month": pl.Int8,
                "sex": pl.String},
    )  # fmt: skip
    family = pl.DataFrame(
        schema={"child_pid": pl.String, "parent_pid": pl.String, "role": pl.String,
                "match_probability": pl.Float64}
    )  # fmt: skip
    tables = build(BuildParams(), {"hfs": hfs, "idph": idph}, demographics, family)
    for name, table in tables.items():
        validate(name, table)
    person = tables["persons"].row(0, named=True)
    assert person["death_year"] == 2022 and person["death_month"] == 3
    assert person["county_fips"] == "17043"
    assert person["counties"] == ["17031", "17043"]
    assert person["agencies"] == ["hfs", "idph"]
    assert person["match_probability"] == 0.8
