"""IDPH vital records: one row per birth or death certificate (CSV, UTF-8, dates
YYYY-MM-DD). Births name the child and the parents (the father often missing);
deaths name the decedent and carry an SSN."""

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
    RawModel,
    Timeline,
    conform_identifiers,
    keyed,
    parse_date,
    recode,
    text,
    trimmed,
)

AGENCY = "idph"
DATE_FORMAT = "%Y-%m-%d"
SEX_CODES = {"M": "M", "F": "F"}
RECORD_CODES = {"BIRTH": "B", "DEATH": "D"}
GRAIN = ("CERT_NO",)


def _date(description: str, *, nullable: bool = True, event: bool = False) -> str:
    return text(
        description,
        nullable=nullable,
        date=DATE_FORMAT,
        date_range=EVENT_RANGE if event else DOB_RANGE,
    )


class IdphRaw(RawModel):
    """Birth and death certificates as IDPH delivers them."""

    CERT_NO: str = text("certificate number: B/D, year, serial", pattern=r"^[BD]\d{4}\d{6}$")
    RECORD_TYPE: str = text("B birth, D death", codes=tuple(RECORD_CODES.values()))
    EVENT_DATE: str = _date("date of birth or death", nullable=False, event=True)
    FIRST_NAME: str = text("child's or decedent's first name", nullable=True)
    MIDDLE_NAME: str = text("middle name", nullable=True)
    LAST_NAME: str = text("last name", nullable=True)
    SUFFIX: str = text("name suffix", nullable=True, codes=SUFFIXES)
    DOB: str = _date("date of birth of the child or decedent")
    SEX: str = text("sex: M, F, U (undetermined)", codes=("M", "F", "U"))
    SSN: str = text("decedent's social security number", nullable=True, pattern=r"^\d{9}$")
    MOTHER_FIRST: str = text("mother's first name (births)", nullable=True)
    MOTHER_LAST: str = text("mother's current last name (births)", nullable=True)
    MOTHER_MAIDEN: str = text("mother's maiden name (births)", nullable=True)
    MOTHER_DOB: str = _date("mother's date of birth (births)")
    FATHER_FIRST: str = text("father's first name (births; often missing)", nullable=True)
    FATHER_LAST: str = text("father's last name (births; often missing)", nullable=True)
    FATHER_DOB: str = _date("father's date of birth (births; often missing)")
    PLURALITY: str = text(
        "births: 1 single, 2 twin, 3+...", nullable=True, codes=("1", "2", "3", "4")
    )
    COUNTY_FIPS: str = text(
        "county of the event, five-digit FIPS", nullable=True, pattern=r"^\d{5}$"
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdphContent(pa.DataFrameModel):
    """Staged IDPH content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    record_type: str = pa.Field(isin=list(RECORD_CODES), description="BIRTH or DEATH")
    event_date: pl.Date = pa.Field(description="date of the birth or death")
    county_fips: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="county")
    plurality: pl.Int8 = pa.Field(nullable=True, ge=1, description="births: plurality")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDPH rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("EVENT_DATE"), DATE_FORMAT).alias("seen"),
        trimmed("CERT_NO").alias("agency_id"),
        trimmed("FIRST_NAME").alias("first_name"),
        trimmed("MIDDLE_NAME").alias("middle_name"),
        trimmed("LAST_NAME").alias("last_name"),
        trimmed("SUFFIX").alias("suffix"),
        parse_date(pl.col("DOB"), DATE_FORMAT).alias("dob"),
        recode("SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN").alias("ssn"),
        trimmed("MOTHER_FIRST").alias("mother_first_name"),
        trimmed("MOTHER_LAST").alias("mother_last_name"),
        trimmed("MOTHER_MAIDEN").alias("mother_maiden_name"),
        parse_date(pl.col("MOTHER_DOB"), DATE_FORMAT).alias("mother_dob"),
        trimmed("FATHER_FIRST").alias("father_first_name"),
        trimmed("FATHER_LAST").alias("father_last_name"),
        parse_date(pl.col("FATHER_DOB"), DATE_FORMAT).alias("father_dob"),
    )
    content = keyed(
        raw,
        AGENCY,
        recode("RECORD_TYPE", {v: k for k, v in RECORD_CODES.items()}).alias("record_type"),
        parse_date(pl.col("EVENT_DATE"), DATE_FORMAT).alias("event_date"),
        trimmed("COUNTY_FIPS").alias("county_fips"),
        pl.col("PLURALITY").cast(pl.Int8).alias("plurality"),
    )
    return conform_identifiers(ids), content


#: vital records cover no time; their births and deaths are life events of their own
#: (``enclave.analytic.events``: a person's own birth, a child's birth, a death)
TIMELINE = Timeline(date=pl.col("event_date"))


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Public Health",
    extract="vital records",
    grain="birth / death record",
    filename="idph_vital.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=IdphRaw,
    content=IdphContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Vital records",
)
