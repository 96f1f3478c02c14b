"""ISBE student enrollment: one row per student-year (CSV, UTF-8, ISO dates, no SSN)."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    Contract,
    Delimited,
    LifeEvent,
    Program,
    RawModel,
    Timeline,
    conform_identifiers,
    keyed,
    parse_date,
    recode,
    text,
    trimmed,
)

AGENCY = "isbe"
DATE_FORMAT = "%Y-%m-%d"
SEX_CODES = {"M": "M", "F": "F"}
EXIT_CODES = {"ENROLLED": "01", "GRADUATED": "02", "DROPOUT": "03", "TRANSFERRED": "04"}
#: staged grade (0 = kindergarten) -> ISBE grade level
GRADE_CODES = {0: "KG", **{g: f"{g:02d}" for g in range(1, 13)}}
GRAIN = ("sid", "school_year")


class IsbeRaw(RawModel):
    """Student-years as ISBE delivers them."""

    sid: str = text("state student identifier (SID)", pattern=r"^\d{9}$")
    legal_first_name: str = text("legal first name", nullable=True)
    legal_middle_name: str = text("legal middle name", nullable=True)
    legal_last_name: str = text("legal last name", nullable=True)
    birth_date: str = text("date of birth", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE)
    gender: str = text("gender: M, F, X (not reported)", codes=("M", "F", "X"))
    school_year: str = text("school year, e.g. 2019-2020", pattern=r"^\d{4}-\d{4}$")
    grade_level: str = text("grade: KG, 01..12", codes=tuple(GRADE_CODES.values()))
    exit_code: str = text(
        "status at year end: 01 enrolled, 02 graduated, 03 dropout, 04 transferred",
        codes=tuple(EXIT_CODES.values()),
    )
    county_fips: str = text(
        "county of the school, five-digit FIPS", nullable=True, pattern=r"^\d{5}$"
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IsbeContent(pa.DataFrameModel):
    """Staged ISBE content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    school_year: pl.Int32 = pa.Field(description="fall year of the school year")
    grade: pl.Int8 = pa.Field(ge=0, le=12, description="grade, 0 = kindergarten")
    exit_status: str = pa.Field(isin=list(EXIT_CODES), description="status at year end")
    county_fips: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="county")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated ISBE rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        # the school year starts in the autumn
        pl.date(pl.col("school_year").str.slice(0, 4).cast(pl.Int32), 9, 1).alias("seen"),
        trimmed("sid").alias("agency_id"),
        trimmed("legal_first_name").alias("first_name"),
        trimmed("legal_middle_name").alias("middle_name"),
        trimmed("legal_last_name").alias("last_name"),
        parse_date(pl.col("birth_date"), DATE_FORMAT).alias("dob"),
        recode("gender", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
    )
    grades = {v: str(k) for k, v in GRADE_CODES.items()}
    content = keyed(
        raw,
        AGENCY,
        pl.col("school_year").str.slice(0, 4).cast(pl.Int32).alias("school_year"),
        recode("grade_level", grades).cast(pl.Int8).alias("grade"),
        recode("exit_code", {v: k for k, v in EXIT_CODES.items()}).alias("exit_status"),
        trimmed("county_fips").alias("county_fips"),
    )
    return conform_identifiers(ids), content


#: first month of the school year a record's ``school_year`` (fall year) stands for:
#: July to June, so consecutive years join into one spell
SCHOOL_YEAR_START_MONTH = 7
_YEAR_START = pl.date(pl.col("school_year"), SCHOOL_YEAR_START_MONTH, 1)
#: exits are dated 30 June ending the school year
_JUNE = pl.date(pl.col("school_year") + 1, 6, 30)
TIMELINE = Timeline(
    date=_YEAR_START,
    programs=(Program("SCHOOL", "Public school", "in a SCHOOL spell during the quarter"),),
    program=pl.lit("SCHOOL"),
    start=_YEAR_START,
    end=_YEAR_START.dt.offset_by("12mo").dt.offset_by("-1d"),
    events=(
        LifeEvent("GRADUATION", _JUNE, pl.col("exit_status") == "GRADUATED"),
        LifeEvent("DROPOUT", _JUNE, pl.col("exit_status") == "DROPOUT"),
    ),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="State Board of Education",
    extract="student enrollment",
    grain="student-year",
    filename="isbe_student_year.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=IsbeRaw,
    content=IsbeContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Schools",
)
