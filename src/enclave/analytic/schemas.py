"""Pandera models of the analytic tables (docs/INTERFACES.md, "build -> analytic
tables"). Each column carries a description, so the catalog documents them; ``build``
validates every table against its model before writing it."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine as pe

from enclave import contracts

#: program codes and the agency each comes from (``idph`` gives life events only), from
#: the contracts' timelines
PROGRAMS: dict[str, str] = {
    program.code: agency
    for agency, contract in contracts.ALL.items()
    for program in contract.timeline.programs
}
#: life events: a person's own birth and a child's birth and death come from the vital
#: records (``enclave.analytic.events``); the others from the contracts' timelines
EVENTS = (
    "BIRTH",
    "BIRTH_OF_CHILD",
    *(event.code for contract in contracts.ALL.values() for event in contract.timeline.events),
    "DEATH",
)
AGENCY_CODES = list(contracts.ALL)
PID = "project pseudonym of the person (16 hex characters; differs between projects)"
MATCH = "linkage match probability: the weakest link holding these records to the person"
NAME_ONLY = (
    "records placed in the person by a link that shares neither an SSN nor a date of "
    "birth (link evidence name_only): 0 means every link rests on more than a name; "
    "a study can drop the others, or test its result without them"
)


class Persons(pa.DataFrameModel):
    """One row per linked person of the project."""

    pid: str = pa.Field(unique=True, description=PID)
    birth_year: pl.Int32 = pa.Field(
        nullable=True,
        description="birth year (consensus over the person's records); "
        "null when withheld for k-anonymity or never recorded",
    )
    birth_month: pl.Int8 = pa.Field(
        nullable=True,
        in_range={"min_value": 1, "max_value": 12},
        description="birth month; null when withheld (dob_precision or k-anonymity)",
    )
    sex: str = pa.Field(nullable=True, isin=["F", "M"], description="F or M (consensus)")
    death_year: pl.Int32 = pa.Field(nullable=True, description="year of the IDPH death record")
    death_month: pl.Int8 = pa.Field(nullable=True, description="month of the IDPH death record")
    county_fips: str = pa.Field(
        nullable=True,
        description="county of the latest dated record naming one "
        "(a region code R-... or null where generalised for k-anonymity)",
    )
    counties: pe.List = pa.Field(
        dtype_kwargs={"inner": pl.String}, description="every county the records name, sorted"
    )
    agencies: pe.List = pa.Field(
        dtype_kwargs={"inner": pl.String}, description="agencies holding a record, sorted"
    )
    match_probability: float = pa.Field(
        nullable=True,
        in_range={"min_value": 0.0, "max_value": 1.0},
        description="lowest match probability over the person's records",
    )
    name_only_records: pl.Int32 = pa.Field(ge=0, description=NAME_ONLY)

    class Config:
        strict = True


class ProgramSpells(pa.DataFrameModel):
    """Continuous participation in one program: records merged with a gap tolerance."""

    pid: str = pa.Field(description=PID)
    program: str = pa.Field(isin=list(PROGRAMS), description="program code")
    agency: str = pa.Field(isin=AGENCY_CODES, description="agency reporting the program")
    start: pl.Date = pa.Field(description="first day covered")
    end: pl.Date = pa.Field(
        description="last day covered; a spell still open in the data ends on the last "
        "day of the latest month any record reaches (right-censored)"
    )
    n_records: pl.Int32 = pa.Field(ge=1, description="agency records merged into the spell")
    match_probability: float = pa.Field(
        in_range={"min_value": 0.0, "max_value": 1.0}, description=MATCH
    )
    name_only_records: pl.Int32 = pa.Field(ge=0, description=NAME_ONLY)

    class Config:
        strict = True

    @pa.dataframe_check
    def ends_after_start(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("end") >= pl.col("start"))


class LifeEvents(pa.DataFrameModel):
    """Dated life events, one row per person, event, date and agency."""

    pid: str = pa.Field(description=PID)
    event: str = pa.Field(isin=list(EVENTS), description="event code")
    date: pl.Date = pa.Field(
        description="event date; GRADUATION / DROPOUT on 30 June ending the school year; "
        "BIRTH (the person's own birth record) and BIRTH_OF_CHILD on the 1st of the birth "
        "month (1 January where the birth month is withheld)"
    )
    agency: str = pa.Field(isin=AGENCY_CODES, description="agency recording the event")

    class Config:
        strict = True


class FamilyLinks(pa.DataFrameModel):
    """Parent-child links from birth records."""

    child_pid: str = pa.Field(description="pseudonym of the child")
    parent_pid: str = pa.Field(description="pseudonym of the parent")
    role: str = pa.Field(isin=["MOTHER", "FATHER"], description="MOTHER or FATHER")
    match_probability: float = pa.Field(
        in_range={"min_value": 0.0, "max_value": 1.0},
        description="probability the birth record's parent is this person",
    )

    class Config:
        strict = True


class _QuarterColumns(pa.DataFrameModel):
    """One row per person and calendar quarter with any recorded activity (a program
    spell covering a day of the quarter, or wages). A quarter without a row is one
    in which no agency recorded the person."""

    pid: str = pa.Field(description=PID)
    year: pl.Int32 = pa.Field(description="calendar year")
    quarter: pl.Int8 = pa.Field(in_range={"min_value": 1, "max_value": 4}, description="1-4")
    wages: float = pa.Field(ge=0.0, description="UI-covered wages in the quarter, all employers")
    employed: bool = pa.Field(description="any UI-covered wages in the quarter")
    incarcerated: bool = pa.Field(description="in a PRISON spell during the quarter")
    in_school: bool = pa.Field(description="in a SCHOOL spell during the quarter")
    county_fips: str = pa.Field(
        nullable=True,
        description="county of the latest record dated on or before the quarter's end",
    )

    class Config:
        strict = True


def _with_program_flags(base: type[pa.DataFrameModel]) -> type[pa.DataFrameModel]:
    """``base`` with one bool column per program of the contracts (its code in lower
    case), described as the contract describes the program."""
    programs = [p for c in contracts.ALL.values() for p in c.timeline.programs]
    attrs: dict = {
        "__annotations__": {p.code.lower(): bool for p in programs},
        "__doc__": base.__doc__,
        "__module__": __name__,
        "__qualname__": "PersonQuarters",
        **{p.code.lower(): pa.Field(description=p.description) for p in programs},
    }
    return type("PersonQuarters", (base,), attrs)


PersonQuarters = _with_program_flags(_QuarterColumns)


class SchoolYears(pa.DataFrameModel):
    """One row per person and school year of the ISBE records: the grade, how the year
    ended and the county (for cohorts by grade and school moves)."""

    pid: str = pa.Field(description=PID)
    school_year: pl.Int32 = pa.Field(description="school year, by its fall calendar year")
    grade: pl.Int8 = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 12}, description="0 = kindergarten"
    )
    exit_status: str = pa.Field(
        nullable=True,
        isin=["ENROLLED", "GRADUATED", "DROPOUT", "TRANSFERRED"],
        description="how the year ended: ENROLLED (on to the next year), GRADUATED, "
        "DROPOUT, or TRANSFERRED (to a school in another county)",
    )
    county_fips: str = pa.Field(nullable=True, description="county of the school")
    match_probability: float = pa.Field(
        in_range={"min_value": 0.0, "max_value": 1.0}, description=MATCH
    )
    name_only_records: pl.Int32 = pa.Field(ge=0, description=NAME_ONLY)

    class Config:
        strict = True


class Coverage(pa.DataFrameModel):
    """Each source's observation window in the project's data: follow-up past a
    source's ``end`` is unknown, not an absence (UI wage records can end quarters
    before the person-quarter panel does)."""

    source: str = pa.Field(
        unique=True,
        description="a program code, or an IDPH record type (BIRTH, DEATH)",
    )
    agency: str = pa.Field(isin=AGENCY_CODES, description="agency holding the source")
    start: pl.Date = pa.Field(description="first day of the first month its records cover")
    end: pl.Date = pa.Field(description="last day of the last month its records cover")

    class Config:
        strict = True

    @pa.dataframe_check
    def ends_after_start(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("end") >= pl.col("start"))


PANEL_COLUMNS = (
    "pid",
    "year",
    "quarter",
    *(p.lower() for p in PROGRAMS),
    "wages",
    "employed",
    "incarcerated",
    "in_school",
    "county_fips",
)
MODELS: dict[str, type[pa.DataFrameModel]] = {
    "persons": Persons,
    "program_spells": ProgramSpells,
    "person_quarters": PersonQuarters,
    "life_events": LifeEvents,
    "family_links": FamilyLinks,
    "school_years": SchoolYears,
    "coverage": Coverage,
}
