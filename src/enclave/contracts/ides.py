"""IDES UI wage records: one row per person-quarter-employer (fixed-width, ASCII, no
header). No date of birth; the name is often a first initial and a surname."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl

from enclave.contracts.base import (
    Contract,
    FixedWidth,
    Program,
    RawModel,
    Timeline,
    conform_identifiers,
    keyed,
    text,
    trimmed,
)

AGENCY = "ides"
GRAIN = ("SSN", "YEAR", "QTR", "FEIN")


class IdesRaw(RawModel):
    """Quarterly wage records as employers report them to IDES."""

    SSN: str = text("social security number", pattern=r"^\d{9}$", width=9)
    LAST_NAME: str = text("last name (truncated to 20)", nullable=True, width=20)
    FIRST_NAME: str = text("first name or initial (truncated to 12)", nullable=True, width=12)
    YEAR: str = text("wage year", pattern=r"^(19[9]\d|20[0-3]\d)$", width=4)
    QTR: str = text("wage quarter 1..4", codes=("1", "2", "3", "4"), width=1)
    FEIN: str = text(
        "employer's federal employer identification number", pattern=r"^\d{9}$", width=9
    )
    WAGES: str = text("wages paid in the quarter, dollars", minimum=0.0, width=12)

    class Config:
        strict = True
        metadata: ClassVar = {"grain": GRAIN}


class IdesContent(pa.DataFrameModel):
    """Staged IDES content."""

    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=[AGENCY])
    year: pl.Int32 = pa.Field(description="wage year")
    quarter: pl.Int8 = pa.Field(ge=1, le=4, description="wage quarter")
    employer_id: str = pa.Field(description="employer FEIN")
    wages: pl.Float64 = pa.Field(ge=0, description="wages in the quarter")

    class Config:
        strict = True


def standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Validated IDES rows -> (standard identifiers, content)."""
    ids = keyed(
        raw,
        AGENCY,
        # the first day of the wage quarter
        pl.date(pl.col("YEAR").cast(pl.Int32), pl.col("QTR").cast(pl.Int8) * 3 - 2, 1).alias(
            "seen"
        ),
        trimmed("FIRST_NAME").alias("first_name"),
        trimmed("LAST_NAME").alias("last_name"),
        trimmed("SSN").alias("ssn"),
    )
    content = keyed(
        raw,
        AGENCY,
        pl.col("YEAR").cast(pl.Int32).alias("year"),
        pl.col("QTR").cast(pl.Int8).alias("quarter"),
        pl.col("FEIN").alias("employer_id"),
        pl.col("WAGES").cast(pl.Float64).alias("wages"),
    )
    return conform_identifiers(ids), content


def _quarter_start() -> pl.Expr:
    return pl.date(pl.col("year"), (pl.col("quarter").cast(pl.Int32) - 1) * 3 + 1, 1)


def _quarter_end(start: pl.Expr) -> pl.Expr:
    """The last day of the quarter ``start`` begins: the day before the next quarter.

    Date arithmetic in months, per row, cost most of reading wage records. ``start``
    is null or valid (an invalid quarter fails it), so the quarter is 1-4 here.
    """
    quarter = pl.col("quarter").cast(pl.Int32)
    following = pl.date(pl.col("year") + quarter // 4, quarter * 3 % 12 + 1, 1)
    return pl.when(start.is_null()).then(None).otherwise(following - pl.duration(days=1))


#: a wage record covers its quarter
TIMELINE = Timeline(
    date=_quarter_start(),
    programs=(
        Program("EMPLOYMENT", "UI-covered employment", "in an EMPLOYMENT spell during the quarter"),
    ),
    program=pl.lit("EMPLOYMENT"),
    start=_quarter_start(),
    end=_quarter_end(_quarter_start()),
)


CONTRACT = Contract(
    agency=AGENCY,
    agency_name="Employment Security",
    extract="UI wage records",
    grain="person-quarter-employer",
    filename="ides_wages.dat",
    layout=FixedWidth(encoding="ascii"),
    raw=IdesRaw,
    content=IdesContent,
    standardise=standardise,
    grain_key=GRAIN,
    timeline=TIMELINE,
    label="Wages",
)
