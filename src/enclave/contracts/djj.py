"""DJJ youth admissions and releases: one row per stay in a youth centre (tab-delimited,
UTF-8, CRLF line ends, dates as SAS writes them: DDMONYYYY). Carries the youth number,
name, one alias, date of birth, sex as a digit, and an SSN with dashes, when known."""

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

AGENCY = "djj"
#: SAS DATE9: 05MAR2004
DATE_FORMAT = "%d%b%Y"
#: staged sex -> DJJ gender code (9: not recorded)
SEX_CODES = {"M": "1", "F": "2"}
#: staged admission type -> DJJ code: a court evaluation (up to 30 days, renewable), a
#: new commitment on a delinquency adjudication, or a return for an aftercare violation
ADMISSION_CODES = {"COURT_EVALUATION": "CE", "COMMITMENT": "NC", "AFTERCARE_VIOLATION": "AV"}
#: staged release reason -> DJJ code
RELEASE_CODES = {
    "AFTERCARE": "AR",
    "DISCHARGE": "DS",
    "EVALUATION_COMPLETE": "EC",
    "TRANSFER_IDOC": "TA",
    "AGED_OUT": "AO",
    "DIED": "DE",
}
#: Illinois Youth Centers (IYC), by DJJ code
FACILITIES = {
    "CHI": "IYC Chicago",
    "HAR": "IYC Harrisburg",
    "JOL": "IYC Joliet (closed 2013)",
    "KEW": "IYC Kewanee (closed 2016)",
    "MUR": "IYC Murphysboro (closed 2013)",
    "PMQ": "IYC Pere Marquette",
    "STC": "IYC St. Charles (boys' reception)",
    "WAR": "IYC Warrenville (girls)",
}
#: Illinois state FIPS prefix: DJJ sends the three-digit county part only
STATE_FIPS = "17"
GRAIN = ("YOUTH_NO", "ADM_DT")
SSN_DASHED = r"^\d{3}-\d{2}-\d{4}$"


def _date(description: str, *, nullable: bool = True, event: bool = True) -> str:
    return text(
        f"{description}, DDMONYYYY",
        nullable=nullable,
        date=DATE_FORMAT,
        date_range=EVENT_RANGE if event else DOB_RANGE,
    )


class DjjRaw(RawModel):
    """Youth centre stays as the Department of Juvenile Justice delivers them."""

    YOUTH_NO: str = text("DJJ youth number: Y and seven digits", pattern=r"^Y\d{7}$")
    LNAME: str = text("last name at admission", nullable=True)
    FNAME: str = text("first name at admission", nullable=True)
    MNAME: str = text("middle name", nullable=True)
    SFX: str = text("name suffix", nullable=True, codes=SUFFIXES)
    AKA_LNAME: str = text("an alias last name the youth gave", nullable=True)
    AKA_FNAME: str = text("an alias first name the youth gave", nullable=True)
    BIRTH_DT: str = _date("date of birth", event=False)
    GENDER: str = text("1 male, 2 female, 9 not recorded", codes=("1", "2", "9"))
    SSN: str = text("social security number, ddd-dd-dddd; often unknown", nullable=True,
                    pattern=SSN_DASHED)  # fmt: skip
    ADM_DT: str = _date("admission date", nullable=False)
    ADM_TYPE: str = text(
        "admission type: CE court evaluation, NC new commitment, AV aftercare violation",
        codes=tuple(ADMISSION_CODES.values()),
    )
    FACILITY: str = text("youth centre", codes=tuple(FACILITIES))
    REL_DT: str = _date("release date; empty while in custody")
    REL_RSN: str = text(
        "release reason: AR aftercare, DS discharge, EC evaluation complete, TA transfer to "
        "IDOC, AO aged out (21), DE died; empty while in custody",
        nullable=True,
        codes=tuple(RELEASE_CODES.values()),
    )
    CNTY: str = text("committing county, three-digit FIPS", nullable=True, pattern=r"^\d{3}$")

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class DjjContent(pa.DataFrameModel):
    """Staged DJJ content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    admit_date: pl.Date = pa.Field(description="admission date")
    release_date: pl.Date = pa.Field(nullable=True, description="release; null = in custody")
    admission_type: str = pa.Field(isin=list(ADMISSION_CODES), description="admission type")
    facility: str = pa.Field(isin=list(FACILITIES), description="youth centre (IYC code)")
    release_reason: str = pa.Field(
        nullable=True, isin=list(RELEASE_CODES), description="release reason; null = in custody"
    )
    county_fips: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="county")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated DJJ rows -> (standard identifiers, content)."""
    county = trimmed("CNTY")
    ids = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ADM_DT"), DATE_FORMAT).alias("seen"),
        trimmed("YOUTH_NO").alias("agency_id"),
        trimmed("FNAME").alias("first_name"),
        trimmed("MNAME").alias("middle_name"),
        trimmed("LNAME").alias("last_name"),
        trimmed("SFX").alias("suffix"),
        parse_date(pl.col("BIRTH_DT"), DATE_FORMAT).alias("dob"),
        recode("GENDER", {v: k for k, v in SEX_CODES.items()}).alias("sex"),
        trimmed("SSN").str.replace_all("-", "", literal=True).alias("ssn"),
        trimmed("AKA_FNAME").alias("alias_first_name"),
        trimmed("AKA_LNAME").alias("alias_last_name"),
    )
    content = keyed(
        raw,
        AGENCY,
        parse_date(pl.col("ADM_DT"), DATE_FORMAT).alias("admit_date"),
        parse_date(pl.col("REL_DT"), DATE_FORMAT).alias("release_date"),
        recode("ADM_TYPE", {v: k for k, v in ADMISSION_CODES.items()}).alias("admission_type"),
        pl.col("FACILITY").alias("facility"),
        recode("REL_RSN", {v: k for k, v in RELEASE_CODES.items()}).alias("release_reason"),
        pl.when(county.is_not_null()).then(STATE_FIPS + county).alias("county_fips"),
    )
    return conform_identifiers(ids), content


TIMELINE = Timeline(
    date=pl.col("admit_date"),
    programs=(
        Program(
            "DJJ_CUSTODY",
            "Youth custody (juvenile justice)",
            "in a DJJ_CUSTODY (youth centre) spell during the quarter",
        ),
    ),
    program=pl.lit("DJJ_CUSTODY"),
    start=pl.col("admit_date"),
    end=pl.col("release_date"),
    events=(
        LifeEvent("YOUTH_ADMISSION", pl.col("admit_date")),
        LifeEvent("YOUTH_RELEASE", pl.col("release_date")),
    ),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Juvenile Justice",
    extract="youth admissions and releases",
    grain="stay",
    filename="djj_youth_stays.txt",
    layout=Delimited(delimiter="\t", encoding="utf-8", eol="\r\n"),
    raw=DjjRaw,
    content=DjjContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Youth custody",
)
