"""The identifier leak scan every research-zone file passes before a stage succeeds.

Three checks, each on every row of every column:

* ``ssn_pattern``: a string value holding an SSN-shaped token (9 digits, or
  ``ddd-dd-dddd`` / ``ddd dd dddd``) standing alone (word boundaries, so a 16-hex
  pseudonym that happens to hold nine digits in a row is not one);
* ``agency_id``: any value (cast to text) equal to an agency id of the identifiers, or
  to a roster (a LIHEAP application or SNAP case number: a household's id);
* ``name_with_birth_date``: a row holding, in a text column, a first, last, alias or
  parent name (case-insensitive) and, in a date column, the birth date the same
  identity record pairs with that name.

In a code column (one whose content contract closes its values with ``isin``) the
codes themselves are exempt: ``KIN`` is a placement type and also somebody's surname,
and a placement dated on a newborn's birthday would otherwise look like a name + DOB.
Any other value in a code column is scanned like free text.

A hit raises :class:`enclave.errors.LeakError` naming the file, the column and the
kind. The value is never reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from enclave.errors import LeakError

SSN_PATTERN = r"\b\d{3}[- ]?\d{2}[- ]?\d{4}\b"

#: identifier columns whose values are agency ids (a person's, or a household's roster)
ID_COLUMNS: tuple[str, ...] = ("agency_id", "roster")

#: (name column, birth-date column) pairs of the standard identifier schema
NAME_DOB_PAIRS: tuple[tuple[str, str], ...] = (
    ("first_name", "dob"),
    ("last_name", "dob"),
    ("middle_name", "dob"),
    ("alias_first_name", "dob"),
    ("alias_last_name", "dob"),
    ("mother_first_name", "mother_dob"),
    ("mother_last_name", "mother_dob"),
    ("mother_maiden_name", "mother_dob"),
    ("father_first_name", "father_dob"),
    ("father_last_name", "father_dob"),
)


@dataclass(frozen=True)
class LeakReference:
    """What must never appear: agency ids, and (name, birth date) pairs.

    Sorted by construction, whatever order the caller gives them in (the chunk scan
    of :mod:`enclave.deid.stream` binary-searches both): ``agency_ids`` ascending
    without nulls, ``name_dob`` on ``name`` then ``dob``. Already sorted input is
    only checked, not sorted again.
    """

    agency_ids: pl.Series
    name_dob: pl.DataFrame  # name (upper, trimmed) String, dob Date

    def __post_init__(self) -> None:
        ids = self.agency_ids.drop_nulls()
        if not ids.is_sorted():
            ids = ids.sort()
        name_dob = self.name_dob.drop_nulls("name")
        if not name_dob.get_column("name").is_sorted():
            name_dob = name_dob.sort("name", "dob")
        object.__setattr__(self, "agency_ids", ids)
        object.__setattr__(self, "name_dob", name_dob)

    @classmethod
    def from_identifiers(cls, identifiers: pl.LazyFrame) -> LeakReference:
        """Collect the reference from standard identifier tables (all agencies stacked)."""
        names = identifiers.collect_schema().names()
        held = [c for c in ID_COLUMNS if c in names]
        ids = (
            pl.concat(
                [identifiers.select(pl.col(c).str.strip_chars().alias("agency_id")) for c in held]
            )
            .drop_nulls()
            .filter(pl.col("agency_id") != "")
            .unique()
            .collect()
            .get_column("agency_id")
            if held
            else pl.Series("agency_id", [], pl.String)
        )
        pairs = [
            identifiers.select(
                pl.col(name).str.strip_chars().str.to_uppercase().alias("name"),
                pl.col(dob).alias("dob"),
            )
            for name, dob in NAME_DOB_PAIRS
            if name in names and dob in names
        ]
        name_dob = (
            pl.concat(pairs).drop_nulls().filter(pl.col("name") != "").unique().collect()
            if pairs
            else pl.DataFrame(schema={"name": pl.String, "dob": pl.Date})
        )
        return cls(agency_ids=ids, name_dob=name_dob.sort("name", "dob"))


def code_sets(agency: str) -> dict[str, frozenset[str]]:
    """The closed code sets of an agency's content columns, from its contract."""
    from enclave import contracts

    contract = contracts.ALL.get(agency)
    if contract is None:
        return {}
    sets = {}
    for name, column in contract.content.to_schema().columns.items():
        for check in column.checks:
            allowed = check.statistics.get("allowed_values") if check.name == "isin" else None
            if allowed is not None:
                sets[name] = frozenset(str(v) for v in allowed)
    return sets


def mask_codes(frame: pl.DataFrame, codes: dict[str, frozenset[str]]) -> pl.DataFrame:
    """Blank the values of code columns that are codes of their column's closed set."""
    for column, allowed in codes.items():
        if frame.schema.get(column) == pl.String:
            # a value from the column's closed code set is a code, never an identifier
            known = pl.col(column).is_in(pl.Series(sorted(allowed), dtype=pl.String).implode())
            frame = frame.with_columns(
                pl.when(known).then(None).otherwise(pl.col(column)).alias(column)
            )
    return frame


def scan_file(path: Path, reference: LeakReference, shown_as: Path | None = None) -> None:
    """Scan one parquet file; raise :class:`LeakError` on the first hit.

    A file named after an agency (``<agency>.parquet``) has its code columns checked
    against that agency's content contract.
    """
    shown = Path(shown_as or path)
    scan_frame(pl.read_parquet(path), reference, shown, code_sets(shown.stem))


def scan_frame(
    frame: pl.DataFrame,
    reference: LeakReference,
    path: Path | str,
    codes: dict[str, frozenset[str]] | None = None,
) -> None:
    """Scan a frame as if it were the file ``path``; raise :class:`LeakError` on a hit."""
    frame = mask_codes(frame, codes or {})
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    for column in text:
        if frame.select(pl.col(column).str.contains(SSN_PATTERN).any()).item():
            raise LeakError(path, column, "ssn_pattern")
    for column in frame.columns:
        if _holds_agency_id(frame.get_column(column), reference.agency_ids):
            raise LeakError(path, column, "agency_id")
    for column in text:
        if dates and _holds_name_with_dob(frame, column, dates, reference.name_dob):
            raise LeakError(path, column, "name_with_birth_date")


def _any_in(values: pl.Series, pool: pl.Series) -> bool:
    """Whether any of ``values`` is in ``pool`` (both text)."""
    left = values.rename("v").to_frame()
    return not left.join(pool.rename("v").to_frame(), on="v", how="semi").is_empty()


def _holds_agency_id(values: pl.Series, agency_ids: pl.Series) -> bool:
    if agency_ids.is_empty() or values.dtype.is_nested():
        return False
    text = values.cast(pl.String) if values.dtype != pl.String else values
    return _any_in(text.str.strip_chars(), agency_ids)


def _holds_name_with_dob(
    frame: pl.DataFrame, column: str, dates: list[str], name_dob: pl.DataFrame
) -> bool:
    upper = pl.col(column).str.strip_chars().str.to_uppercase()
    # most text columns hold codes or pseudonyms: test names alone first, cheaply
    names = frame.select(upper).get_column(column)
    if not _any_in(names, name_dob.get_column("name")):
        return False
    for date in dates:
        pairs = frame.select(upper.alias("name"), pl.col(date).alias("dob"))
        if not pairs.join(name_dob, on=["name", "dob"], how="semi").is_empty():
            return True
    return False
