"""DCFS investigations and placements: one row per investigation or placement spell
(CSV, latin-1 / cp1252 so names keep their diacritics, dates DD-MON-YYYY)."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    DOB_RANGE,
    EVENT_RANGE,
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

AGENCY = "dcfs"
DATE_FORMAT = "%d-%b-%Y"
SEX_CODES = {"M": "M", "F": "F"}
EVENT_CODES = {"INVESTIGATION": "INV", "PLACEMENT": "PLC"}
FINDING_CODES = {"INDICATED": "IND", "UNFOUNDED": "UNF", "PENDING": "PND"}
PLACEMENT_CODES = {
    "FOSTER": "FC",
    "KIN": "REL",
    "RESIDENTIAL": "RES",
    "INDEPENDENT": "ILO",
    "OTHER": "OTH",
}
#: Illinois state FIPS prefix: DCFS sends the three-digit county part only
STATE_FIPS = "17"
GRAIN = ("CHILD_ID", "EVENT_TYPE", "START_DATE")


class DcfsRaw(RawModel):
    """Investigations and placements as DCFS delivers them."""

    CHILD_ID: str = text("DCFS person number of the child", pattern=r"^\d{8}$")
    CHILD_FIRST_NAME: str = text("child's first name (may carry diacritics)", nullable=True)
    CHILD_LAST_NAME: str = text("child's last name (may carry diacritics)", nullable=True)
    CHILD_DOB: str = text(
        "child's date of birth, DD-MON-YYYY", nullable=True, date=DATE_FORMAT, date_range=DOB_RANGE
    )
    CHILD_SEX: str = text("sex: M, F, U (unknown)", codes=("M", "F", "U"))
    CHILD_SSN: str = text(
        "social security number (rarely known)", nullable=True, pattern=r"^\d{9}$"
    )
    EVENT_TYPE: str = text("INV investigation, PLC placement", codes=tuple(EVENT_CODES.values()))
    START_DATE: str = text("event or spell start", date=DATE_FORMAT, date_range=EVENT_RANGE)
    END_DATE: str = text(
        "spell end; empty while open", nullable=True, date=DATE_FORMAT, date_range=EVENT_RANGE
    )
    FINDING: str = text("investigation finding", nullable=True, codes=tuple(FINDING_CODES.values()))
    PLCMT_TYPE: str = text("placement type", nullable=True, codes=tuple(PLACEMENT_CODES.values()))
    COUNTY_CD: str = text("county, three-digit FIPS", nullable=True, pattern=r"^\d{3}$")

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class DcfsContent(pa.DataFrameModel):
    """Staged DCFS content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    event_type: str = pa.Field(isin=list(EVENT_CODES), description="event type")
    event_start: pl.Date = pa.Field(description="start")
    event_end: pl.Date = pa.Field(nullable=True, description="end; null = open")
    finding: str = pa.Field(nullable=True, isin=list(FINDING_CODES), description="finding")
    placement_type: str = pa.Field(
        nullable=True, isin=list(PLACEMENT_CODES), description="placement type"
    )
    county_fips: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="county")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated DCFS rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("START_DATE"), DATE_FORMAT).alias("seen"),
        trimmed("CHILD_ID").alias("agency_id"),
        trimmed("CHILD_FIRST_NAME").alias("first_name"),
        trimmed("CHILD_LAST_NAME").alias("last_name"),
        parse_date(pl.col("CHILD_DOB"), DATE_FORMAT).alias("dob"),
        recode("CHILD_SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("CHILD_SSN").alias("ssn"),
    )
    content = keyed(
        raw,
        AGENCY,
        recode("EVENT_TYPE", {v: k for k, v in EVENT_CODES.items()}).alias("event_type"),
        parse_date(pl.col("START_DATE"), DATE_FORMAT).alias("event_start"),
        parse_date(pl.col("END_DATE"), DATE_FORMAT).alias("event_end"),
        recode("FINDING", {v: k for k, v in FINDING_CODES.items()}).alias("finding"),
        recode("PLCMT_TYPE", {v: k for k, v in PLACEMENT_CODES.items()}).alias("placement_type"),
        (STATE_FIPS + pl.col("COUNTY_CD")).alias("county_fips"),
    )
    return conform_identifiers(ids), content


#: an investigation without an end covers its start day
_INVESTIGATION = pl.col("event_type") == "INVESTIGATION"
TIMELINE = Timeline(
    date=pl.col("event_start"),
    programs=(
        Program(
            "DCFS_INVESTIGATION",
            "Child welfare investigation",
            "in a DCFS investigation in the quarter",
        ),
        Program(
            "DCFS_PLACEMENT", "Foster care placement", "in a DCFS placement during the quarter"
        ),
    ),
    program=pl.format("DCFS_{}", pl.col("event_type")),
    start=pl.col("event_start"),
    end=pl.when(_INVESTIGATION)
    .then(pl.coalesce(pl.col("event_end"), pl.col("event_start")))
    .otherwise(pl.col("event_end")),
    events=(LifeEvent("PLACEMENT", pl.col("event_start"), pl.col("event_type") == "PLACEMENT"),),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Children and Family Services",
    extract="investigations and placements",
    grain="event / placement spell",
    filename="dcfs_events.csv",
    layout=Delimited(delimiter=",", encoding="cp1252"),
    raw=DcfsRaw,
    content=DcfsContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Child welfare",
)
