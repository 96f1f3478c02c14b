"""HFS Medicaid eligibility: one row per eligibility span (CSV, UTF-8, dates YYYYMMDD)."""

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

AGENCY = "hfs"
DATE_FORMAT = "%Y%m%d"
#: staged sex -> HFS code (U = unknown, staged as null)
SEX_CODES = {"M": "M", "F": "F"}
#: staged eligibility category -> HFS code
CATEGORY_CODES = {
    "CHILD": "CH",
    "ADULT": "AD",
    "PREGNANT": "PW",
    "PARENT": "FM",
    "AGED": "AG",
    "BLIND": "BL",
    "DISABLED": "DS",
    "OTHER": "OT",
}
GRAIN = ("RECIP_ID", "ELIG_CAT", "ELIG_BEGIN_DT")


class HfsRaw(RawModel):
    """Medicaid eligibility spans as HFS delivers them."""

    RECIP_ID: str = text("recipient identification number (RIN)", pattern=r"^\d{9}$")
    SSN: str = text("social security number", nullable=True, pattern=r"^\d{9}$")
    FIRST_NM: str = text("first name", nullable=True)
    MID_INIT: str = text("middle initial", nullable=True, pattern=r"^[A-Za-z]$")
    LAST_NM: str = text("last name", nullable=True)
    NAME_SFX: str = text("name suffix", nullable=True, codes=SUFFIXES)
    BIRTH_DT: str = text("date of birth", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE)
    SEX_CD: str = text("sex: M, F, U (unknown)", codes=("M", "F", "U"))
    ZIP5: str = text("residence ZIP code", nullable=True, pattern=r"^\d{5}$")
    ELIG_BEGIN_DT: str = text("first day of the span", date=DATE_FORMAT, date_range=EVENT_RANGE)
    ELIG_END_DT: str = text(
        "last day of the span; empty while open",
        nullable=True,
        date=DATE_FORMAT,
        date_range=EVENT_RANGE,
    )
    ELIG_CAT: str = text("eligibility category code", codes=tuple(CATEGORY_CODES.values()))

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class HfsContent(pa.DataFrameModel):
    """Staged HFS content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    elig_start: pl.Date = pa.Field(description="first day of eligibility")
    elig_end: pl.Date = pa.Field(nullable=True, description="last day; null = open")
    elig_category: str = pa.Field(isin=list(CATEGORY_CODES), description="category")
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated HFS rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ELIG_BEGIN_DT"), DATE_FORMAT).alias("seen"),
        trimmed("RECIP_ID").alias("agency_id"),
        trimmed("FIRST_NM").alias("first_name"),
        trimmed("MID_INIT").alias("middle_name"),
        trimmed("LAST_NM").alias("last_name"),
        trimmed("NAME_SFX").alias("suffix"),
        parse_date(pl.col("BIRTH_DT"), DATE_FORMAT).alias("dob"),
        recode("SEX_CD", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN").alias("ssn"),
        trimmed("ZIP5").alias("zip"),
    )
    content = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ELIG_BEGIN_DT"), DATE_FORMAT).alias("elig_start"),
        parse_date(pl.col("ELIG_END_DT"), DATE_FORMAT).alias("elig_end"),
        recode("ELIG_CAT", {v: k for k, v in CATEGORY_CODES.items()}).alias("elig_category"),
        trimmed("ZIP5").alias("zip"),
    )
    return conform_identifiers(ids), content


TIMELINE = Timeline(
    date=pl.col("elig_start"),
    programs=(Program("MEDICAID", "Medicaid", "in a MEDICAID spell during the quarter"),),
    program=pl.lit("MEDICAID"),
    start=pl.col("elig_start"),
    end=pl.col("elig_end"),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Healthcare and Family Services",
    extract="Medicaid eligibility",
    grain="eligibility span",
    filename="hfs_medicaid_elig.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=HfsRaw,
    content=HfsContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Medicaid",
)
