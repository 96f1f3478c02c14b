"""Aging, Community Care Program: one row per service episode (fixed-width, ASCII,
no header, dates MMDDYYYY, only the last four SSN digits)."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    EVENT_RANGE,
    Contract,
    FixedWidth,
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

AGENCY = "aging"
DATE_FORMAT = "%m%d%Y"
SEX_CODES = {"M": "M", "F": "F"}
#: staged service type -> CCP service code
SERVICE_CODES = {
    "IN_HOME_SERVICE": "IHS",
    "HOMEMAKER": "HMK",
    "ADULT_DAY": "ADS",
    "EMERGENCY_HOME_RESPONSE": "EHR",
    "OTHER": "OTH",
}
GRAIN = ("CLIENT_ID", "SVC_TYPE", "SVC_START")


class AgingRaw(RawModel):
    """CCP service episodes as the Department on Aging delivers them."""

    CLIENT_ID: str = text("CCP client number", pattern=r"^A\d{9}$", width=10)
    LAST_NAME: str = text("last name (truncated to 20)", nullable=True, width=20)
    FIRST_NAME: str = text("first name (truncated to 15)", nullable=True, width=15)
    MI: str = text("middle initial", nullable=True, pattern=r"^[A-Za-z]$", width=1)
    DOB: str = text(
        "date of birth, MMDDYYYY", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE, width=8
    )
    SEX: str = text("sex: M, F", nullable=True, codes=tuple(SEX_CODES.values()), width=1)
    SSN4: str = text("last four SSN digits", nullable=True, pattern=r"^\d{4}$", width=4)
    ZIP: str = text("ZIP code", nullable=True, pattern=r"^\d{5}$", width=5)
    SVC_START: str = text(
        "episode start, MMDDYYYY", date=DATE_FORMAT, date_range=EVENT_RANGE, width=8
    )
    SVC_END: str = text(
        "episode end, MMDDYYYY; blank while open",
        nullable=True,
        date=DATE_FORMAT,
        date_range=EVENT_RANGE,
        width=8,
    )
    SVC_TYPE: str = text("service code", codes=tuple(SERVICE_CODES.values()), width=3)

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class AgingContent(pa.DataFrameModel):
    """Staged Aging content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    service_start: pl.Date = pa.Field(description="episode start")
    service_end: pl.Date = pa.Field(nullable=True, description="episode end; null = open")
    service_type: str = pa.Field(isin=list(SERVICE_CODES), description="service type")
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated Aging rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("SVC_START"), DATE_FORMAT).alias("seen"),
        trimmed("CLIENT_ID").alias("agency_id"),
        trimmed("FIRST_NAME").alias("first_name"),
        trimmed("MI").alias("middle_name"),
        trimmed("LAST_NAME").alias("last_name"),
        parse_date(pl.col("DOB"), DATE_FORMAT).alias("dob"),
        recode("SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN4").alias("ssn_last4"),
        trimmed("ZIP").alias("zip"),
    )
    content = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("SVC_START"), DATE_FORMAT).alias("service_start"),
        parse_date(pl.col("SVC_END"), DATE_FORMAT).alias("service_end"),
        recode("SVC_TYPE", {v: k for k, v in SERVICE_CODES.items()}).alias("service_type"),
        trimmed("ZIP").alias("zip"),
    )
    return conform_identifiers(ids), content


TIMELINE = Timeline(
    date=pl.col("service_start"),
    programs=(
        Program(
            "CCP",
            "Community Care (aging services)",
            "in a CCP (community care) spell during the quarter",
        ),
    ),
    program=pl.lit("CCP"),
    start=pl.col("service_start"),
    end=pl.col("service_end"),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Aging",
    extract="Community Care Program",
    grain="service episode",
    filename="ccp_episodes.dat",
    layout=FixedWidth(encoding="ascii"),
    raw=AgingRaw,
    content=AgingContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Aging services",
)
