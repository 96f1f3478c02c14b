"""What a contract is, and the standard identifier schema every agency is staged into.

A contract is code: one :class:`Contract` per agency extract, holding the raw
pandera model (every delivered column as text, with its checks and description),
the file layout, and the standardiser that turns validated raw rows into the
standard identifier table and the agency's content table. The same object drives
validation (``enclave.ingest``), the data catalog (``enclave.catalog``) and the
synthetic emitter (``enclave.synth``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl


@dataclass(frozen=True)
class Delimited:
    """A delimited text file with a header row."""

    delimiter: str = ","
    encoding: str = "utf-8"


@dataclass(frozen=True)
class FixedWidth:
    """Fixed-width text, no header; each column's width is in its Field's metadata."""

    encoding: str = "ascii"


Layout = Delimited | FixedWidth

#: (validated raw rows with ``record_key``) -> (identifiers, content), both lazy
Standardiser = Callable[[pl.LazyFrame], tuple[pl.LazyFrame, pl.LazyFrame]]


@dataclass(frozen=True)
class Contract:
    agency: str
    agency_name: str
    extract: str
    grain: str
    filename: str
    layout: Layout
    #: raw model: every delivered column, as delivered text, with checks and descriptions
    raw: type[pa.DataFrameModel]
    #: staged content model for this agency (``record_key``, ``agency`` + content columns)
    content: type[pa.DataFrameModel]
    standardise: Standardiser

    @property
    def columns(self) -> list[str]:
        """Delivered column names, in file order."""
        return list(self.raw.to_schema().columns)


class StagedIdentifiers(pa.DataFrameModel):
    """The standard identifier table, identical for every agency (docs/INTERFACES.md)."""

    record_key: str = pa.Field(unique=True, description="<agency>-<row:09d>, row in the file")
    agency: str = pa.Field(description="agency short name")
    agency_id: str = pa.Field(nullable=True, description="agency's own id")
    first_name: str = pa.Field(nullable=True, description="first name as delivered")
    middle_name: str = pa.Field(nullable=True, description="middle name or initial")
    last_name: str = pa.Field(nullable=True, description="surname as delivered")
    suffix: str = pa.Field(nullable=True, description="JR, SR, III...")
    dob: pl.Date = pa.Field(nullable=True, description="date of birth")
    sex: str = pa.Field(nullable=True, isin=["F", "M"], description="F or M")
    ssn: str = pa.Field(nullable=True, str_matches=r"^\d{9}$", description="SSN")
    ssn_last4: str = pa.Field(
        nullable=True, str_matches=r"^\d{4}$", description="last four SSN digits"
    )
    zip: str = pa.Field(nullable=True, str_matches=r"^\d{5}$", description="ZIP")
    street_address: str = pa.Field(nullable=True, description="street address")
    alias_first_name: str = pa.Field(nullable=True, description="alias first name")
    alias_last_name: str = pa.Field(nullable=True, description="alias surname")
    mother_first_name: str = pa.Field(nullable=True, description="mother's first name")
    mother_last_name: str = pa.Field(nullable=True, description="mother's surname")
    mother_maiden_name: str = pa.Field(nullable=True, description="mother's maiden")
    mother_dob: pl.Date = pa.Field(nullable=True, description="mother's birth date")
    father_first_name: str = pa.Field(nullable=True, description="father's first name")
    father_last_name: str = pa.Field(nullable=True, description="father's surname")
    father_dob: pl.Date = pa.Field(nullable=True, description="father's birth date")

    class Config:
        strict = True


#: column -> dtype of the standard identifier table, for building frames that conform
IDENTIFIER_DTYPES: dict[str, pl.DataType] = {
    name: (pl.Date() if name.endswith("dob") else pl.String())
    for name in StagedIdentifiers.to_schema().columns
}


def conform_identifiers(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add the standard identifier columns an agency lacks (as nulls), in standard order."""
    present = set(frame.collect_schema().names())
    return frame.select(
        pl.col(name) if name in present else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in IDENTIFIER_DTYPES.items()
    )
