"""IDES unemployment insurance claims: one row per claim, a benefit year (fixed-width,
ASCII, no header, as the benefit system's mainframe writes it: dates CCYYMMDD, numbers
zero-padded, the weekly benefit amount in cents with the decimal point implied).

Unlike the wage records (:mod:`enclave.contracts.ides`), a claim carries the
claimant's date of birth and address, so it bridges a worker's wage history to the
agencies that know people by birth date and address."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    EVENT_RANGE,
    Contract,
    FixedWidth,
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

AGENCY = "ides_ui"
DATE_FORMAT = "%Y%m%d"
SEX_CODES = {"M": "M", "F": "F"}
#: staged program -> IDES code: regular state UI, or ex-servicemembers' UI (UCX, paid
#: by the federal government, administered by the state)
PROGRAM_CODES = {"UI": "UI", "UCX": "UCX"}
#: staged separation reason -> IDES code
SEPARATION_CODES = {
    "LACK_OF_WORK": "LW",
    "VOLUNTARY_QUIT": "VQ",
    "DISCHARGE": "DM",
    "MILITARY_SEPARATION": "MS",
}
GRAIN = ("CLMT_SSN", "BYB_DT")


def _date(description: str, *, nullable: bool = False, birth: bool = False) -> str:
    return text(
        f"{description}, CCYYMMDD",
        nullable=nullable,
        date=DATE_FORMAT,
        date_range=DOB_RANGE if birth else EVENT_RANGE,
        width=8,
    )


class IdesUiRaw(RawModel):
    """UI claims as IDES's benefit system writes them."""

    CLMT_SSN: str = text("claimant's social security number", pattern=r"^\d{9}$", width=9)
    CLMT_LAST: str = text("claimant's last name (truncated to 20)", nullable=True, width=20)
    CLMT_FIRST: str = text("claimant's first name (truncated to 15)", nullable=True, width=15)
    CLMT_MI: str = text("middle initial", nullable=True, pattern=r"^[A-Z]$", width=1)
    CLMT_DOB: str = _date("claimant's date of birth", nullable=True, birth=True)
    CLMT_SEX: str = text("sex: M, F", nullable=True, codes=tuple(SEX_CODES.values()), width=1)
    ADDR_LINE: str = text("mailing address, street (truncated to 30)", nullable=True, width=30)
    CITY: str = text("mailing address, city (truncated to 20)", nullable=True, width=20)
    STATE: str = text("mailing address, state", nullable=True, pattern=r"^[A-Z]{2}$", width=2)
    ZIP: str = text("mailing address, ZIP code", nullable=True, pattern=r"^\d{5}$", width=5)
    BYB_DT: str = _date("benefit year begin: the Sunday of the week the claim was filed")
    PGM: str = text(
        "program: UI regular state benefits, UCX ex-servicemembers",
        codes=tuple(PROGRAM_CODES.values()),
        width=3,
    )
    SEP_RSN: str = text(
        "separation reason: LW lack of work, VQ voluntary quit, DM discharged (misconduct "
        "alleged), MS separated from military service",
        codes=tuple(SEPARATION_CODES.values()),
        width=2,
    )
    WBA: str = text(
        "weekly benefit amount in cents, seven digits, the decimal point implied",
        pattern=r"^\d{7}$",
        width=7,
    )
    WKS_CLMD: str = text("weeks claimed (certified), two digits", pattern=r"^\d{2}$", width=2)
    WKS_PAID: str = text("weeks paid, two digits", pattern=r"^\d{2}$", width=2)

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdesUiContent(pa.DataFrameModel):
    """Staged IDES UI claims content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    benefit_year_begin: pl.Date = pa.Field(description="benefit year begin (a Sunday)")
    program: str = pa.Field(isin=list(PROGRAM_CODES), description="UI or UCX")
    separation_reason: str = pa.Field(isin=list(SEPARATION_CODES), description="why the job ended")
    weekly_benefit: pl.Float64 = pa.Field(ge=0, description="weekly benefit amount, dollars")
    weeks_claimed: pl.Int8 = pa.Field(ge=0, le=99, description="weeks claimed")
    weeks_paid: pl.Int8 = pa.Field(ge=0, le=99, description="weeks paid")
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDES UI rows -> (standard identifiers, content)."""
    byb = parse_date(pl.col("BYB_DT"), DATE_FORMAT)
    ids = keyed(
        raw,
        AGENCY,
        byb.alias("seen"),
        trimmed("CLMT_FIRST").alias("first_name"),
        trimmed("CLMT_MI").alias("middle_name"),
        trimmed("CLMT_LAST").alias("last_name"),
        parse_date(pl.col("CLMT_DOB"), DATE_FORMAT).alias("dob"),
        recode("CLMT_SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("CLMT_SSN").alias("ssn"),
        trimmed("ADDR_LINE").alias("street_address"),
        trimmed("ZIP").alias("zip"),
    )
    content = keyed(
        raw,
        AGENCY,
        byb.alias("benefit_year_begin"),
        recode("PGM", {v: k for k, v in PROGRAM_CODES.items()}).alias("program"),
        recode("SEP_RSN", {v: k for k, v in SEPARATION_CODES.items()}).alias("separation_reason"),
        (pl.col("WBA").cast(pl.Int64) / 100).alias("weekly_benefit"),
        pl.col("WKS_CLMD").cast(pl.Int8).alias("weeks_claimed"),
        pl.col("WKS_PAID").cast(pl.Int8).alias("weeks_paid"),
        trimmed("ZIP").alias("zip"),
    )
    return conform_identifiers(ids), content


_BYB = pl.col("benefit_year_begin")

#: a claim covers the waiting week and the weeks claimed after it
TIMELINE = Timeline(
    date=_BYB,
    programs=(
        Program(
            "UI_CLAIM",
            "Unemployment insurance claim",
            "claiming unemployment insurance (a UI_CLAIM spell: waiting week and weeks "
            "claimed) during the quarter",
        ),
    ),
    program=pl.lit("UI_CLAIM"),
    start=_BYB,
    end=_BYB + pl.duration(days=7 * (pl.col("weeks_claimed").cast(pl.Int64) + 1) - 1),
    events=(LifeEvent("UI_CLAIM", _BYB),),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Employment Security",
    extract="UI claims",
    grain="claim (benefit year)",
    filename="ides_ui_claims.dat",
    layout=FixedWidth(encoding="ascii"),
    raw=IdesUiRaw,
    content=IdesUiContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Unemployment insurance",
)
