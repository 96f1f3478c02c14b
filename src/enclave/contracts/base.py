"""What a contract is, and the standard identifier schema every agency is staged into.

A contract is code: one :class:`Contract` per agency extract, holding the raw
pandera model (every delivered column as text, with its checks and description),
the file layout, and the standardiser that turns validated raw rows into the
standard identifier table and the agency's content table. The same object drives
validation (``enclave.ingest``), the data catalog (``enclave.catalog``) and the
synthetic emitter (``enclave.synth``).
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandera.polars as pa
import polars as pl


@dataclass(frozen=True)
class Delimited:
    """A delimited text file with a header row."""

    delimiter: str = ","
    encoding: str = "utf-8"
    #: line ending the agency writes (ingestion reads either; the emitter writes this)
    eol: str = "\n"


@dataclass(frozen=True)
class FixedWidth:
    """Fixed-width text, no header; each column's width is in its Field's metadata."""

    encoding: str = "ascii"


Layout = Delimited | FixedWidth

#: (validated raw rows with ``record_key``) -> (identifiers, content), both lazy
Standardiser = Callable[[pl.LazyFrame], tuple[pl.LazyFrame, pl.LazyFrame]]


@dataclass(frozen=True)
class Program:
    """A program an agency's records put people in: a ``program_spells`` code and a
    ``person_quarters`` flag (its code in lower case)."""

    code: str
    #: the program's plain name in a report ("Foster care placement")
    label: str
    #: what the ``person_quarters`` flag means, for the catalog
    description: str


@dataclass(frozen=True)
class LifeEvent:
    """A ``life_events`` event the agency's records give: its code, its date (an
    expression over the content columns) and which records give it."""

    code: str
    date: pl.Expr
    #: the records giving the event (default: those with a date)
    where: pl.Expr | None = None


@dataclass(frozen=True)
class Timeline:
    """What a record means in time, for the research zone and the analytic tables.

    ``date``: the date a record is about (its start), which dates its county and puts
    it in a project's study period. ``program``, ``start``, ``end``: the program a
    record is in and the span it covers (``end`` null: still open), or ``program``
    None for records that cover no time (vital records). Expressions are over the
    content columns as the research zone keeps them (``zip`` becomes ``county_fips``).
    """

    date: pl.Expr
    programs: tuple[Program, ...] = ()
    program: pl.Expr | None = None
    start: pl.Expr | None = None
    end: pl.Expr | None = None
    events: tuple[LifeEvent, ...] = ()


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
    #: delivered columns that identify a row (the extract's grain); checked by the raw model
    grain_key: tuple[str, ...] = ()
    #: what its records mean in time: reference date, programs, spans, life events
    #: (every registered contract has one; a contract only ingested, as in tests, may not)
    timeline: Timeline | None = None
    #: the agency's programs as a published table names them ("Youth custody")
    label: str = ""

    @property
    def content_columns(self) -> tuple[str, ...]:
        """Staged content columns after ``record_key`` and ``agency``, in model order."""
        names = self.content.to_schema().columns
        return tuple(c for c in names if c not in ("record_key", "agency"))

    @property
    def columns(self) -> list[str]:
        """Delivered column names, in file order."""
        return list(self.raw.to_schema().columns)

    @property
    def widths(self) -> list[int]:
        """Fixed-width field lengths, in file order (empty for a delimited layout)."""
        if not isinstance(self.layout, FixedWidth):
            return []
        cols = self.raw.to_schema().columns
        return [int(cols[name].metadata["width"]) for name in cols]

    def parse(self, data: bytes) -> pl.DataFrame:
        """The delivered rows of a landing file's bytes, every column as text (empty = null).

        Pure: the caller reads the file. Raises ``ValueError`` if the bytes cannot be
        decoded in the layout's encoding or the header/line shape is wrong.
        """
        text = data.decode(self.layout.encoding)
        if isinstance(self.layout, FixedWidth):
            return _parse_fixed(text, self.columns, self.widths)
        frame = pl.read_csv(
            text.encode("utf-8"),
            separator=self.layout.delimiter,
            infer_schema=False,
            quote_char='"',
        )
        if frame.columns != self.columns:
            raise ValueError("header does not match the contract's columns")
        return frame


def _parse_fixed(text: str, columns: list[str], widths: list[int]) -> pl.DataFrame:
    """Slice fixed-width lines into trimmed text columns (blank field = null)."""
    lines = pl.Series("line", text.splitlines(), dtype=pl.String)
    total = sum(widths)
    if (lines.str.len_chars() != total).any():
        raise ValueError("a line's length differs from the sum of the field widths")
    starts = [sum(widths[:i]) for i in range(len(widths))]
    frame = lines.to_frame().select(
        pl.col("line").str.slice(start, width).str.strip_chars().alias(name)
        for name, start, width in zip(columns, starts, widths, strict=True)
    )
    return frame.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in columns)


class StagedIdentifiers(pa.DataFrameModel):
    """The standard identifier table, identical for every agency (docs/INTERFACES.md)."""

    record_key: str = pa.Field(unique=True, description="<agency>-<row:09d>, row in the file")
    agency: str = pa.Field(description="agency short name")
    agency_id: str = pa.Field(nullable=True, description="agency's own id")
    roster: str = pa.Field(
        nullable=True,
        description="application or case listing this person with others: two records "
        "on one roster under different agency ids are different people",
    )
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
    seen: pl.Date = pa.Field(
        nullable=True,
        description="when the record saw these identifiers: start of its period or its event date",
    )

    class Config:
        strict = True


#: what a record's link rests on, strongest first: the crosswalk's ``link_evidence``
#: (computed by ``enclave.linkage.evidence``), carried into the research zone
LINK_EVIDENCE_CLASSES: tuple[str, ...] = ("ssn", "dob", "name_only", "single")
LINK_EVIDENCE = pl.Enum(list(LINK_EVIDENCE_CLASSES))


#: column -> dtype of the standard identifier table, for building frames that conform
IDENTIFIER_DTYPES: dict[str, pl.DataType] = {
    name: (pl.Date() if name.endswith("dob") or name == "seen" else pl.String())
    for name in StagedIdentifiers.to_schema().columns
}


def conform_identifiers(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Add the standard identifier columns an agency lacks (as nulls), in standard order."""
    present = set(frame.collect_schema().names())
    return frame.select(
        pl.col(name) if name in present else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in IDENTIFIER_DTYPES.items()
    )


# --------------------------------------------------------------------------- raw columns
#
# Raw columns are text as delivered. Their value checks are declared as metadata on
# the Field (so the catalog can document them and the emitter can read widths) and
# turned into *named* pandera checks by ``RawModel.to_schema``. A failing check is
# reported as ``<check name>:<column>`` (e.g. ``date_format:BIRTH_DT``): the names
# below are the stable reason codes, and none of them embeds a value.

#: reason-code names of the checks a raw column can carry
CHECK_NAMES = ("format", "code", "date_format", "date_value", "numeric", "range", "width")
#: name of the dataframe-level check that the grain identifies a row (exact repeats allowed)
GRAIN_CHECK = "grain_unique"


def text(
    description: str,
    *,
    nullable: bool = False,
    pattern: str | None = None,
    codes: tuple[str, ...] | list[str] | None = None,
    date: str | None = None,
    date_range: tuple[str, str] = ("1900-01-01", "2030-12-31"),
    minimum: float | None = None,
    width: int | None = None,
) -> Any:
    """A delivered text column: its description, and the checks its values must pass.

    ``pattern`` is a full-match regex, ``codes`` the agency's code set, ``date`` the
    agency's strftime format (the value must match it, parse, and lie in
    ``date_range``), ``minimum`` makes the value numeric with that lower bound, and
    ``width`` is the fixed-width field length.
    """
    meta: dict[str, Any] = {}
    if width is not None:
        meta["width"] = width
    if pattern is not None:
        meta["pattern"] = pattern
    if codes is not None:
        meta["codes"] = list(codes)
    if date is not None:
        meta["date"] = date
        meta["date_range"] = list(date_range)
    if minimum is not None:
        meta["minimum"] = minimum
    return pa.Field(nullable=nullable, description=description, metadata=meta or None)


def key_prefix(agency: str, month: str | None = None) -> str:
    """What a delivery's record keys start with: ``hfs-`` (the first extract), or
    ``hfs-202412-`` (the monthly delivery of 2024-12), which sorts after every key of the
    first extract (docs/deliveries.md)."""
    return f"{agency}-" if month is None else f"{agency}-{month.replace('-', '')}-"


#: strftime directive -> regex, for the shape check of a date column
_DATE_PARTS = {"%Y": r"\d{4}", "%m": r"\d{2}", "%d": r"\d{2}", "%b": r"[A-Z]{3}"}
#: the time of a timestamp (ISO-8601 ``2023-11-04T09:15:00``): checked for shape only,
#: the date part is what a record keeps
_DATE_PARTS |= {"%H": r"\d{2}", "%M": r"\d{2}", "%S": r"\d{2}"}


def date_regex(fmt: str) -> str:
    """The regex a date written with ``fmt`` must full-match.

    >>> date_regex("%m/%d/%Y")
    '^\\\\d{2}/\\\\d{2}/\\\\d{4}$'
    """
    out = re.escape(fmt).replace("%%", "%")
    for directive, regex in _DATE_PARTS.items():
        out = out.replace(re.escape(directive), regex).replace(directive, regex)
    return f"^{out}$"


def parse_date(expr: pl.Expr, fmt: str) -> pl.Expr:
    """Parse text in an agency's date format to a Date (null when it does not parse)."""
    if "%b" in fmt:
        # month abbreviations arrive upper case (JAN); chrono wants Jan
        expr = expr.str.to_titlecase()
    return expr.str.to_date(fmt, strict=False)


def _column_checks(name: str, meta: dict[str, Any]) -> list[pa.Check]:
    """Named checks from a column's metadata. Nulls pass every value check (whether a
    column may be empty is the ``nullable`` check's business)."""
    checks: list[pa.Check] = []
    if "width" in meta:
        width = meta["width"]
        checks.append(_value_check("width", lambda c: c.str.len_chars() <= width))
    if "pattern" in meta:
        pattern = meta["pattern"]
        checks.append(_value_check("format", lambda c: c.str.contains(pattern)))
    if "codes" in meta:
        codes = list(meta["codes"])
        checks.append(_value_check("code", lambda c: c.is_in(codes)))
    if "date" in meta:
        fmt, (lo, hi) = meta["date"], meta["date_range"]
        low, high = (datetime.date.fromisoformat(x) for x in (lo, hi))
        shape = date_regex(fmt)
        checks.append(_value_check("date_format", lambda c: c.str.contains(shape)))
        checks.append(
            _value_check(
                "date_value",
                lambda c: ~c.str.contains(shape) | parse_date(c, fmt).is_between(low, high),
            )
        )
    if "minimum" in meta:
        low = meta["minimum"]
        checks.append(
            _value_check("numeric", lambda c: c.cast(pl.Float64, strict=False).is_not_null())
        )
        checks.append(
            _value_check(
                "range", lambda c: c.cast(pl.Float64, strict=False).ge(low).fill_null(True)
            )
        )
    return checks


def _value_check(name: str, rule: Callable[[pl.Expr], pl.Expr]) -> pa.Check:
    """A named column check: ``rule`` on the column's values, nulls passing."""

    def check(data: Any) -> pl.LazyFrame:
        column = pl.col(data.key)
        return data.lazyframe.select((column.is_null() | rule(column)).fill_null(False))

    return pa.Check(check, name=name)


def _grain_check(grain: tuple[str, ...]) -> pa.Check:
    """Rows sharing a grain key must be exact repeats of each other (which ingestion's
    duplicate rule handles); a grain shared by differing rows fails on every such row."""

    def check(data: Any) -> pl.LazyFrame:
        per_grain = pl.len().over(list(grain))
        per_row = pl.len().over(pl.struct(pl.all()))
        return data.lazyframe.select((per_grain == per_row).alias("grain_unique"))

    return pa.Check(check, name=GRAIN_CHECK)


_SCHEMAS: dict[type, pa.DataFrameSchema] = {}


class RawModel(pa.DataFrameModel):
    """Base of every raw model: turns column metadata into named checks, and adds the
    grain check when the model's ``Config.metadata`` names a ``grain``."""

    @classmethod
    def to_schema(cls) -> pa.DataFrameSchema:  # type: ignore[override]
        if cls not in _SCHEMAS:
            schema = super().to_schema()
            updates = {
                name: {"checks": list(col.checks) + _column_checks(name, col.metadata or {})}
                for name, col in schema.columns.items()
            }
            schema = schema.update_columns(updates)
            grain = (getattr(cls.__config__, "metadata", None) or {}).get("grain")
            if grain:
                schema = copy.copy(schema)
                schema.checks = [*schema.checks, _grain_check(tuple(grain))]
            _SCHEMAS[cls] = schema
        return _SCHEMAS[cls]


# --------------------------------------------------------------------------- standardiser helpers

#: the date range accepted for birth dates, and for program event dates
DOB_RANGE = ("1900-01-01", "2030-12-31")
EVENT_RANGE = ("1990-01-01", "2030-12-31")
#: name suffixes agencies deliver
SUFFIXES = ("JR", "SR", "II", "III", "IV")


def trimmed(column: str) -> pl.Expr:
    """A delivered text column, trimmed, with blanks as null."""
    value = pl.col(column).str.strip_chars()
    return pl.when(value != "").then(value)


def recode(column: str, mapping: dict[str, str]) -> pl.Expr:
    """An agency code mapped to the staged code (codes outside ``mapping`` become null)."""
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)


def keyed(frame: pl.LazyFrame, agency: str, *exprs: pl.Expr) -> pl.LazyFrame:
    """``record_key``, ``agency`` and the given columns."""
    return frame.select(pl.col("record_key"), pl.lit(agency).alias("agency"), *exprs)


def failure_reasons(failure_cases: pl.DataFrame) -> pl.DataFrame:
    """Row-level reasons from pandera's ``SchemaErrors.failure_cases``: ``index`` (0-based
    row) and ``reason`` (``check:column``, or ``grain_unique`` for the grain check).
    Failures not tied to a row (a missing column, a wrong dtype) are left out; the
    ``failure_case`` values are dropped so no row value travels further."""
    dataframe_level = pl.col("schema_context") == "DataFrameSchema"
    reason = (
        pl.when(dataframe_level)
        .then(pl.col("check"))
        .otherwise(pl.col("check") + ":" + pl.col("column"))
    )
    return (
        failure_cases.filter(pl.col("index").is_not_null())
        .select(pl.col("index").cast(pl.Int64), reason.alias("reason"))
        .unique()
        .sort("index", "reason")
    )
