"""IDVA veterans' benefits: one row per benefit spell, a claim a veterans service officer
filed with the U.S. Department of Veterans Affairs or a stay in an Illinois Veterans'
Home (pipe-delimited, UTF-8, CRLF line ends, dates MM/DD/YYYY; the DD-214 fields as the
form writes them, YYYYMMDD). The veteran's name comes as one field, ``LAST, FIRST
MIDDLE``, as the DD-214 names the veteran, once as it is now and once as it was at
discharge (``SVC_NAME``); the SSN is nearly always there (VA files are keyed by it)."""

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

AGENCY = "idva"
DATE_FORMAT = "%m/%d/%Y"
#: DD-214 block 12 (record of service) writes its dates year, month, day
DD214_FORMAT = "%Y%m%d"
SEX_CODES = {"M": "M", "F": "F"}
#: a name as the DD-214 writes it: surname, a comma, given names
NAME_PATTERN = r"^[^,]+, [^,]+$"
#: staged benefit -> IDVA service type: claims assistance by a veterans service officer,
#: or a stay in a state veterans' home
BENEFIT_CODES = {"CLAIM": "CL", "HOME": "VH"}
#: staged claim type -> IDVA code (the VA benefit claimed)
CLAIM_CODES = {
    "COMPENSATION": "COMP",
    "PENSION": "PENS",
    "HEALTH_CARE": "HLTH",
    "EDUCATION": "EDUC",
}
#: Illinois Veterans' Homes, by IDVA code
HOMES = {
    "ANN": "Illinois Veterans' Home at Anna",
    "CHI": "Illinois Veterans' Home at Chicago (opened 2018)",
    "LAS": "Illinois Veterans' Home at LaSalle",
    "MAN": "Illinois Veterans' Home at Manteno",
    "QCY": "Illinois Veterans' Home at Quincy",
}
#: staged disposition -> IDVA code: a claim's decision, or how a home stay ended
DISPOSITION_CODES = {"GRANTED": "GR", "DENIED": "DN", "DISCHARGED": "DC", "DIED": "DE"}
#: staged branch -> DoD service code (DMDC)
BRANCH_CODES = {
    "ARMY": "A",
    "NAVY": "N",
    "AIR_FORCE": "F",
    "MARINE_CORPS": "M",
    "COAST_GUARD": "C",
}
#: staged character of service -> DD-214 block 24 abbreviation
CHARACTER_CODES = {
    "HONORABLE": "HON",
    "GENERAL": "GEN",
    "OTHER_THAN_HONORABLE": "OTH",
    "BAD_CONDUCT": "BCD",
    "DISHONORABLE": "DIS",
    "UNCHARACTERIZED": "UNC",
}
GRAIN = ("CLIENT_NO", "SVC_TYPE", "CLAIM_TYPE", "START_DT")


def _date(description: str, *, nullable: bool = True) -> str:
    return text(
        f"{description}, MM/DD/YYYY", nullable=nullable, date=DATE_FORMAT, date_range=EVENT_RANGE
    )


def _dd214(description: str) -> str:
    return text(f"{description} (DD-214 block 12), YYYYMMDD", date=DD214_FORMAT,
                date_range=DOB_RANGE)  # fmt: skip


class IdvaRaw(RawModel):
    """Veterans' benefit spells as the Department of Veterans' Affairs delivers them."""

    CLIENT_NO: str = text("IDVA client number: V and eight digits", pattern=r"^V\d{8}$")
    SSN: str = text("social security number, nine digits (the VA file number)",
                    nullable=True, pattern=r"^\d{9}$")  # fmt: skip
    VET_NAME: str = text("veteran's name now: LAST, FIRST MIDDLE", pattern=NAME_PATTERN)
    SFX: str = text("name suffix", nullable=True, codes=SUFFIXES)
    SVC_NAME: str = text(
        "name at discharge, as on the DD-214 (block 1): LAST, FIRST MIDDLE",
        nullable=True,
        pattern=NAME_PATTERN,
    )
    DOB: str = text("date of birth, MM/DD/YYYY", nullable=True, date=DATE_FORMAT,
                    date_range=DOB_RANGE)  # fmt: skip
    SEX: str = text("sex: M, F", codes=tuple(SEX_CODES.values()))
    ZIP: str = text("ZIP code of the veteran's address", nullable=True, pattern=r"^\d{5}$")
    BRANCH: str = text(
        "branch of service: A Army, N Navy, F Air Force, M Marine Corps, C Coast Guard",
        codes=tuple(BRANCH_CODES.values()),
    )
    EOD_DT: str = _dd214("entered on active duty")
    RAD_DT: str = _dd214("released from active duty")
    CHAR_SVC: str = text(
        "character of service (DD-214 block 24): HON honorable, GEN general (under "
        "honorable conditions), OTH other than honorable, BCD bad conduct, DIS "
        "dishonorable, UNC uncharacterized",
        codes=tuple(CHARACTER_CODES.values()),
    )
    SVC_TYPE: str = text(
        "service: CL claims assistance, VH veterans' home stay",
        codes=tuple(BENEFIT_CODES.values()),
    )
    CLAIM_TYPE: str = text(
        "VA benefit claimed (claims only): COMP disability compensation, PENS pension, "
        "HLTH health care enrolment, EDUC education (GI Bill)",
        nullable=True,
        codes=tuple(CLAIM_CODES.values()),
    )
    HOME: str = text("veterans' home (stays only)", nullable=True, codes=tuple(HOMES))
    START_DT: str = _date("claim filed, or admitted to the home", nullable=False)
    END_DT: str = _date("claim decided, or discharged from the home; empty while open")
    DISP: str = text(
        "disposition: GR granted, DN denied (claims); DC discharged (stays); DE the "
        "veteran died; empty while open",
        nullable=True,
        codes=tuple(DISPOSITION_CODES.values()),
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdvaContent(pa.DataFrameModel):
    """Staged IDVA content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    benefit: str = pa.Field(isin=list(BENEFIT_CODES), description="CLAIM or HOME")
    claim_type: str = pa.Field(
        nullable=True, isin=list(CLAIM_CODES), description="VA benefit claimed (claims)"
    )
    home: str = pa.Field(nullable=True, isin=list(HOMES), description="veterans' home (stays)")
    benefit_start: pl.Date = pa.Field(description="claim filed, or admission")
    benefit_end: pl.Date = pa.Field(
        nullable=True, description="decision, or discharge; null = still open"
    )
    disposition: str = pa.Field(
        nullable=True, isin=list(DISPOSITION_CODES), description="decision or end of stay"
    )
    branch: str = pa.Field(isin=list(BRANCH_CODES), description="branch of service")
    service_entry: pl.Date = pa.Field(description="entered active duty (DD-214)")
    service_release: pl.Date = pa.Field(description="released from active duty (DD-214)")
    discharge_character: str = pa.Field(
        isin=list(CHARACTER_CODES), description="character of service (DD-214)"
    )
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def _name_parts(column: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(last, first, middle) of a ``LAST, FIRST MIDDLE`` name: the surname before the
    comma, the first given name, the rest of the given names (null when absent)."""
    name = trimmed(column)
    given = name.str.extract(r",\s*(.*)$", 1).str.strip_chars()
    middle = given.str.extract(r"^\S+\s+(.+)$", 1).str.strip_chars()
    return (
        name.str.extract(r"^([^,]+),", 1).str.strip_chars(),
        given.str.extract(r"^(\S+)", 1),
        middle,
    )


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDVA rows -> (standard identifiers, content). The name at discharge is
    staged as the alias where it differs from the name now (a surname changed since)."""
    last, first, middle = _name_parts("VET_NAME")
    svc_last, svc_first, _ = _name_parts("SVC_NAME")
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("START_DT"), DATE_FORMAT).alias("seen"),
        trimmed("CLIENT_NO").alias("agency_id"),
        first.alias("first_name"),
        middle.alias("middle_name"),
        last.alias("last_name"),
        trimmed("SFX").alias("suffix"),
        parse_date(pl.col("DOB"), DATE_FORMAT).alias("dob"),
        recode("SEX", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN").alias("ssn"),
        trimmed("ZIP").alias("zip"),
        pl.when(svc_first != first).then(svc_first).alias("alias_first_name"),
        pl.when(svc_last != last).then(svc_last).alias("alias_last_name"),
    )
    content = keyed(
        raw,
        AGENCY,
        recode("SVC_TYPE", {v: k for k, v in BENEFIT_CODES.items()}).alias("benefit"),
        recode("CLAIM_TYPE", {v: k for k, v in CLAIM_CODES.items()}).alias("claim_type"),
        trimmed("HOME").alias("home"),
        parse_date(pl.col("START_DT"), DATE_FORMAT).alias("benefit_start"),
        parse_date(pl.col("END_DT"), DATE_FORMAT).alias("benefit_end"),
        recode("DISP", {v: k for k, v in DISPOSITION_CODES.items()}).alias("disposition"),
        recode("BRANCH", {v: k for k, v in BRANCH_CODES.items()}).alias("branch"),
        parse_date(pl.col("EOD_DT"), DD214_FORMAT).alias("service_entry"),
        parse_date(pl.col("RAD_DT"), DD214_FORMAT).alias("service_release"),
        recode("CHAR_SVC", {v: k for k, v in CHARACTER_CODES.items()}).alias("discharge_character"),
        trimmed("ZIP").alias("zip"),
    )
    return conform_identifiers(ids), content


_HOME = pl.col("benefit") == "HOME"

#: a claim covers the time from filing to decision, a stay from admission to discharge
TIMELINE = Timeline(
    date=pl.col("benefit_start"),
    programs=(
        Program(
            "VETERANS_CLAIM",
            "Veterans' benefits claim",
            "a VA benefits claim filed with IDVA's help pending during the quarter",
        ),
        Program(
            "VETERANS_HOME",
            "Veterans' home",
            "living in an Illinois Veterans' Home during the quarter",
        ),
    ),
    program=pl.format("VETERANS_{}", pl.col("benefit")),
    start=pl.col("benefit_start"),
    end=pl.col("benefit_end"),
    events=(
        LifeEvent("MILITARY_DISCHARGE", pl.col("service_release")),
        LifeEvent("VETERANS_HOME_ADMISSION", pl.col("benefit_start"), _HOME),
        LifeEvent(
            "VETERANS_HOME_DISCHARGE",
            pl.col("benefit_end"),
            _HOME & pl.col("benefit_end").is_not_null(),
        ),
    ),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Veterans' Affairs",
    extract="veterans' benefits",
    grain="benefit spell",
    filename="idva_benefits.txt",
    layout=Delimited(delimiter="|", encoding="utf-8", eol="\r\n"),
    raw=IdvaRaw,
    content=IdvaContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Veterans' benefits",
)
