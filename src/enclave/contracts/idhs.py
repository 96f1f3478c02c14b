"""IDHS SNAP / TANF case members: one row per member-month (pipe-delimited, UTF-8,
dates MM/DD/YYYY, sex coded 1 = male, 2 = female)."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    EVENT_RANGE,
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

AGENCY = "idhs"
DATE_FORMAT = "%m/%d/%Y"
SEX_CODES = {"M": "1", "F": "2"}
PROGRAM_CODES = {"SNAP": "FS", "TANF": "TA"}
#: staged relationship to the case head -> IDHS code
RELATIONSHIP_CODES = {
    "HEAD": "01",
    "SPOUSE": "02",
    "CHILD": "03",
    "PARENT": "04",
    "SIBLING": "05",
    "GRANDCHILD": "06",
    "OTHER_RELATIVE": "07",
    "OTHER": "99",
}
GRAIN = ("case_no", "member_no", "program", "benefit_month")


class IdhsRaw(RawModel):
    """SNAP / TANF case members by benefit month, as IDHS delivers them."""

    case_no: str = text("IDHS case number", pattern=r"^[A-Z0-9]{1,12}$")
    member_no: str = text("member number within the case", pattern=r"^\d{2}$")
    ssn: str = text("social security number", nullable=True, pattern=r"^\d{9}$")
    first_name: str = text("first name", nullable=True)
    last_name: str = text("last name", nullable=True)
    birth_date: str = text("date of birth", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE)
    sex: str = text("sex: 1 male, 2 female", nullable=True, codes=tuple(SEX_CODES.values()))
    street_addr: str = text("street address", nullable=True)
    city: str = text("city", nullable=True)
    zip: str = text("ZIP code", nullable=True, pattern=r"^\d{5}$")
    program: str = text("program: FS (SNAP), TA (TANF)", codes=tuple(PROGRAM_CODES.values()))
    benefit_month: str = text(
        "benefit month, as its first day", date=DATE_FORMAT, date_range=EVENT_RANGE
    )
    rel_to_head: str = text(
        "relationship to the case head", codes=tuple(RELATIONSHIP_CODES.values())
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdhsContent(pa.DataFrameModel):
    """Staged IDHS content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    benefit_month: pl.Date = pa.Field(description="benefit month (1st of month)")
    program: str = pa.Field(isin=list(PROGRAM_CODES), description="SNAP or TANF")
    case_id: str = pa.Field(description="IDHS case number")
    relationship: str = pa.Field(isin=list(RELATIONSHIP_CODES), description="to case head")
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDHS rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("benefit_month"), DATE_FORMAT).alias("seen"),
        (pl.col("case_no") + "-" + pl.col("member_no")).alias("agency_id"),
        pl.col("case_no").alias("roster"),
        trimmed("first_name").alias("first_name"),
        trimmed("last_name").alias("last_name"),
        parse_date(pl.col("birth_date"), DATE_FORMAT).alias("dob"),
        recode("sex", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("ssn").alias("ssn"),
        trimmed("zip").alias("zip"),
        trimmed("street_addr").alias("street_address"),
    )
    content = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("benefit_month"), DATE_FORMAT).alias("benefit_month"),
        recode("program", {v: k for k, v in PROGRAM_CODES.items()}).alias("program"),
        pl.col("case_no").alias("case_id"),
        recode("rel_to_head", {v: k for k, v in RELATIONSHIP_CODES.items()}).alias("relationship"),
        trimmed("zip").alias("zip"),
    )
    return conform_identifiers(ids), content


#: a benefit month covers the month
TIMELINE = Timeline(
    date=pl.col("benefit_month"),
    programs=(
        Program("SNAP", "SNAP (food assistance)", "in a SNAP spell during the quarter"),
        Program("TANF", "TANF (cash assistance)", "in a TANF spell during the quarter"),
    ),
    program=pl.col("program"),
    start=pl.col("benefit_month"),
    end=pl.col("benefit_month").dt.month_end(),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Human Services",
    extract="SNAP / TANF case members",
    grain="member-month",
    filename="idhs_case_members.txt",
    layout=Delimited(delimiter="|", encoding="utf-8"),
    raw=IdhsRaw,
    content=IdhsContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="SNAP/TANF",
)
