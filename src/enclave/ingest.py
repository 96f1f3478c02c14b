"""Validated ingestion: one agency extract in, staged tables, quarantine and a report out.

The delivery is read in its native layout (delimited or fixed-width), every column
as text, and checked in three layers:

1. **file** faults stop the stage with :class:`~enclave.errors.InputError` and write
   nothing: missing, unreadable, empty, header only, wrong encoding, wrong header or
   delimiter, or more structurally broken rows than ``ingest.max_malformed_share``;
2. **structure** faults of one line (wrong field count, wrong line length, stray
   quote, blank line) and exact **duplicates** send that row to quarantine;
3. **values** are checked by the contract's pandera model (data, not only schema);
   rows failing a check go to quarantine with ``check:column`` reason codes, and so do
   rows whose standardised identifiers or content fail the staged models.

Every data row ends in exactly one of staged or quarantine; the counts reconcile or
the stage fails. Nothing here logs, raises or reports a row value: pandera's messages
and failure values are dropped the moment they are caught, keeping only the check
name, the column and the row position. The rules are tabulated in docs/ingestion.md.
"""

from __future__ import annotations

import codecs
import csv
import logging
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandera.polars as pa
import polars as pl

from enclave import io
from enclave.config import IngestParams
from enclave.contracts.base import Contract, Delimited, StagedIdentifiers
from enclave.errors import EnclaveError, InputError

log = logging.getLogger(__name__)

#: delimiters tried when a header does not split on the contract's own
OTHER_DELIMITERS = (",", "|", "\t", ";")
QUOTE = '"'
#: a whole quoted CSV field ("" is an escaped quote inside) with its delimiters around
QUOTED_FIELD = r'(^|{d})"(?:[^"]|"")*"({d}|$)'
LATIN = {"cp1252", "latin-1", "iso8859-1", "iso8859-15"}


class ReconciliationError(EnclaveError):
    """Rows read do not equal rows staged plus rows quarantined."""


class ContractError(EnclaveError):
    """A contract or its standardiser broke a schema (a code fault, not a data fault)."""


@dataclass(frozen=True)
class IngestResult:
    """Everything one ingestion writes: staged tables, quarantined rows and the report."""

    identifiers: pl.DataFrame
    content: pl.DataFrame
    quarantine: pl.DataFrame
    report: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- edge


def run(
    agency: str,
    params: IngestParams,
    landing: Path,
    staged: Path,
    quarantine: Path,
    report: Path,
) -> IngestResult:
    """Validate ``landing/<contract.filename>`` and write staged, quarantine and report."""
    from enclave import contracts

    contract = contracts.get(agency)
    path = Path(landing) / contract.filename
    result = ingest(contract, read_delivery(agency, path), params, source=path)
    write(result, staged=Path(staged), quarantine=Path(quarantine), report=Path(report))
    log_summary(agency, result.report)
    return result


def read_delivery(agency: str, path: Path) -> bytes:
    """The delivery's bytes, or an :class:`InputError` saying why they cannot be had."""
    if not path.exists():
        others = len(list(path.parent.iterdir())) if path.parent.is_dir() else 0
        raise InputError(agency, path, "file:missing", f"{others} other file(s) in the directory")
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(agency, path, "file:unreadable", type(exc).__name__) from None


def write(result: IngestResult, staged: Path, quarantine: Path, report: Path) -> None:
    """Write all three outputs, each atomically: a failure leaves none of them changed."""
    with (
        io.atomic_dir(staged) as s,
        io.atomic_dir(quarantine) as q,
        io.atomic_file(report) as r,
    ):
        io.write_parquet(result.identifiers, s / "identifiers.parquet")
        io.write_parquet(result.content, s / "content.parquet")
        io.write_parquet(result.quarantine, q / "rows.parquet")
        io.write_json(result.report, r)


# --------------------------------------------------------------------------- core


def ingest(
    contract: Contract, data: bytes, params: IngestParams, source: Path | str = "<bytes>"
) -> IngestResult:
    """Validate one delivery's bytes against ``contract`` (pure: no file is touched)."""

    def fault(code: str, detail: str = "") -> InputError:
        return InputError(contract.agency, source, code, detail)

    text = decode(data, contract.layout.encoding, fault)
    del data
    lines, trailing_blank = split_lines(text, fault)
    del text
    if isinstance(contract.layout, Delimited):
        check_header(lines[0], contract.columns, contract.layout.delimiter, fault)
        lines = lines.slice(1)
        if lines.len() == 0:
            raise fault("empty:header_only", "a header and no data rows")
        raw = parse_delimited(lines, contract.columns, contract.layout.delimiter)
    else:
        raw = parse_fixed_width(lines, contract.columns, widths(contract))
    raw = raw.with_columns(record_key=record_keys(contract.agency, pl.col("row")))
    check_malformed_share(raw, params.max_malformed_share, fault)
    return split(contract, raw, params, trailing_blank)


def decode(data: bytes, encoding: str, fault: Any) -> str:
    """Decode strictly in the contract's encoding, refusing bytes that betray another one.

    A UTF-8 byte-order mark is dropped from a UTF-8 delivery. Any cp1252/latin-1 byte
    string decodes, so a delivery in such an encoding that is valid UTF-8 with non-ASCII
    characters (or carries a UTF-8 BOM) is refused as UTF-8 sent by mistake.
    """
    name = codecs.lookup(encoding).name
    if not data.strip():
        raise fault("empty:file", "no content")
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in data:
        raise fault("encoding:binary", "NUL bytes or a UTF-16 byte-order mark")
    has_bom = data.startswith(codecs.BOM_UTF8)
    if name == "utf-8":
        data = data[len(codecs.BOM_UTF8) :] if has_bom else data
    elif has_bom:
        raise fault("encoding:utf8", f"UTF-8 byte-order mark in a {name} delivery")
    elif name in LATIN and not data.isascii() and _is_utf8(data):
        raise fault("encoding:utf8", f"UTF-8 multi-byte characters in a {name} delivery")
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        detail = f"byte not valid {name} at offset {exc.start}"
        raise fault("encoding:undecodable", detail) from None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def split_lines(text: str, fault: Any) -> tuple[pl.Series, int]:
    """Lines of the text (CRLF or LF), without trailing blank lines, and how many those were."""
    text = text.replace("\r\n", "\n")
    # the last line's terminator ends a line; it does not start a blank one
    text = text.removesuffix("\n")
    lines = pl.Series("line", [text]).str.split("\n").explode()
    content = lines.str.strip_chars().str.len_bytes() > 0
    if not content.any():
        raise fault("empty:file", "only blank lines")
    last = content.arg_true().max()
    kept = lines.slice(0, last + 1)
    return kept, lines.len() - kept.len()


def check_header(header: str, columns: list[str], delimiter: str, fault: Any) -> None:
    """Refuse a header that is not exactly the contract's columns, saying how it differs."""
    names = _fields(header, delimiter)
    if names == columns:
        return
    if len(names) == 1 and len(columns) > 1:
        others = [d for d in OTHER_DELIMITERS if d != delimiter and len(_fields(header, d)) > 1]
        found = f" (splits on {others[0]!r})" if others else ""
        raise fault("header:delimiter", f"header does not split on {delimiter!r}{found}")
    # Only the contract's own column names are ever named: a header that is really a
    # data row (a headerless delivery) must not carry its values into the message.
    if len(set(names)) < len(names):
        raise fault("header:duplicate_columns", f"{len(names) - len(set(names))} repeated")
    missing = [c for c in columns if c not in names]
    extra = len([c for c in names if c not in columns])
    if missing and extra:
        raise fault("header:renamed", f"missing {', '.join(missing)}; {extra} unexpected")
    if missing:
        raise fault("header:missing_columns", ", ".join(missing))
    if extra:
        raise fault("header:extra_columns", f"{extra} unexpected column(s)")
    raise fault("header:order", "columns present but not in the contract's order")


def _fields(line: str, delimiter: str) -> list[str]:
    return [f.strip() for f in next(csv.reader([line], delimiter=delimiter))]


def widths(contract: Contract) -> list[int]:
    """Column widths of a fixed-width contract, from each raw Field's ``metadata["width"]``."""
    schema = contract.raw.to_schema()
    try:
        return [int(schema.columns[c].metadata["width"]) for c in contract.columns]
    except (KeyError, TypeError) as exc:
        raise ContractError(f"contract {contract.agency}: a field has no width") from exc


def record_keys(agency: str, row: pl.Expr) -> pl.Expr:
    """``<agency>-<row:09d>``, the key every data row gets (docs/INTERFACES.md)."""
    return pl.concat_str(pl.lit(f"{agency}-"), row.cast(pl.String).str.zfill(9))


# --------------------------------------------------------------------------- parsing


def parse_delimited(lines: pl.Series, columns: list[str], delimiter: str) -> pl.DataFrame:
    """One row per line: ``row``, ``line``, ``structure`` (a reason or null), the columns.

    Well-formed lines are split quote-aware; a malformed line is split naively into at
    most as many columns as the contract has, the last one keeping the rest, so the
    quarantined row still holds everything delivered.
    """
    frame = pl.DataFrame(lines).with_row_index("row", offset=1)
    line = pl.col("line")
    has_quote = frame.get_column("line").str.contains(QUOTE, literal=True)
    # Drop every whole quoted field; a quote left over is bad quoting. Delimiters are
    # doubled first so two quoted fields in a row can each match with their delimiters.
    # Only the (few) lines holding a quote pay for this regex pass.
    bare = line.str.replace_all(delimiter, delimiter * 2, literal=True).str.replace_all(
        QUOTED_FIELD.format(d=re.escape(delimiter)), "${1}${2}"
    )
    blank = pl.when(line.str.strip_chars() == "").then(pl.lit("blank_line:row"))
    plain = frame.filter(~has_quote).with_columns(
        structure=blank.when(line.str.count_matches(delimiter, literal=True) != len(columns) - 1)
        .then(pl.lit("field_count:row"))
        .otherwise(None)
    )
    quoted = frame.filter(has_quote).with_columns(
        structure=blank.when(bare.str.contains(QUOTE, literal=True))
        .then(pl.lit("quoting:row"))
        .when(bare.str.count_matches(delimiter, literal=True) // 2 != len(columns) - 1)
        .then(pl.lit("field_count:row"))
        .otherwise(None)
    )
    ok = pl.col("structure").is_null()
    parts = [
        _split(plain.filter(ok), columns, delimiter, exact=True),
        _read_quoted(quoted.filter(ok), columns, delimiter),
        _split(pl.concat([plain.filter(~ok), quoted.filter(~ok)]), columns, delimiter, exact=False),
    ]
    return _empty_as_null(pl.concat(parts).sort("row"), columns)


def _split(frame: pl.DataFrame, columns: list[str], delimiter: str, exact: bool) -> pl.DataFrame:
    n = len(columns)
    line = pl.col("line")
    parts = line.str.split_exact(delimiter, n - 1) if exact else line.str.splitn(delimiter, n)
    return frame.with_columns(parts.struct.rename_fields(columns).alias("_f")).unnest("_f")


def _read_quoted(frame: pl.DataFrame, columns: list[str], delimiter: str) -> pl.DataFrame:
    """Parse the (few) well-formed lines holding quotes with polars' CSV reader."""
    if frame.height == 0:
        return _split(frame, columns, delimiter, exact=True)
    body = "\n".join(frame["line"].to_list()).encode("utf-8")
    parsed = pl.read_csv(
        body,
        has_header=False,
        new_columns=columns,
        schema=dict.fromkeys(columns, pl.String),
        separator=delimiter,
        quote_char=QUOTE,
    )
    if parsed.height != frame.height:
        raise EnclaveError("quoted lines did not parse one row each")
    return pl.concat([frame, parsed], how="horizontal")


def parse_fixed_width(lines: pl.Series, columns: list[str], widths: list[int]) -> pl.DataFrame:
    """One row per line, sliced by width and stripped of padding; wrong lengths flagged.

    A line of the wrong length is still sliced (the last column keeps any excess) so the
    quarantined row holds everything delivered.
    """
    frame = pl.DataFrame(lines).with_row_index("row", offset=1)
    line = pl.col("line")
    starts = [sum(widths[:i]) for i in range(len(widths))]
    structure = (
        pl.when(line.str.strip_chars() == "")
        .then(pl.lit("blank_line:row"))
        .when(line.str.len_chars() != sum(widths))
        .then(pl.lit("line_length:row"))
        .alias("structure")
    )
    last = len(columns) - 1
    fields = [
        line.str.slice(start, None if i == last else width).str.strip_chars(" ").alias(name)
        for i, (name, start, width) in enumerate(zip(columns, starts, widths, strict=True))
    ]
    return _empty_as_null(frame.with_columns(structure, *fields), columns)


def _empty_as_null(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in columns
    ).select("row", "line", "structure", *columns)


def check_malformed_share(raw: pl.DataFrame, limit: float, fault: Any) -> None:
    """Refuse a delivery whose layout is wrong everywhere rather than quarantine it all."""
    bad = raw["structure"].is_not_null().sum()
    if bad > limit * raw.height:
        raise fault(
            "structure:malformed_rows",
            f"{bad} of {raw.height} rows have the wrong structure (limit {limit:.0%})",
        )


# --------------------------------------------------------------------------- validation


def split(
    contract: Contract, raw: pl.DataFrame, params: IngestParams, trailing_blank: int = 0
) -> IngestResult:
    """Route each parsed row to staged or quarantine and build the report."""
    columns = contract.columns
    # the raw line has served (structure, repeats): dropping it halves what is held
    raw = raw.with_columns(duplicate=repeats(raw)).drop("line", strict=False)
    value_bad, frame_codes = value_failures(
        contract.raw, raw.filter(pl.col("structure").is_null()), columns
    )
    reasons = [raw.filter(pl.col("structure").is_not_null()).select("row", reason="structure")]
    reasons.append(value_bad)
    if params.duplicate_rule == "quarantine_repeats":
        reasons.append(raw.filter("duplicate").select("row", reason=pl.lit("duplicate:row")))
    passing = raw.join(_collect_reasons(reasons), on="row", how="anti").sort("row")
    identifiers, content, staged_bad, staged_codes = standardise(contract, passing)
    bad = _collect_reasons([*reasons, staged_bad])
    identifiers = _drop_rows(identifiers, staged_bad)
    content = _drop_rows(content, staged_bad)
    quarantine = (
        raw.join(bad, on="row", how="inner").sort("row").select(*columns, "record_key", "reasons")
    )
    report = build_report(raw, identifiers, quarantine, trailing_blank)
    report["frame_checks_failed"] = dict.fromkeys(sorted(frame_codes + staged_codes), 1)
    return IngestResult(identifiers, content, quarantine, report)


def repeats(raw: pl.DataFrame) -> pl.Series:
    """True for a non-blank line identical to an earlier line (an exact duplicate row).

    Hashes pick the few candidate rows cheaply; the lines themselves decide.
    """
    blank = pl.col("structure").eq_missing("blank_line:row")
    candidates = raw.filter(pl.col("line").hash().is_duplicated() & ~blank)
    repeated = candidates.filter(~pl.col("line").is_first_distinct())["row"]
    return raw["row"].is_in(repeated.implode()).alias("duplicate")


def _drop_rows(table: pl.DataFrame, bad: pl.DataFrame) -> pl.DataFrame:
    """The table without the rows in ``bad``, still in record_key order."""
    if bad.height:
        table = table.join(bad, on="row", how="anti", maintain_order="left")
    return table.drop("row")


def _collect_reasons(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """``row`` -> sorted distinct ``reasons`` list, one row per row with any reason."""
    long = pl.concat(
        [p.select(pl.col("row").cast(pl.UInt32), pl.col("reason").cast(pl.String)) for p in parts]
    )
    return long.group_by("row").agg(pl.col("reason").unique().sort().alias("reasons"))


def value_failures(
    model: type[pa.DataFrameModel], rows: pl.DataFrame, columns: list[str], prefix: str = ""
) -> tuple[pl.DataFrame, list[str]]:
    """``row``, ``reason`` for every check a row fails (schema AND data, all failures),
    and the codes of frame-level checks that failed without naming a row.

    Only the check name, the column and the row position leave this function: pandera's
    message and failure values embed row values, so the exception is dropped here.
    """
    schema = model.to_schema()
    cases = _failure_cases(schema, rows.select(columns))
    if cases is None:
        return pl.DataFrame(schema={"row": pl.UInt32, "reason": pl.String}), []
    if cases["index"].null_count():
        codes = _codes(cases.filter(pl.col("index").is_null()), prefix)
        raise ContractError(f"{prefix or 'raw'} schema broken, not a row fault: {codes}")
    frame_checks = {c.name: c for c in schema.checks}
    cases = cases.with_columns(
        column=pl.when(pl.col("schema_context") == "DataFrameSchema")
        .then(pl.lit("row"))
        .otherwise(pl.col("column"))
    )
    named = [n for n in cases.filter(column="row")["check"].unique() if n in frame_checks]
    # a frame-level check with one answer for the whole delivery names no row (pandera
    # puts it on row 0): it is counted in the report instead of blamed on a row
    scalar = sorted(n for n in named if not _row_wise(frame_checks[n], rows.select(columns)))
    row_cases = cases.filter(~(pl.col("check").is_in(scalar) & (pl.col("column") == "row")))
    failures = row_cases.select(
        row=rows["row"].gather(row_cases["index"]),
        reason=pl.concat_str(
            pl.col("check").str.extract(r"^([^(]+)"), pl.lit(":" + prefix), pl.col("column")
        ),
    )
    return failures, [f"{name}:{prefix}frame" for name in scalar]


def _failure_cases(schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame | None:
    """pandera's failure cases without their values, or None when every row passed."""
    try:
        with warnings.catch_warnings():
            # warn-only checks put failure values in their warning text
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.select("schema_context", "column", "check", "index")
    except pa.errors.SchemaError as exc:
        raise ContractError(f"schema check failed outside lazy mode: {exc.reason_code}") from None
    else:
        return None
    return cases.with_columns(pl.col("index").cast(pl.UInt32))


def _row_wise(check: pa.Check, frame: pl.DataFrame) -> bool:
    return check(frame.lazy()).check_output.collect().height == frame.height


def _codes(cases: pl.DataFrame, prefix: str) -> list[str]:
    base = cases["check"].str.extract(r"^([^(]+)")
    return sorted(set((base + ":" + prefix + cases["column"].cast(pl.String)).to_list()))


def standardise(
    contract: Contract, passing: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """Staged identifiers and content of the passing rows, and rows failing the staged models.

    Both tables keep a ``row`` column (dropped by the caller) so a failure can be routed
    back to its raw row.
    """
    keys = passing.select("row", "record_key")
    lazy = passing.select("record_key", *contract.columns).lazy()
    identifiers, content = (t.collect() for t in contract.standardise(lazy))
    id_cols = list(StagedIdentifiers.to_schema().columns)
    content_cols = list(contract.content.to_schema().columns)
    identifiers = _attach_rows(contract, "identifiers", identifiers, id_cols, keys)
    content = _attach_rows(contract, "content", content, content_cols, keys)
    id_bad, id_codes = value_failures(StagedIdentifiers, identifiers, id_cols, "identifiers.")
    ct_bad, ct_codes = value_failures(contract.content, content, content_cols, "content.")
    return identifiers, content, pl.concat([id_bad, ct_bad]), id_codes + ct_codes


def _attach_rows(
    contract: Contract, name: str, table: pl.DataFrame, columns: list[str], keys: pl.DataFrame
) -> pl.DataFrame:
    """The model's columns in order plus ``row``, checking one row per input row."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ContractError(f"contract {contract.agency}: {name} lacks columns {missing}")
    if table.height != keys.height:
        raise ContractError(f"contract {contract.agency}: {name} is not one row per input row")
    table = table.select(columns)
    if not table["record_key"].is_sorted():
        table = table.sort("record_key")
    table = table.with_columns(row=keys["row"])
    if not table["record_key"].equals(keys["record_key"]):
        raise ContractError(f"contract {contract.agency}: {name} record keys differ from input")
    return table


def build_report(
    raw: pl.DataFrame, identifiers: pl.DataFrame, quarantine: pl.DataFrame, trailing: int
) -> dict[str, Any]:
    """Counts only; fails loudly unless every row read is staged or quarantined, once."""
    read, staged, quarantined = raw.height, identifiers.height, quarantine.height
    overlap = identifiers.join(quarantine, on="record_key", how="inner").height
    reconciled = read == staged + quarantined and overlap == 0
    if not reconciled:
        raise ReconciliationError(
            f"rows read {read} != staged {staged} + quarantined {quarantined} "
            f"(or {overlap} rows in both)"
        )
    counts = quarantine.select(pl.col("reasons").explode().value_counts(sort=True)).unnest(
        "reasons"
    )
    reasons = dict(sorted(zip(counts["reasons"], counts["count"], strict=True)))
    return {
        "rows_read": read,
        "rows_staged": staged,
        "rows_quarantined": quarantined,
        "duplicate_rows": int(raw["duplicate"].sum()),
        "trailing_blank_lines": trailing,
        "reconciled": reconciled,
        "reasons": reasons,
    }


def log_summary(agency: str, report: dict[str, Any]) -> None:
    """One line of counts, never values."""
    log.info(
        "%s: read %d rows, staged %d, quarantined %d (%d duplicates), %d reason codes",
        agency,
        report["rows_read"],
        report["rows_staged"],
        report["rows_quarantined"],
        report["duplicate_rows"],
        len(report["reasons"]),
    )
