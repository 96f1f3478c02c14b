"""A toy contract whose raw model carries its grain the way the real contracts do
(``Config.metadata["grain"]``), for the batch-streaming tests of ingestion."""

from __future__ import annotations

from typing import ClassVar

import pandera.polars as pa
import polars as pl
from ingest_toys import ToyFields

from enclave.contracts.base import (
    Contract,
    Delimited,
    RawModel,
    conform_identifiers,
    keyed,
    parse_date,
    text,
    trimmed,
)


class StreamRaw(RawModel):
    """A small delimited extract: one row per person and start date."""

    PID: str = text("person id", pattern=r"^\d{3}$")
    START: str = text("start", date="%Y%m%d", date_range=("1990-01-01", "2030-12-31"))
    CAT: str = text("category", codes=("A", "B"))
    NAME: str = text("name", nullable=True)

    class Config:
        strict = True
        metadata: ClassVar = {"grain": ("PID", "START")}


class StreamContent(pa.DataFrameModel):
    record_key: str = pa.Field(unique=True)
    agency: str = pa.Field(isin=["strm"])
    start: pl.Date
    category: str = pa.Field(isin=["A", "B"])

    class Config:
        strict = True


def _standardise(raw: pl.LazyFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    ids = keyed(raw, "strm", trimmed("PID").alias("agency_id"), trimmed("NAME").alias("first_name"))
    content = keyed(
        raw,
        "strm",
        parse_date(pl.col("START"), "%Y%m%d").alias("start"),
        pl.col("CAT").alias("category"),
    )
    return conform_identifiers(ids), content


STREAM = Contract(
    agency="strm",
    agency_name="Stream Toy Agency",
    extract="toy starts",
    grain="person-start",
    filename="strm.csv",
    layout=Delimited(delimiter=",", encoding="utf-8"),
    raw=StreamRaw,
    content=StreamContent,
    standardise=_standardise,
    grain_key=("PID", "START"),
)

HEADER = "PID,START,CAT,NAME"


class ToyGrainRaw(ToyFields):
    """The toy extract of ``ingest_toys`` with its grain check declared as metadata (as
    the real contracts do) instead of as a custom frame check, so it can be batched."""

    class Config:
        strict = True
        metadata: ClassVar = {"grain": ("PID", "START")}


def delivery(rows: list[str], eol: str = "\n", header: str = HEADER) -> bytes:
    """Header and rows, each line ended by ``eol``."""
    return "".join(line + eol for line in [header, *rows]).encode("utf-8")
