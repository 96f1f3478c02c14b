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

**Bounded memory.** A delivery can be gigabytes, so it is never held whole: it is
read in chunks cut at line ends and processed in batches of ``ingest.batch_rows``
lines, the file being read four times. The first read checks the encoding; the
second parses every batch, counts malformed rows and keeps two 64-bit hashes per row
(of its values, and of its grain) to find the few rows that may be repeats or grain
clashes; the third parses just those candidates and decides them exactly, on their
lines and values; the last validates, standardises and streams each batch into the
output files. Checks over the whole file (duplicates, the grain, the malformed
share, the header, trailing blank lines, the reconciliation) stay whole-file, and
the outputs equal those of one batch holding the whole file. A raw model with any
other frame-level check is read in one batch, as such a check needs every row.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import hashlib
import logging
import re
import sys
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pandera.polars as pa
import polars as pl

from enclave import failpoints, io, paths
from enclave.config import ConfigError, IngestParams
from enclave.contracts.base import (
    GRAIN_CHECK,
    Contract,
    Delimited,
    StagedIdentifiers,
    key_prefix,
)
from enclave.delivery import CHUNK_BYTES, Delivery, check_encoding, chunk_lines
from enclave.errors import EnclaveError, InputError
from enclave.parallel import BackgroundWrites, ordered_map
from enclave.progress import steps

log = logging.getLogger(__name__)

#: delimiters tried when a header does not split on the contract's own
OTHER_DELIMITERS = (",", "|", "\t", ";")
QUOTE = '"'
#: a whole quoted CSV field ("" is an escaped quote inside) with its delimiters around
QUOTED_FIELD = r'(^|{d})"(?:[^"]|"")*"({d}|$)'
#: seed of the row hashes that pick repeat and grain-clash candidates (never written)
HASH_SEED = 20261128
#: the row hashes are split into this many buckets (rows that may repeat or clash
#: share one), so the search for candidates holds a bucket's tables at a time
HASH_BUCKETS = 16


class ReconciliationError(EnclaveError):
    """Rows read do not equal rows staged plus rows quarantined."""


class ContractError(EnclaveError):
    """A contract or its standardiser broke a schema (a code fault, not a data fault)."""


@dataclass(frozen=True)
class IngestResult:
    """Everything one ingestion writes: staged tables, quarantined rows and the report.

    From :func:`run` the staged tables are lazy scans of the written files (they can
    be larger than memory); from :func:`ingest` all three are in memory.
    """

    identifiers: pl.DataFrame | pl.LazyFrame
    content: pl.DataFrame | pl.LazyFrame
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
    """Validate every delivery in ``landing`` and write staged, quarantine and report.

    The landing folder holds the agency's first extract, ``<contract.filename>``, and
    any monthly deliveries after it, each ``<YYYY-MM>/<contract.filename>``; each is
    validated on its own and staged to the same place under ``staged`` and
    ``quarantine`` (:func:`enclave.paths.delivered` reads them back in order). A month's
    record keys carry its month (``hfs-202412-000000001``), so they never meet the
    first extract's.

    A delivery staged by an earlier run, from the same bytes, under the same ingest
    parameters and code (``staged/deliveries.json``), is kept as it is, not read again:
    a new month costs its own rows. Every file-level check of the deliveries to read
    runs before anything is opened for writing; the tables are then streamed batch by
    batch into temporary folders renamed into place at the end.
    """
    from enclave import contracts

    contract = contracts.get(agency)
    landing, staged, quarantine = Path(landing), Path(staged), Path(quarantine)
    sources = landing_deliveries(agency, landing, contract.filename)
    print_ = fingerprint(contract, params)
    earlier = _staged_manifest(staged, quarantine)
    manifest: dict[str, Any] = {"fingerprint": print_, "deliveries": {}}
    plans: dict[str, Plan] = {}
    for name, path in sources.items():
        entry = earlier.get(name)
        # only a delivery staged under this fingerprint can be kept: its bytes are hashed
        # first; any other is hashed in the encoding check's pass, not in a read of its own
        keepable = entry is not None and entry["fingerprint"] == print_
        if keepable and entry["sha256"] == _file_digest(agency, path):
            manifest["deliveries"][name] = entry
            continue
        delivery = Delivery.from_file(agency, path)
        plans[name] = prepare(contract, delivery, params, source=path, month=_month(name))
        manifest["deliveries"][name] = {"file": contract.filename, "sha256": plans[name].sha256}
    with (
        io.atomic_dir(staged) as s,
        io.atomic_dir(quarantine) as q,
        io.atomic_file(Path(report)) as r,
    ):
        failpoints.reached("validate.opened")
        for name, entry in manifest["deliveries"].items():
            sub = "" if name == FIRST else name
            if name in plans:
                with FileSinks(s / sub, q / sub) as sinks:
                    entry["report"] = apply(contract, plans[name], params, sinks)
                    sinks.close()
                entry["fingerprint"] = print_
            else:  # staged before from the same bytes: kept, by hard link
                _keep(staged / sub, s / sub, STAGED_FILES)
                _keep(quarantine / sub, q / sub, ("rows.parquet",))
        result = total_report(manifest["deliveries"])
        io.write_json(manifest, s / MANIFEST)
        io.write_json(result, r)
        failpoints.reached("validate.written")
    log_summary(agency, result)
    return IngestResult(
        identifiers=pl.scan_parquet(paths.delivered(staged, "identifiers.parquet")),
        content=pl.scan_parquet(paths.delivered(staged, "content.parquet")),
        quarantine=pl.read_parquet(paths.delivered(quarantine, "rows.parquet")),
        report=result,
    )


#: the first extract's name among an agency's deliveries (the others are their months)
FIRST = "extract"
#: what a delivery leaves in its staged folder
STAGED_FILES = ("identifiers.parquet", "content.parquet")
#: the staged folder's record of what each delivery was staged from
MANIFEST = "deliveries.json"


def _month(name: str) -> str | None:
    return None if name == FIRST else name


def landing_deliveries(agency: str, landing: Path, filename: str) -> dict[str, Path]:
    """The deliveries in the landing folder, first extract first, then by month.

    The folder holds the contract's one file, and ``YYYY-MM`` folders each holding that
    file alone (a monthly delivery). Anything else is refused, not passed over: it may
    be the month a steward meant to deliver (docs/ingestion.md, "Landing folder").
    """
    found = {FIRST: landing / filename}
    if not landing.is_dir():
        return found  # the missing delivery is reported by Delivery.from_file, naming the file
    stray = sorted(
        p.name
        for p in landing.iterdir()
        if p.name != filename and not (p.is_dir() and paths.MONTH_FOLDER.match(p.name))
    )
    for month in paths.months(landing):
        found[month] = landing / month / filename
        inside = (landing / month).iterdir()
        stray += sorted(f"{month}/{p.name}" for p in inside if p.name != filename)
    if stray:
        raise InputError(
            agency,
            landing / stray[0],
            "landing:unexpected_file",
            f"the landing folder may hold only {filename} and YYYY-MM folders each "
            f"holding {filename}; {len(stray)} other entr"
            f"{'y' if len(stray) == 1 else 'ies'} found: move them out and run again",
        )
    return found


def fingerprint(contract: Contract, params: IngestParams) -> str:
    """What a staged delivery depends on besides its bytes: the ingest parameters and
    the code that reads and checks it (as ``dvc.yaml`` lists the validate stage's)."""
    from enclave import contracts

    package = Path(__file__).parent
    code = [package / "ingest.py", package / "delivery.py"]
    code += sorted(Path(contracts.__file__).parent.glob("*.py"))
    return io.code_digest(repr(sorted(vars(params).items())) + contract.agency, code)


def _file_digest(agency: str, path: Path) -> str:
    if not path.is_file():
        Delivery.from_file(agency, path)  # raises, naming the missing file
    return io.sha256_file(path)


def _staged_manifest(staged: Path, quarantine: Path) -> dict[str, dict[str, Any]]:
    """The deliveries an earlier run staged and whose files are all still there."""
    path = staged / MANIFEST
    try:
        entries = io.read_json(path)["deliveries"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    kept = {}
    for name, entry in entries.items():
        sub = "" if name == FIRST else name
        files = [staged / sub / f for f in STAGED_FILES] + [quarantine / sub / "rows.parquet"]
        complete = isinstance(entry, dict) and {"sha256", "fingerprint", "report"} <= set(entry)
        if complete and all(f.is_file() for f in files):
            kept[name] = entry
    return kept


def _keep(source: Path, target: Path, names: tuple[str, ...]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        io.link_or_copy(source / name, target / name)


def total_report(deliveries: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The validation report: the first extract's counts, or with monthly deliveries the
    counts over all of them and each delivery's own under ``deliveries``."""
    reports = {name: entry["report"] for name, entry in deliveries.items()}
    if len(reports) == 1:
        return reports[FIRST]
    trailing = sum(r["trailing_blank_lines"] for r in reports.values())
    return merge_reports(list(reports.values()), trailing) | {"deliveries": reports}


class FileSinks:
    """Staged and quarantine tables streamed into parquet files, batch by batch: a
    batch's tables are encoded and compressed on a background thread while the next
    batches are parsed and checked (one batch's tables wait at most)."""

    def __init__(self, staged: Path, quarantine: Path) -> None:
        self._paths = {
            "identifiers": staged / "identifiers.parquet",
            "content": staged / "content.parquet",
            "quarantine": quarantine / "rows.parquet",
        }
        self._sinks: dict[str, io.ParquetSink] = {}
        self._writes = BackgroundWrites(depth=len(self._paths))

    def write(self, part: IngestResult) -> None:
        for name, path in self._paths.items():
            frame = getattr(part, name)
            if name not in self._sinks:
                self._sinks[name] = io.ParquetSink(path, frame.schema)
            sink = self._sinks[name]
            if frame.schema != sink.schema:  # a column all null in one batch: typed Null
                frame = frame.cast(sink.schema)
            self._writes.write(sink, frame)

    def close(self, failing: bool = False) -> None:
        """Finish every write (raising the first that failed), then close the files."""
        try:
            self._writes.close(failing)
        finally:
            while self._sinks:
                self._sinks.popitem()[1].close()

    def __enter__(self) -> FileSinks:
        return self

    def __exit__(self, kind, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.close(failing=kind is not None)


class FrameSinks:
    """The same tables gathered in memory (for :func:`ingest`: tests and small inputs)."""

    def __init__(self) -> None:
        self.parts: list[IngestResult] = []

    def write(self, part: IngestResult) -> None:
        self.parts.append(part)

    def frame(self, name: str) -> pl.DataFrame:
        return pl.concat([getattr(p, name) for p in self.parts], how="vertical_relaxed")


# --------------------------------------------------------------------------- core


def ingest(
    contract: Contract,
    data: bytes,
    params: IngestParams,
    source: Path | str = "<bytes>",
    chunk_bytes: int = CHUNK_BYTES,
) -> IngestResult:
    """Validate one delivery's bytes against ``contract`` (pure: no file is touched).

    The same batch machinery as :func:`run`, gathering the tables in memory.
    """
    plan = prepare(contract, Delivery.from_bytes(data, chunk_bytes), params, source)
    sinks = FrameSinks()
    report = apply(contract, plan, params, sinks)
    names = ("identifiers", "content", "quarantine")
    return IngestResult(*(sinks.frame(n) for n in names), report=report)


@dataclass(frozen=True)
class Plan:
    """What the whole-file passes found: where to read, and the rows decided globally."""

    reader: Reader
    #: rows repeating an earlier line exactly
    duplicates: pl.Series
    #: rows whose grain is shared by a differing row (anywhere in the file)
    grain_clashes: pl.Series
    #: the SHA-256 of the delivery's bytes
    sha256: str


def prepare(
    contract: Contract,
    delivery: Delivery,
    params: IngestParams,
    source: Path | str,
    month: str | None = None,
) -> Plan:
    """Every whole-file check, in the order a whole-file read would meet them.

    Raises :class:`InputError` for a file fault; writes nothing.
    """

    def fault(code: str, detail: str = "") -> InputError:
        return InputError(contract.agency, source, code, detail)

    digest = hashlib.sha256()
    encoding = check_encoding(_digested(delivery.chunks(), digest), contract.layout.encoding, fault)
    size = params.batch_rows
    if unbatchable_checks(contract):
        # a frame-level check other than the grain needs every row at once
        log.info("%s: frame-level checks need the whole file in one batch", contract.agency)
        size = sys.maxsize
    reader = Reader(contract, delivery, encoding, size, fault, month)
    buckets: list[list[pl.DataFrame]] = [[] for _ in range(HASH_BUCKETS)]
    bad, rows = 0, 0
    grain = grain_of(contract)

    def hashed(raw: pl.DataFrame) -> tuple[int, int, dict[Any, pl.DataFrame]]:
        parts = row_hashes(raw, grain).partition_by("bucket", as_dict=True)
        return raw.height, raw["structure"].is_not_null().sum(), parts

    # two batches are parsed and hashed at a time; the main thread only splits lines
    pieces = reader.pieces()
    survey = ordered_map(lambda p: hashed(reader.parse(p, keyed=False)), pieces)
    for height, malformed, parts in survey:
        rows, bad = rows + height, bad + malformed
        for (key,), part in parts.items():
            buckets[key].append(part.drop("bucket"))
    check_malformed_share(bad, rows, params.max_malformed_share, fault)
    found = [repeat_candidates(pl.concat(b)) for b in buckets if b]
    del buckets
    candidates = pl.concat(found).sort() if found else pl.Series("row", [], pl.UInt32)
    duplicates, clashes = decide(contract, reader, candidates)
    return Plan(reader, duplicates, clashes, digest.hexdigest())


def _digested(chunks: Iterable[bytes], digest: Any) -> Iterator[bytes]:
    """``chunks``, each added to ``digest`` as it passes (they are the file's bytes, in
    order)."""
    for chunk in chunks:
        digest.update(chunk)
        yield chunk


def apply(contract: Contract, plan: Plan, params: IngestParams, sinks: Any) -> dict[str, Any]:
    """Validate, standardise and route each batch into ``sinks``; the merged report."""
    duplicates, clashes = plan.duplicates.implode(), plan.grain_clashes

    def routed(piece: Piece) -> IngestResult:
        raw = plan.reader.parse(piece).with_columns(duplicate=pl.col("row").is_in(duplicates))
        grain = clashes.filter(clashes.is_between(raw["row"].min(), raw["row"].max()))
        extra = grain.to_frame("row").with_columns(reason=pl.lit(f"{GRAIN_CHECK}:row"))
        return split(contract, raw, params, extra=extra)

    reports = []
    batches = steps(plan.reader.pieces(), f"validate {contract.agency}", unit="batch")
    # Two batches are validated at once (polars and pandera's checks leave a core idle
    # otherwise), written in file order. pandera's warnings carry row values: they are
    # silenced here, before the threads start, since warnings filters are per process.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for part in ordered_map(routed, batches):
            sinks.write(part)
            reports.append(part.report)
            failpoints.reached("validate.batch")
    return merge_reports(reports, plan.reader.trailing_blank)


class Piece(NamedTuple):
    """A batch's lines before parsing: ``first``, the row number of the first of them;
    ``rows``, the row numbers of the lines when only some rows are read (else None)."""

    lines: pl.Series
    first: int
    rows: pl.Series | None


class Reader:
    """The delivery's data rows, parsed, in batches of ``size`` lines (one pass per call).

    The header (of a delimited layout) is checked on the first line; row numbers run
    on across batches; blank lines after the last content line are not rows but are
    counted in ``trailing_blank``.
    """

    def __init__(
        self,
        contract: Contract,
        delivery: Delivery,
        encoding: str,
        size: int,
        fault: Any,
        month: str | None = None,
    ) -> None:
        if size < 1:
            raise ConfigError("'ingest.batch_rows' must be at least 1")
        self.contract, self.delivery, self.encoding = contract, delivery, encoding
        self.month = month
        self.size, self.fault = size, fault
        self.delimited = isinstance(contract.layout, Delimited)
        self.widths = [] if self.delimited else widths(contract)
        self.trailing_blank = 0

    def pieces(self, only: pl.Series | None = None) -> Iterator[Piece]:
        """The batches' lines, in order, each parsed by :meth:`parse` on any thread
        (parsing is most of a batch's reading) into ``row``, ``line``, ``structure``,
        the columns and ``record_key``; with ``only`` (sorted row numbers), just
        those rows."""
        contract, row = self.contract, 1
        lines = self.line_batches()
        if self.delimited:
            header = next(lines)
            check_header(header[0], contract.columns, contract.layout.delimiter, self.fault)
        for batch in lines:
            first, row = row, row + batch.len()
            rows = None
            if only is not None:
                rows = only.filter(only.is_between(first, row - 1))
                if rows.is_empty():
                    continue
                batch = _compact(batch.gather(rows - first))
            yield Piece(batch, first, rows)
        if row == 1 and self.delimited:
            raise self.fault("empty:header_only", "a header and no data rows")

    def parse(self, piece: Piece, keyed: bool = True) -> pl.DataFrame:
        """One batch of :meth:`pieces`, parsed, and keyed unless not ``keyed`` (the
        whole-file passes need no key: a tenth of a second per million rows)."""
        contract, batch, first, rows = self.contract, piece.lines, piece.first, piece.rows
        if self.delimited:
            raw = parse_delimited(batch, contract.columns, contract.layout.delimiter, first)
        else:
            raw = parse_fixed_width(batch, contract.columns, self.widths, first)
        if rows is not None:  # parsed rows are numbered first.. in the batch's order
            raw = raw.with_columns(row=rows.gather(raw["row"] - first))
        if not keyed:
            return raw
        return raw.with_columns(record_key=record_keys(contract.agency, pl.col("row"), self.month))

    def line_batches(self) -> Iterator[pl.Series]:
        """Batches of lines: the header alone first (if any), then ``size`` at a time.

        Lines after the last content line seen so far are held back: they are rows
        only if content follows them.
        """
        pending = pl.Series("line", [], dtype=pl.String)
        ready, emitted, first = 0, 0, True
        want = 1 if self.delimited else self.size
        for chunk in self.delivery.chunks():
            lines = chunk_lines(chunk, self.encoding, first)
            first = False
            content = lines.str.strip_chars().str.len_bytes() > 0
            if content.any():
                ready = pending.len() + content.arg_true().max() + 1
            pending = pl.concat([pending, lines])
            while ready >= want:
                yield pending.slice(0, want).rechunk()
                pending, ready, emitted = pending.slice(want), ready - want, emitted + 1
                want = self.size
        while ready > 0:
            take = min(want, ready)
            yield pending.slice(0, take).rechunk()
            pending, ready, emitted = pending.slice(take), ready - take, emitted + 1
            want = self.size
        if not emitted:
            raise self.fault("empty:file", "only blank lines")
        self.trailing_blank = pending.len()


def _compact(lines: pl.Series) -> pl.Series:
    """The lines in buffers of their own: a gathered string column still points into
    (and keeps alive) the whole batch it was taken from."""
    copied = pl.from_arrow(lines.to_arrow(compat_level=pl.CompatLevel.oldest()))
    return copied.alias(lines.name)


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


def record_keys(agency: str, row: pl.Expr, month: str | None = None) -> pl.Expr:
    """``<agency>-<row:09d>``, the key every data row gets (docs/INTERFACES.md); in a
    monthly delivery ``<agency>-<YYYYMM>-<row:09d>``, which sorts after every key of
    the first extract (:func:`key_prefix`)."""
    return pl.concat_str(pl.lit(key_prefix(agency, month)), row.cast(pl.String).str.zfill(9))


# --------------------------------------------------------------------------- whole-file rows


def grain_of(contract: Contract) -> list[str]:
    """The grain the raw model's grain check enforces (none if it has no such check)."""
    return _model_grain(contract.raw)


def _model_grain(model: type[pa.DataFrameModel]) -> list[str]:
    config = getattr(model, "__config__", None)
    return list((getattr(config, "metadata", None) or {}).get("grain") or [])


def _grain_decided_file_wide(model: type[pa.DataFrameModel]) -> bool:
    """Whether ``model``'s grain check is the one its ``grain`` metadata adds, and so
    decided over the whole file by :func:`decide` (a model with another check of that
    name is read in one batch instead: :func:`unbatchable_checks`)."""
    names = [check.name for check in model.to_schema().checks]
    return bool(_model_grain(model)) and names.count(GRAIN_CHECK) == 1


def unbatchable_checks(contract: Contract) -> list[str]:
    """Checks a batch cannot answer for the whole file: frame-level checks and unique
    columns of the raw and staged models, except the raw grain check (decided
    file-wide by :func:`decide`) and unique record keys (unique by construction)."""
    names = []
    for model in (contract.raw, StagedIdentifiers, contract.content):
        schema = model.to_schema()
        names += [check.name for check in schema.checks]
        names += [f"unique:{c}" for c, col in schema.columns.items() if col.unique]
    names = [n for n in names if n != "unique:record_key"]
    if _grain_decided_file_wide(contract.raw):
        names.remove(GRAIN_CHECK)
    return names


def row_hashes(raw: pl.DataFrame, grain: list[str]) -> pl.DataFrame:
    """``row``, ``rh`` (hash of the line), ``gh`` (hash of the grain, well-formed rows
    only) and ``bucket`` of every non-blank row.

    Rows with a unique ``rh`` repeat nothing; a grain whose rows all have one ``rh``
    has no differing rows. Equal lines parse to equal grains, so the bucket, from
    ``gh`` where there is one and ``rh`` otherwise, puts rows that may repeat or
    clash together.
    """
    ok = pl.col("structure").is_null()
    blank = pl.col("structure").eq_missing("blank_line:row")
    rh = pl.when(~blank).then(pl.col("line").hash(HASH_SEED))
    gh = pl.when(ok).then(pl.struct(grain).hash(HASH_SEED)) if grain else pl.lit(None, pl.UInt64)
    bucket = (pl.coalesce("gh", "rh") % HASH_BUCKETS).cast(pl.UInt8).alias("bucket")
    hashes = raw.select("row", rh.alias("rh"), gh.alias("gh"))
    return hashes.filter(pl.col("rh").is_not_null()).with_columns(bucket)


def repeat_candidates(hashes: pl.DataFrame) -> pl.Series:
    """Rows that may repeat another row, or share a grain with a differing row: all rows
    whose value hash recurs, and all rows of a grain hash with more than one value hash."""
    repeated = hashes.filter(pl.col("rh").is_duplicated())["row"]
    clashing = hashes.filter(pl.col("gh").is_not_null() & (pl.col("rh").n_unique().over("gh") > 1))[
        "row"
    ]
    return pl.concat([repeated, clashing]).unique().sort()


def decide(
    contract: Contract, reader: Reader, candidates: pl.Series
) -> tuple[pl.Series, pl.Series]:
    """Duplicate rows and grain-clash rows, decided exactly on the candidates' own lines
    and values (every copy of a repeat, and every row of a clashing grain, is a
    candidate, so the candidates alone decide)."""
    empty = pl.Series("row", [], dtype=pl.UInt32)
    if candidates.is_empty():
        return empty, empty
    rows = pl.concat(reader.parse(piece, keyed=False) for piece in reader.pieces(only=candidates))
    rows = rows.sort("row")  # a repeat is a later copy: decided in file order
    duplicates = rows.filter(repeats(rows))["row"]
    grain = grain_of(contract)
    if not grain:
        return duplicates, empty
    ok = rows.filter(pl.col("structure").is_null()).select([*contract.columns, "row"])
    values = pl.struct(contract.columns)
    clashes = ok.filter(pl.len().over(grain) != pl.len().over(values))["row"]
    return duplicates, clashes


# --------------------------------------------------------------------------- parsing


def parse_delimited(
    lines: pl.Series, columns: list[str], delimiter: str, first_row: int = 1
) -> pl.DataFrame:
    """One row per line: ``row`` (from ``first_row``), ``line``, ``structure`` (a reason
    or null), the columns.

    Well-formed lines are split quote-aware; a malformed line is split naively into at
    most as many columns as the contract has, the last one keeping the rest, so the
    quarantined row still holds everything delivered.
    """
    frame = pl.DataFrame(lines).with_row_index("row", offset=first_row)
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
    parts = [p for p in parts if p.height] or parts[:1]
    # one part alone is in line order already: sorting a batch is not free
    frame = parts[0] if len(parts) == 1 else pl.concat(parts).sort("row")
    return _empty_as_null(frame, columns)


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


def parse_fixed_width(
    lines: pl.Series, columns: list[str], widths: list[int], first_row: int = 1
) -> pl.DataFrame:
    """One row per line (``row`` from ``first_row``), sliced by width and stripped of
    padding; wrong lengths flagged.

    A line of the wrong length is still sliced (the last column keeps any excess) so the
    quarantined row holds everything delivered.
    """
    frame = pl.DataFrame(lines).with_row_index("row", offset=first_row)
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


def check_malformed_share(bad: int, rows: int, limit: float, fault: Any) -> None:
    """Refuse a delivery whose layout is wrong everywhere rather than quarantine it all
    (``bad`` of the file's ``rows`` rows are structurally malformed)."""
    if bad > limit * rows:
        raise fault(
            "structure:malformed_rows",
            f"{bad} of {rows} rows have the wrong structure (limit {limit:.0%})",
        )


# --------------------------------------------------------------------------- validation


def split(
    contract: Contract,
    raw: pl.DataFrame,
    params: IngestParams,
    *,
    extra: pl.DataFrame,
) -> IngestResult:
    """Route each parsed row of one batch to staged or quarantine and build its report
    (trailing blank lines are the whole file's: :func:`merge_reports` counts them).

    The batch's ``duplicate`` column and the ``extra`` (``row``, ``reason``) failures
    carry what was decided file-wide, the grain clashes among them (:func:`decide`;
    the batch schema leaves that check out).
    """
    columns = contract.columns
    # the raw line has served (structure, repeats): dropping it halves what is held
    raw = raw.drop("line", strict=False)
    value_bad, frame_codes = value_failures(
        contract.raw, raw.filter(pl.col("structure").is_null()), columns
    )
    reasons = [raw.filter(pl.col("structure").is_not_null()).select("row", reason="structure")]
    reasons.append(value_bad)
    reasons.append(extra)
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
    report = build_report(raw, identifiers, quarantine, 0)
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
    schema = _batch_schema(model)
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


@functools.cache
def _batch_schema(model: type[pa.DataFrameModel]) -> pa.DataFrameSchema:
    """``model``'s schema as a batch is checked against it: without the uniqueness of
    ``record_key``, which holds by construction (one key per row number,
    :func:`record_keys`) and cost a fifth of validating the wage records (a hash of
    every key, twice: identifiers and content); and without the grain check its
    ``grain`` metadata adds, decided over the whole file (:func:`decide`, whose
    clashes every batch is given) and a tenth of a benefit-month batch's work (a
    window over every column). A clash inside a batch is a clash in the file, so the
    batch's own check could only repeat a reason the file-wide one gives."""
    schema = model.to_schema()
    column = schema.columns.get("record_key")
    if column is not None and column.unique:
        schema = schema.update_column("record_key", unique=False)
    if _grain_decided_file_wide(model):
        schema = copy.copy(schema)  # the model's own schema is cached: not changed here
        schema.checks = [check for check in schema.checks if check.name != GRAIN_CHECK]
    return schema


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


def merge_reports(reports: list[dict[str, Any]], trailing: int) -> dict[str, Any]:
    """One report from the reports of the batches (counts add up, codes are united)."""
    counts = ("rows_read", "rows_staged", "rows_quarantined", "duplicate_rows")
    merged: dict[str, Any] = {k: sum(r[k] for r in reports) for k in counts}
    reasons: Counter[str] = Counter()
    frame_codes: set[str] = set()
    for r in reports:
        reasons.update(r["reasons"])
        frame_codes.update(r["frame_checks_failed"])
    reconciled = all(r["reconciled"] for r in reports) and merged["rows_read"] == (
        merged["rows_staged"] + merged["rows_quarantined"]
    )
    if not reconciled:
        raise ReconciliationError(
            f"rows read {merged['rows_read']} != staged {merged['rows_staged']} "
            f"+ quarantined {merged['rows_quarantined']}"
        )
    return {
        **merged,
        "trailing_blank_lines": trailing,
        "reconciled": reconciled,
        "reasons": dict(sorted(reasons.items())),
        "frame_checks_failed": dict.fromkeys(sorted(frame_codes), 1),
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
