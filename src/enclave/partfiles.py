"""Row-level files of a zone written whole, with later rows added as parts.

A full link writes the linkage zone's ``crosswalk.parquet`` and ``identity_map.parquet``
whole, each sorted on ``record_key`` (73.8M rows each at a million persons), and its
identity records and scored pairs. A monthly delivery
(:mod:`enclave.linkage.incremental`) rewrites none of them: its rows go to files of
their own, ``parts/<name>.<run>.parquet``, and ``parts.json`` records, per name, the
order as segments (a file, the first row and the number of rows) that, read one after
another, are the file whole. In the crosswalk and identity map a month's rows go
where their keys fall: its keys (``<agency>-<YYYYMM>-<row>``) follow its agency's
earlier deliveries, so a month is usually one segment between two of the whole file.
Identity records and pairs are added after the rest (:data:`APPENDED`).

:func:`rows` reads either way: :meth:`Rows.scan` in order (slices of the files,
concatenated), :meth:`Rows.slice` a range of it, reading only the segments it covers,
:meth:`Rows.unordered` where order does not matter (the files, so a filter on
``record_key`` is pruned by each file's statistics). A full run writes no
``parts.json`` and leaves no parts (the zone is written anew). Outside the linkage
package, so that reading a zone (de-identification) does not import the linker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io
from enclave.errors import InputError

PARTS = "parts.json"
PARTS_FOLDER = "parts"
#: the row-level files a month adds to as parts, its rows where their keys fall
ROW_LEVEL = ("crosswalk", "identity_map")
#: the files a month adds to as parts after the rest (identity records by id; pairs)
APPENDED = ("identities", "pairs")


@dataclass(frozen=True)
class Segment:
    """Rows ``start`` to ``start + length`` of ``file`` (relative to the zone)."""

    file: str
    start: int
    length: int


@dataclass(frozen=True)
class Rows:
    """One row-level file of the zone ``zone``, as its segments in key order."""

    zone: Path
    name: str
    segments: tuple[Segment, ...]

    @property
    def path(self) -> Path:
        """The whole file a full run writes (what an error names)."""
        return self.zone / f"{self.name}.parquet"

    def files(self) -> list[Path]:
        """Every file holding rows of it, each once, the whole file first."""
        return [self.zone / f for f in dict.fromkeys(s.file for s in self.segments)]

    def scan(self) -> pl.LazyFrame:
        """Every row, in key order."""
        if len(self.segments) == 1:
            return pl.scan_parquet(self.zone / self.segments[0].file)
        return pl.concat(
            pl.scan_parquet(self.zone / s.file).slice(s.start, s.length) for s in self.segments
        )

    def slice(self, offset: int, length: int) -> pl.LazyFrame:
        """Rows ``offset`` to ``offset + length`` in key order, reading only the segments
        they fall in (a slice of :meth:`scan` reads every segment before them)."""
        pieces, position = [], 0
        for s in self.segments:
            low, high = max(offset, position), min(offset + length, position + s.length)
            if high > low:
                scan = pl.scan_parquet(self.zone / s.file)
                pieces.append(scan.slice(s.start + low - position, high - low))
            position += s.length
        if not pieces:  # past the end: no rows, the columns all the same
            return pl.scan_parquet(self.zone / self.segments[0].file).slice(0, 0)
        return pieces[0] if len(pieces) == 1 else pl.concat(pieces)

    def unordered(self) -> pl.LazyFrame:
        """Every row, in no particular order (a filter is pruned file by file)."""
        return pl.scan_parquet(self.files())

    def __len__(self) -> int:
        return sum(s.length for s in self.segments)


def rows(zone: Path, name: str) -> Rows:
    """The row-level file ``name`` of the linkage zone ``zone``, whole or in parts."""
    zone = Path(zone)
    if (zone / PARTS_FOLDER).exists() and not (zone / PARTS).is_file():
        # the months' rows are there, but not where they go: never read the zone without
        raise InputError("linkage", zone / PARTS, "missing beside parts/", "run link again")
    layout = _layout(zone) if (zone / PARTS).is_file() else {}
    if layout.get(name):
        segments = tuple(Segment(f, int(a), int(n)) for f, a, n in layout[name])
        missing = sorted({s.file for s in segments if not (zone / s.file).is_file()})
        if missing:
            fault = f"names {len(missing)} missing file(s) of {name}, first {missing[0]}"
            raise InputError("linkage", zone / PARTS, fault, "run link again")
    else:
        whole = f"{name}.parquet"
        length = pl.scan_parquet(zone / whole).select(pl.len()).collect().item()
        segments = (Segment(whole, 0, length),)
    return Rows(zone, name, segments)


def _layout(zone: Path) -> dict:
    """``parts.json``, checked for its shape: name -> list of ``[file, start, rows]``."""
    try:
        layout = io.read_json(zone / PARTS)
        for segments in layout.values():
            for file, start, length in segments:
                if not (isinstance(file, str) and int(start) >= 0 and int(length) >= 0):
                    raise ValueError
    except (OSError, ValueError, TypeError, AttributeError):
        raise InputError("linkage", zone / PARTS, "not a parts layout", "run link again") from None
    return layout


def add_part(
    current: Rows, added: pl.DataFrame, tmp: Path, run: int, ordered: bool = True
) -> list[list]:
    """The zone being written at ``tmp`` with ``current``'s files as they are (hard
    links) and ``added`` as its part ``run``; returns the segments of the whole, for
    ``parts.json``. ``ordered``: ``added`` is sorted on ``record_key``, holds no key of
    ``current``, and its rows go where their keys fall; else they follow the rest."""
    for file in current.files():
        target = tmp / file.relative_to(current.zone)
        target.parent.mkdir(parents=True, exist_ok=True)
        io.link_or_copy(file, target)
    part = f"{PARTS_FOLDER}/{current.name}.{run:03d}.parquet"
    schema = pl.scan_parquet(current.zone / current.segments[0].file).collect_schema()
    io.write_parquet(added.select(schema.names()).cast(dict(schema)), tmp / part)
    if ordered:
        at = positions(current, added.get_column("record_key"))
    else:
        at = np.full(added.height, len(current), dtype=np.int64)
    # the added rows in runs of the same position, each a segment of the part
    cuts = np.flatnonzero(np.diff(at)) + 1
    runs = [(int(at[a]), int(a), int(b - a)) for a, b in _bounds(cuts, at.size)]
    segments: list[Segment] = []
    position = 0  # rows of the current layout passed
    for segment in current.segments:
        end = position + segment.length
        offset = segment.start
        while runs and runs[0][0] <= end:
            where, first, length = runs.pop(0)
            if where > position:
                segments.append(Segment(segment.file, offset, where - position))
                offset += where - position
                position = where
            segments.append(Segment(part, first, length))
        if end > position:
            segments.append(Segment(segment.file, offset, end - position))
        position = end
    segments.extend(Segment(part, first, length) for _, first, length in runs)  # empty zone
    # no rows at all: the whole file (empty) stands for them
    kept = [s for s in segments if s.length] or [Segment(f"{current.name}.parquet", 0, 0)]
    return [[s.file, s.start, s.length] for s in kept]


def _bounds(cuts: np.ndarray, n: int) -> list[tuple[int, int]]:
    edges = [0, *cuts.tolist(), n]
    return [(a, b) for a, b in pairwise(edges) if b > a]


def positions(current: Rows, keys: pl.Series) -> np.ndarray:
    """Per key of ``keys`` (sorted, none in ``current``), how many of ``current``'s keys
    sort before it: by binary search, reading single rows, then only the keys between
    the least and greatest of ``keys`` (none, for a month's keys)."""
    if keys.is_empty():
        return np.zeros(0, dtype=np.int64)
    key_at = _reader(current)
    low = _count_below(key_at, len(current), keys[0])
    high = _count_below(key_at, len(current), keys[-1])
    if low == high:
        return np.full(keys.len(), low, dtype=np.int64)
    between = current.scan().slice(low, high - low).select("record_key").collect().to_series()
    return low + between.search_sorted(keys, side="left").to_numpy().astype(np.int64)


def _count_below(key_at: Callable[[int], str], n: int, key: str) -> int:
    low, high = 0, n
    while low < high:
        middle = (low + high) // 2
        if key_at(middle) < key:
            low = middle + 1
        else:
            high = middle
    return low


def _reader(current: Rows) -> Callable[[int], str]:
    """The key at a position of ``current``, read alone."""
    starts = np.cumsum([0] + [s.length for s in current.segments])

    def key_at(position: int) -> str:
        index = int(np.searchsorted(starts, position, side="right")) - 1
        segment = current.segments[index]
        row = segment.start + position - int(starts[index])
        scan = pl.scan_parquet(current.zone / segment.file).select("record_key")
        return scan.slice(row, 1).collect().item()

    return key_at
