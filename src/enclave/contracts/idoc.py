"""IDOC admissions and releases: one row per prison stay (CSV, UTF-8, dates
MM/DD/YYYY). Carries the inmate number, name, one alias, DOB, sometimes an SSN."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    EVENT_RANGE,
    SUFFIXES,
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

AGENCY = "idoc"
DATE_FORMAT = "%m/%d/%Y"
SEX_CODES = {"M": "M", "F": "F"}
#: Illinois offense classes: murder, class X, felony classes 1-4, misdemeanour
OFFENSE_CLASSES = ("M", "X", "1", "2", "3", "4", "A")
GRAIN = ("IDOC_NO", "ADMIT_DATE")


class IdocRaw(RawModel):
    """Prison stays as IDOC delivers them."""

    IDOC_NO: str = text("inmate number, a letter and five digits", pattern=r"^[A-Z]\d{5}$")
    LAST_NAME: str = text("committed last name", nullable=True)
    FIRST_NAME: str = text("committed first name", nullable=True)
    MIDDLE_NAME: str = text("middle name", nullable=True)
    SUFFIX: str = text("name suffix", nullable=True, codes=SUFFIXES)
    ALIAS_LAST: str = text("an alias last name", nullable=True)
    ALIAS_FIRST: str = text("an alias first name", nullable=True)
    DOB: str = text("date of birth", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE)
    SEX: str = text("sex: M, F", codes=tuple(SEX_CODES.values()))
    SSN: str = text("social security number", nullable=True, pattern=r"^\d{9}$")
    ADMIT_DATE: str = text("admission date", date=DATE_FORMAT, date_range=EVENT_RANGE)
    RELEASE_DATE: str = text(
        "release date; empty while in custody",
        nullable=True,
        date=DATE_FORMAT,
        date_range=EVENT_RANGE,
    )
    OFFENSE_CLASS: str = text("class of the holding offense", codes=OFFENSE_CLASSES)
    COMMIT_COUNTY: str = text(
        "committing county, five-digit FIPS", nullable=True, pattern=r"^\d{5}$"
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdocContent(pa.DataFrameModel):
    """Staged IDOC content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    admit_date: pl.Date = pa.Field(description="admission date")
    release_date: pl.Date = pa.Field(nullable=True, description="release; null = in custody")
    offense_class: str = pa.Field(isin=list(OFFENSE_CLASSES), description="offense class")
    county_fips: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="county")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDOC rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ADMIT_DATE"), DATE_FORMAT).alias("seen"),
        trimmed("IDOC_NO").alias("agency_id"),
        trimmed("FIRST_NAME").alias("first_name"),
        trimmed("MIDDLE_NAME").alias("middle_name"),
        trimmed("LAST_NAME").alias("last_name"),
        trimmed("SUFFIX").alias("suffix"),
        parse_date(pl.col("DOB"), DATE_FORMAT).alias("dob"),
        recode("SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN").alias("ssn"),
        trimmed("ALIAS_FIRST").alias("alias_first_name"),
        trimmed("ALIAS_LAST").alias("alias_last_name"),
    )
    content = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ADMIT_DATE"), DATE_FORMAT).alias("admit_date"),
        parse_date(pl.col("RELEASE_DATE"), DATE_FORMAT).alias("release_date"),
        pl.col("OFFENSE_CLASS").alias("offense_class"),
        trimmed("COMMIT_COUNTY").alias("county_fips"),
    )
    return conform_identifiers(ids), content


TIMELINE = Timeline(
    date=pl.col("admit_date"),
    programs=(Program("PRISON", "Prison", "in a PRISON spell during the quarter"),),
    program=pl.lit("PRISON"),
    start=pl.col("admit_date"),
    end=pl.col("release_date"),
    events=(
        LifeEvent("PRISON_ADMISSION", pl.col("admit_date")),
        LifeEvent("PRISON_RELEASE", pl.col("release_date")),
    ),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Corrections",
    extract="admissions and releases",
    grain="stay",
    filename="idoc_stays.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=IdocRaw,
    content=IdocContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Prison",
)
