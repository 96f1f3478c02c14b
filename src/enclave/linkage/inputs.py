"""Reading identifier files for ``enclave link``, and the checks they must pass first.

Any identifier file in the standard columns can be linked: a staged agency's
``identifiers.parquet``, or a steward's parquet or CSV file (ISO dates). Before any
linking, each file is checked, and a fault is one :class:`~enclave.errors.InputError`
naming the file, never a traceback:

* the file exists, is readable in its format and is not empty of columns;
* it has a ``record_key`` column, with a value on every row;
* no ``record_key`` repeats within the file, or across the files of one run (a record
  linked twice would map to two persons in the crosswalk).

Date columns delivered as text that do not parse as dates are treated as missing, and
counted per file and column: the log says so, and ``report.json`` of the linkage
zone keeps the counts (:func:`report`). No value is ever logged or reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from enclave import log, paths
from enclave.errors import InputError

LOG = log.get("enclave.linkage")

#: date columns of the standard identifier schema
DATE_COLUMNS = ("dob", "mother_dob", "father_dob", "seen")
DATE_FORMAT = "%Y-%m-%d"


@dataclass(frozen=True)
class InputFile:
    """One checked identifier file: its rows as a lazy frame, and what the checks found."""

    path: Path
    frame: pl.LazyFrame
    records: int
    key_range: tuple[str | None, str | None]
    unparsed_dates: dict[str, int] = field(default_factory=dict)


def read_identifiers(path: Path) -> pl.LazyFrame:
    """One identifier file in the standard columns, checked (:func:`read_input`)."""
    return read_input(path).frame


def read_input(path: Path) -> InputFile:
    """Open and check one identifier file (parquet, or CSV with ISO dates; a directory
    means its ``identifiers.parquet``). Missing columns become null; a file without an
    ``agency`` column is named after its file stem."""
    path = Path(path)
    if path.is_dir():
        path = path / "identifiers.parquet"
    if not path.exists():
        raise InputError("link", path, "file not found")
    frame, names = _scan(path)
    if "record_key" not in names:
        raise InputError("link", path, "no record_key column")
    if "agency" not in names:
        frame = frame.with_columns(agency=pl.lit(path.stem))
    schema = frame.collect_schema()
    texts = [c for c in DATE_COLUMNS if schema.get(c) == pl.String]
    stats = _stats(frame, path, texts)
    if stats["null_keys"]:
        raise InputError(
            "link",
            path,
            f"record_key missing on {stats['null_keys']} row(s)",
            "every row needs one",
        )
    if not stats["increasing"]:
        repeated = _repeated_keys(frame, path)
        if repeated:
            raise InputError(
                "link",
                path,
                f"record_key repeated: {repeated} row(s) share their key with another row",
                "each record must have its own key",
            )
    unparsed = {c: int(stats[f"unparsed_{c}"]) for c in texts if stats[f"unparsed_{c}"]}
    for column, count in unparsed.items():
        LOG.warning(
            "%s: %d value(s) of %s are not dates (YYYY-MM-DD): treated as missing",
            path,
            count,
            column,
        )
    parsed = frame.with_columns(pl.col(c).str.to_date(DATE_FORMAT, strict=False) for c in texts)
    return InputFile(
        path=path,
        frame=parsed,
        records=int(stats["records"]),
        key_range=(stats["low"], stats["high"]),
        unparsed_dates=unparsed,
    )


def _scan(path: Path) -> tuple[pl.LazyFrame, list[str]]:
    csv = path.suffix.lower() == ".csv"
    try:
        frame = pl.scan_csv(path, infer_schema=False) if csv else pl.scan_parquet(path)
        names = frame.collect_schema().names()
    except pl.exceptions.NoDataError:
        raise InputError("link", path, "empty file", "no header and no rows") from None
    except (pl.exceptions.PolarsError, OSError) as exc:
        kind = "CSV" if csv else "parquet"
        raise InputError("link", path, f"not readable as {kind} ({type(exc).__name__})") from None
    return frame, names


def _not_a_date(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars()
    return (
        text.is_not_null()
        & (text != "")
        & pl.col(column).str.to_date(DATE_FORMAT, strict=False).is_null()
    )


def _stats(frame: pl.LazyFrame, path: Path, texts: Sequence[str]) -> dict:
    """Rows, null keys, whether keys strictly increase, the key range, unparsed dates:
    one pass over the file."""
    key = pl.col("record_key").cast(pl.String)
    try:
        row = frame.select(
            pl.len().alias("records"),
            key.null_count().alias("null_keys"),
            (key > key.shift(1)).all().alias("increasing"),
            key.min().alias("low"),
            key.max().alias("high"),
            *(_not_a_date(c).sum().alias(f"unparsed_{c}") for c in texts),
        ).collect()
    except pl.exceptions.PolarsError as exc:
        raise InputError("link", path, f"not readable ({type(exc).__name__})") from None
    return row.row(0, named=True)


def _repeated_keys(frame: pl.LazyFrame, path: Path) -> int:
    try:
        return int(
            frame.select(pl.col("record_key").cast(pl.String).is_duplicated().sum())
            .collect()
            .item()
        )
    except pl.exceptions.PolarsError as exc:
        raise InputError("link", path, f"not readable ({type(exc).__name__})") from None


def check_across(files: Sequence[InputFile]) -> None:
    """No ``record_key`` in two files. Files whose key ranges do not overlap (staged
    agencies: each key starts with its agency) need no look at the keys themselves."""
    ordered = sorted(
        (f for f in files if f.records and f.key_range[0] is not None),
        key=lambda f: f.key_range[0],
    )
    for index, later in enumerate(ordered):
        for earlier in ordered[:index]:
            if earlier.key_range[1] < later.key_range[0]:
                continue
            shared = (
                later.frame.select(pl.col("record_key").cast(pl.String))
                .join(
                    earlier.frame.select(pl.col("record_key").cast(pl.String)),
                    on="record_key",
                    how="semi",
                )
                .select(pl.len())
                .collect()
                .item()
            )
            if shared:
                raise InputError(
                    "link",
                    later.path,
                    f"record_key repeated across inputs: {shared} key(s) also in {earlier.path}",
                    "each record must have its own key",
                )


def read_inputs(paths: Sequence[Path]) -> list[InputFile]:
    """Open and check every input (:func:`read_input`, :func:`check_across`); a staged
    agency's folder is its first extract's ``identifiers.parquet`` and each monthly
    delivery's after it (:func:`enclave.paths.delivered`)."""
    files = [read_input(p) for path in paths for p in _deliveries(Path(path))]
    check_across(files)
    if not any(f.records for f in files):
        raise InputError("link", ", ".join(str(f.path) for f in files), "no records to link")
    return files


def _deliveries(path: Path) -> list[Path]:
    if path.is_dir() and paths.months(path):
        return paths.delivered(path, "identifiers.parquet")
    return [path]


def report(files: Sequence[InputFile]) -> dict:
    """The linkage zone's ``report.json``: per input, its records and unparsed dates."""
    return {
        "inputs": [
            {
                "file": str(f.path),
                "records": f.records,
                "unparsed_dates": dict(sorted(f.unparsed_dates.items())),
            }
            for f in files
        ],
        "records": sum(f.records for f in files),
    }
