"""The release ledger: every table that has left the enclave, so that a new export
cannot be subtracted from an old one (differencing).

Each table is safe alone, yet two safe tables can identify a few persons together: a
count of persons in 2019 and the same count for 2019 without one small county differ
by that county's persons. The ledger (``<state>/airlock/ledger.jsonl``, one JSON line
per released certificate, appended under a file lock) keeps what each release
published: its definition (measure, population, period), dimensions, title, source
file and published rows. :func:`differencing` compares a new request's count tables
with every released one.

Two count tables are *comparable* when they count the same measure over the same
dimensions in overlapping periods (an empty period overlaps everything). A comparable
pair is a hit when some cell that both publish (the same labels, the grand total
included) differs by more than zero and less than the minimum cell: that difference
is a group too small to show. A pair of different populations shows it directly; a
pair under one population text with different values shows it too (the population
changed under the same name). Identical values differ nowhere, so re-releasing a table
is not a hit. Hits name tables and cell labels, never a value.

>>> overlaps("2019-01-01/2019-12-31", "2019-07-01/2020-06-30")
True
>>> overlaps("2019-01-01/2019-12-31", "2020-01-01/2020-12-31")
False
>>> overlaps("", "2020-01-01/2020-12-31")
True
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enclave.disclosure.checker import COUNT_COLUMNS
from enclave.errors import EnclaveError

LEDGER_NAME = "ledger.jsonl"

#: a cell: its labels ("dim=value" pairs) and the count column
Cell = tuple[tuple[str, ...], str]


class LedgerError(EnclaveError):
    """The ledger cannot be read: a release must not go out unchecked."""


@dataclass(frozen=True)
class Table:
    """A published count table, as the ledger compares it."""

    #: the release id (or request id) it belongs to
    source: str
    file: str
    title: str
    measure: str
    population: str
    period: str
    dims: tuple[str, ...]
    #: published counts by cell; suppressed cells are absent
    cells: dict[Cell, int]
    min_cell: int

    @classmethod
    def of(cls, cert: dict[str, Any], source: str, min_cell: int) -> Table:
        """From a certificate as the checker reports it (``file`` plus the certificate)
        or a ledger entry."""
        dims = tuple(str(d) for d in cert.get("dims", ()))
        definition = cert.get("definition") or {}
        return cls(
            source=str(cert.get("release", source)),
            file=str(cert.get("file", "")),
            title=str(cert.get("title", "")),
            measure=str(definition.get("measure", "")),
            population=str(definition.get("population", "")),
            period=str(definition.get("period", "")),
            dims=dims,
            cells=_cells(dims, list(cert.get("columns", ())), cert.get("rows", ())),
            min_cell=int(cert.get("min_cell", min_cell)),
        )

    def __str__(self) -> str:
        title = f" ({self.title})" if self.title else ""
        return f"{self.source}: {self.file}{title}"


def _cells(dims: tuple[str, ...], columns: list[str], rows: Iterable[Sequence[Any]]) -> dict:
    counted = [(i, c) for i, c in enumerate(columns) if c in COUNT_COLUMNS and c not in dims]
    places = [columns.index(d) for d in dims if d in columns]
    cells: dict[Cell, int] = {}
    for row in rows:
        labels = tuple(f"{columns[i]}={row[i]}" for i in places)
        for i, column in counted:
            value = _count(row[i]) if i < len(row) else None
            if value is not None:
                cells[(labels, column)] = value
    return cells


def _count(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def counted(certificates: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The count tables among ``certificates`` (the only kind the ledger compares)."""
    return [c for c in certificates if c.get("kind") == "counts"]


# --------------------------------------------------------------------------- comparing


def overlaps(first: str, second: str) -> bool:
    """Whether two ISO intervals ("YYYY-MM-DD/YYYY-MM-DD") share a day. An empty or
    unreadable period overlaps everything: the ledger errs towards a hit."""
    a, b = _interval(first), _interval(second)
    if a is None or b is None:
        return True
    return a[0] <= b[1] and b[0] <= a[1]


def _interval(period: str) -> tuple[dt.date, dt.date] | None:
    start, sep, end = period.strip().partition("/")
    try:
        first = dt.date.fromisoformat(start)
        last = dt.date.fromisoformat(end) if sep else first
    except ValueError:
        return None
    return (first, last) if first <= last else None


def comparable(a: Table, b: Table) -> bool:
    """Same measure and dimensions, overlapping periods."""
    return a.measure == b.measure and a.dims == b.dims and overlaps(a.period, b.period)


@dataclass(frozen=True)
class Hit:
    """Two tables whose difference in some published cells is a group below the minimum."""

    new: Table
    released: Table
    cells: tuple[Cell, ...]
    min_cell: int

    def __str__(self) -> str:
        shown = [_label(c) for c in self.cells[:5]]
        more = f" and {len(self.cells) - 5} more" if len(self.cells) > 5 else ""
        return (
            f"{self.new} against {self.released}: cells {'; '.join(shown)}{more} differ by "
            f"less than the minimum cell {self.min_cell}"
        )


def _label(cell: Cell) -> str:
    labels, column = cell
    text = ", ".join(labels) or "all"
    return f"({text})" if column == "n" else f"({text}) {column}"


def compare(new: Table, released: Table) -> Hit | None:
    """The cells both publish that differ by less than the stricter minimum cell."""
    if not comparable(new, released):
        return None
    threshold = max(new.min_cell, released.min_cell)
    common = sorted(new.cells.keys() & released.cells.keys())
    small = tuple(c for c in common if 0 < abs(new.cells[c] - released.cells[c]) < threshold)
    return Hit(new, released, small, threshold) if small else None


def differencing(new: Sequence[Table], released: Iterable[Table]) -> list[Hit]:
    """Every hit of ``new`` against ``released``, and of the new tables among themselves
    (they leave together)."""
    released = list(released)
    hits = [h for n in new for r in released if (h := compare(n, r)) is not None]
    for i, first in enumerate(new):
        hits += [h for second in new[i + 1 :] if (h := compare(second, first)) is not None]
    return hits


# --------------------------------------------------------------------------- the file


def entries(
    release: str, certificates: Iterable[dict[str, Any]], min_cell: int, at: str
) -> list[dict[str, Any]]:
    """The ledger lines of one release: each certificate's definition, dimensions,
    published rows, title and source file."""
    keep = ("file", "where", "kind", "title", "dims", "columns", "rows", "definition")
    return [
        {"release": release, "at": at, "min_cell": min_cell, **{k: c.get(k) for k in keep}}
        for c in certificates
    ]


@dataclass(frozen=True)
class Ledger:
    """The ledger, open and locked (:func:`hold`)."""

    path: Path
    fd: int

    def lines(self) -> list[dict[str, Any]]:
        data = self.path.read_bytes()
        out = []
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError:
                raise LedgerError(f"{self.path}: line {number} is not a ledger entry") from None
            if not isinstance(entry, dict):
                raise LedgerError(f"{self.path}: line {number} is not a ledger entry")
            out.append(entry)
        return out

    def tables(self, min_cell: int = 1) -> list[Table]:
        """The released count tables (``min_cell`` for entries that lack their own)."""
        return [Table.of(e, "", min_cell) for e in counted(self.lines())]

    def releases(self) -> set[str]:
        return {str(e.get("release")) for e in self.lines()}

    def append(self, lines: Iterable[dict[str, Any]]) -> int:
        data = b"".join(json.dumps(e, sort_keys=True).encode() + b"\n" for e in lines)
        os.write(self.fd, data)
        os.fsync(self.fd)
        return data.count(b"\n")


@contextmanager
def hold(path: Path) -> Iterator[Ledger]:
    """The ledger at ``path``, locked for the block: check and append as one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield Ledger(path, fd)
    finally:
        os.close(fd)


def read(path: Path, min_cell: int = 1) -> list[Table]:
    """The released count tables (an absent ledger has none)."""
    if not path.exists():
        return []
    with hold(path) as ledger:
        return ledger.tables(min_cell)
