"""DCEO energy assistance and workforce training: one delivery, two programs (as DCFS
carries investigations and placements). A LIHEAP row is one member of a household's
application for a program year (Oct-Sep): the applicant and every member listed, each
with the relationship to the applicant, the household's address, size, benefit and
heating source. A WIOA row is one enrolment in a Title I programme (adult, dislocated
worker, youth) with its exit, exit reason and credential.

CSV, UTF-8, a CamelCase header, ISO-8601 timestamps (``2023-11-04T09:15:00``) for
events and ISO dates for birth, PascalCase code values (``NaturalGas``,
``DislocatedWorker``), as DCEO's case-management systems export them.
"""

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

AGENCY = "dceo"
#: ISO-8601 timestamps of events, ISO dates of birth
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
DOB_FORMAT = "%Y-%m-%d"
#: staged program -> DCEO program area
PROGRAM_CODES = {"LIHEAP": "LIHEAP", "WIOA": "WIOA"}
#: staged sex -> DCEO gender (``Unknown``: not recorded)
SEX_CODES = {"M": "Male", "F": "Female"}
#: staged relationship of a LIHEAP household member to the applicant -> DCEO code
RELATIONSHIP_CODES = {
    "APPLICANT": "Self",
    "SPOUSE": "Spouse",
    "CHILD": "Child",
    "GRANDCHILD": "Grandchild",
    "PARENT": "Parent",
    "SIBLING": "Sibling",
    "OTHER_RELATIVE": "OtherRelative",
    "NONRELATIVE": "NonRelative",
}
#: staged main heating source of a LIHEAP household -> DCEO code
HEATING_CODES = {
    "NATURAL_GAS": "NaturalGas",
    "ELECTRICITY": "Electricity",
    "PROPANE": "Propane",
    "FUEL_OIL": "FuelOil",
    "WOOD": "Wood",
    "OTHER": "Other",
}
#: staged WIOA Title I funding stream -> DCEO code
FUNDING_CODES = {"ADULT": "Adult", "DISLOCATED_WORKER": "DislocatedWorker", "YOUTH": "Youth"}
#: staged reason a WIOA participant exited -> DCEO code
EXIT_CODES = {
    "COMPLETED": "Completed",
    "ENTERED_EMPLOYMENT": "EnteredEmployment",
    "LOST_CONTACT": "LostContact",
    "HEALTH": "HealthMedical",
    "FAMILY_CARE": "FamilyCare",
    "RELOCATED": "Relocated",
    "INSTITUTIONALIZED": "Institutionalized",
    "DECEASED": "Deceased",
}
#: staged recognised credential attained in WIOA -> DCEO code
CREDENTIAL_CODES = {
    "OCCUPATIONAL_CERTIFICATE": "OccupationalCertificate",
    "OCCUPATIONAL_LICENSE": "OccupationalLicense",
    "SECONDARY_EQUIVALENCY": "SecondaryEquivalency",
    "ASSOCIATE_DEGREE": "AssociateDegree",
}
#: a LIHEAP program year N runs from 1 October of N - 1 to 30 September of N
PROGRAM_YEAR_END = (9, 30)
GRAIN = ("ProgramArea", "ClientId", "StartDateTime")


def _timestamp(description: str, *, nullable: bool) -> str:
    return text(
        f"{description}, ISO-8601 YYYY-MM-DDThh:mm:ss",
        nullable=nullable,
        date=TIMESTAMP_FORMAT,
        date_range=EVENT_RANGE,
    )


def _codes(description: str, codes: dict[str, str]) -> str:
    return text(description, nullable=True, codes=tuple(codes.values()))


class DceoRaw(RawModel):
    """LIHEAP household members and WIOA enrolments as DCEO delivers them."""

    ProgramArea: str = text(
        "LIHEAP energy assistance or WIOA training", codes=tuple(PROGRAM_CODES.values())
    )
    ClientId: str = text("DCEO client number: D and eight digits", pattern=r"^D\d{8}$")
    ApplicationId: str = text(
        "LIHEAP application (household) number: LH, the program year, six digits; "
        "empty on WIOA rows",
        nullable=True,
        pattern=r"^LH\d{10}$",
    )
    RelationshipToApplicant: str = _codes(
        "LIHEAP: the member's relationship to the applicant (Self for the applicant)",
        RELATIONSHIP_CODES,
    )
    FirstName: str = text("first name", nullable=True)
    MiddleName: str = text("middle name", nullable=True)
    LastName: str = text("last name", nullable=True)
    Suffix: str = text("name suffix", nullable=True, codes=SUFFIXES)
    DateOfBirth: str = text(
        "date of birth, YYYY-MM-DD", nullable=True, date=DOB_FORMAT, date_range=DOB_RANGE
    )
    Gender: str = text("Male, Female, Unknown", codes=(*SEX_CODES.values(), "Unknown"))
    Ssn: str = text(
        "social security number, nine digits; often not listed for children",
        nullable=True,
        pattern=r"^\d{9}$",
    )
    StreetAddress: str = text("street address (LIHEAP: the household's)", nullable=True)
    City: str = text("city", nullable=True)
    Zip: str = text("ZIP code", nullable=True, pattern=r"^\d{5}$")
    StartDateTime: str = _timestamp(
        "LIHEAP: application received; WIOA: participation (enrolment)", nullable=False
    )
    EndDateTime: str = _timestamp(
        "WIOA: exit (90 days after the last service); empty on LIHEAP rows and while enrolled",
        nullable=True,
    )
    ProgramYear: str = text(
        "LIHEAP program year (N: October N-1 to September N)", nullable=True, pattern=r"^\d{4}$"
    )
    HouseholdSize: str = text(
        "LIHEAP: members listed on the application", nullable=True, pattern=r"^[1-9]\d?$"
    )
    BenefitAmount: str = text(
        "LIHEAP: benefit paid to the energy vendor, dollars with two decimals",
        nullable=True,
        pattern=r"^\d+\.\d{2}$",
        minimum=0,
    )
    HeatingSource: str = _codes("LIHEAP: the household's main heating source", HEATING_CODES)
    FundingStream: str = _codes("WIOA: Adult, DislocatedWorker, Youth", FUNDING_CODES)
    ExitReason: str = _codes("WIOA: why the participant exited; empty while enrolled", EXIT_CODES)
    CredentialType: str = _codes(
        "WIOA: recognised credential attained; empty if none", CREDENTIAL_CODES
    )

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class DceoContent(pa.DataFrameModel):
    """Staged DCEO content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    program: str = pa.Field(isin=list(PROGRAM_CODES), description="LIHEAP or WIOA")
    start_date: pl.Date = pa.Field(description="LIHEAP application; WIOA enrolment")
    end_date: pl.Date = pa.Field(
        nullable=True, description="WIOA exit; null on LIHEAP rows and while enrolled"
    )
    case_id: str = pa.Field(
        nullable=True,
        description="LIHEAP application (household) number, shared by its members; "
        "null on WIOA rows",
    )
    relationship: str = pa.Field(
        nullable=True, isin=list(RELATIONSHIP_CODES), description="LIHEAP: to the applicant"
    )
    program_year: pl.Int32 = pa.Field(
        nullable=True, description="LIHEAP program year (October to September)"
    )
    household_size: pl.Int8 = pa.Field(nullable=True, ge=1, description="LIHEAP: members")
    benefit_amount: pl.Float64 = pa.Field(
        nullable=True, ge=0, description="LIHEAP: benefit, dollars (one per application)"
    )
    heating_source: str = pa.Field(
        nullable=True, isin=list(HEATING_CODES), description="LIHEAP: main heating source"
    )
    funding_stream: str = pa.Field(
        nullable=True, isin=list(FUNDING_CODES), description="WIOA: Title I funding stream"
    )
    exit_reason: str = pa.Field(
        nullable=True, isin=list(EXIT_CODES), description="WIOA: reason for exit"
    )
    credential: str = pa.Field(
        nullable=True, isin=list(CREDENTIAL_CODES), description="WIOA: credential attained"
    )
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")

    class Config:
        strict = True


def _from(codes: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in codes.items()}


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated DCEO rows -> (standard identifiers, content)."""
    start = parse_date(pl.col("StartDateTime"), TIMESTAMP_FORMAT)
    ids = keyed(
        raw,
        AGENCY,
        start.alias("seen"),
        trimmed("ClientId").alias("agency_id"),
        trimmed("ApplicationId").alias("roster"),
        trimmed("FirstName").alias("first_name"),
        trimmed("MiddleName").alias("middle_name"),
        trimmed("LastName").alias("last_name"),
        trimmed("Suffix").alias("suffix"),
        parse_date(pl.col("DateOfBirth"), DOB_FORMAT).alias("dob"),
        recode("Gender", _from(SEX_CODES)).alias("sex"),
        trimmed("Ssn").alias("ssn"),
        trimmed("Zip").alias("zip"),
        trimmed("StreetAddress").alias("street_address"),
    )
    content = keyed(
        raw,
        AGENCY,
        recode("ProgramArea", _from(PROGRAM_CODES)).alias("program"),
        start.alias("start_date"),
        parse_date(pl.col("EndDateTime"), TIMESTAMP_FORMAT).alias("end_date"),
        trimmed("ApplicationId").alias("case_id"),
        recode("RelationshipToApplicant", _from(RELATIONSHIP_CODES)).alias("relationship"),
        trimmed("ProgramYear").cast(pl.Int32, strict=False).alias("program_year"),
        trimmed("HouseholdSize").cast(pl.Int8, strict=False).alias("household_size"),
        trimmed("BenefitAmount").cast(pl.Float64, strict=False).alias("benefit_amount"),
        recode("HeatingSource", _from(HEATING_CODES)).alias("heating_source"),
        recode("FundingStream", _from(FUNDING_CODES)).alias("funding_stream"),
        recode("ExitReason", _from(EXIT_CODES)).alias("exit_reason"),
        recode("CredentialType", _from(CREDENTIAL_CODES)).alias("credential"),
        trimmed("Zip").alias("zip"),
    )
    return conform_identifiers(ids), content


_LIHEAP, _WIOA = pl.col("program") == "LIHEAP", pl.col("program") == "WIOA"
_APPLIED = pl.col("start_date")
#: the program year, or where a row leaves it empty the one its application falls in
_PROGRAM_YEAR = pl.coalesce(
    pl.col("program_year"), _APPLIED.dt.year() + (_APPLIED.dt.month() >= 10).cast(pl.Int32)
)
#: a LIHEAP benefit assists the household to the end of its program year (30 September)
_PROGRAM_YEAR_END = pl.date(_PROGRAM_YEAR, *PROGRAM_YEAR_END)
TIMELINE = Timeline(
    date=pl.col("start_date"),
    programs=(
        Program(
            "LIHEAP",
            "Energy assistance (LIHEAP)",
            "in a LIHEAP-assisted household during the quarter (from the application to "
            "the end of its program year, 30 September)",
        ),
        Program(
            "WIOA", "Workforce training (WIOA)", "enrolled in a WIOA programme during the quarter"
        ),
    ),
    program=pl.col("program"),
    start=pl.col("start_date"),
    end=pl.when(_LIHEAP).then(_PROGRAM_YEAR_END).otherwise(pl.col("end_date")),
    events=(
        LifeEvent("WIOA_ENROLMENT", pl.col("start_date"), _WIOA),
        LifeEvent("WIOA_EXIT", pl.col("end_date"), _WIOA & pl.col("end_date").is_not_null()),
    ),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Commerce and Economic Opportunity",
    extract="LIHEAP household members, workforce enrolments",
    grain="member-application / enrolment",
    filename="dceo_liheap_wioa.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=DceoRaw,
    content=DceoContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="LIHEAP/WIOA",
)
