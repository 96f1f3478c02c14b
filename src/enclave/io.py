"""The one module that reads and writes zone files.

Writes are deterministic (same frame, same bytes) and atomic: a stage writes into
a temporary sibling directory and renames it into place only when everything
succeeded, so a failed stage leaves no partial output behind. While it writes, it
holds the output's lock (one run at a time per output), and before it starts it
removes the temporary siblings that killed runs left (:mod:`enclave.scratch`).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from enclave.scratch import TMP_INFIX, output_lock, sweep_siblings
from enclave.scratch import claim as claim  # a stage claims its outputs where it writes them

#: zstd at level 1, as pyarrow writes it (:class:`ParquetSink`): polars' default level
#: took a fifth to a third more time for no smaller files (at 1M, the crosswalk 7.7 ->
#: 5.5-6.0 s, 685 -> 668 MiB; the identity map 7.1 -> 5.9 s, 565 -> 568 MiB)
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 1,
    "statistics": True,
}


def write_parquet(frame: pl.DataFrame | pl.LazyFrame, path: Path) -> Path:
    """Write a frame to parquet deterministically (collecting a LazyFrame first), as a
    new file (:func:`fresh`)."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    frame.write_parquet(fresh(path), **PARQUET_OPTIONS)
    return path


def write_parquet_parts(parts: Iterable[pl.DataFrame], path: Path) -> bool:
    """Write one parquet file from frames of one schema, made one after another by
    ``parts``, with polars' streaming writer: it encodes on every core while the next
    frame is made (the identity map at 1M, 74M rows: 7-8 s against 15-18 s through
    :class:`ParquetSink`, with less CPU). Same compression and statistics as
    :func:`write_parquet`; the bytes depend only on the rows. Writes nothing and
    returns False when ``parts`` gives no frame (no schema to write)."""
    parts = iter(parts)
    first = next(parts, None)
    if first is None:
        return False
    lazy_parts(first, parts).sink_parquet(fresh(path), **PARQUET_OPTIONS)
    return True


def lazy_parts(first: pl.DataFrame, rest: Iterator[pl.DataFrame]) -> pl.LazyFrame:
    """``first`` and then the frames of ``rest`` as one lazy frame, read once, in order
    (a polars IO source: a query's columns, filter and row limit are applied here)."""
    from polars.io.plugins import register_io_source

    def source(with_columns, predicate, n_rows, batch_size) -> Iterator[pl.DataFrame]:
        left = n_rows
        for frame in itertools.chain([first], rest):
            if predicate is not None:
                frame = frame.filter(predicate)
            if with_columns is not None:
                frame = frame.select(with_columns)
            if left is not None:
                frame, left = frame.head(left), left - min(left, frame.height)
            yield frame
            if left == 0:
                return

    return register_io_source(source, schema=first.schema)


def fresh(path: Path) -> Path:
    """``path`` ready to be written as a new file: its folder made, and any file there
    unlinked first. Outputs kept from an earlier run are hard links
    (:func:`link_or_copy`): writing through one would change the earlier run's file,
    which must stay as it was until the new output replaces it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    return path


def read_parquet(path: Path) -> pl.LazyFrame:
    return pl.scan_parquet(path)


def write_json(data: Any, path: Path) -> Path:
    """Write JSON with sorted keys and a trailing newline, so reruns give the same bytes
    (a new file: :func:`fresh`)."""
    fresh(path).write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


@contextmanager
def atomic_dir(target: Path, mode: int = 0o755) -> Iterator[Path]:
    """Yield a temporary directory that replaces ``target`` only if the block succeeds.

    The directory is ``.<name>.tmp-XXXXXXXX`` beside ``target``, mode 0700 until it
    is renamed into place (then ``mode``), so nobody reads a half-written output.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target):
        sweep_siblings(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{TMP_INFIX}", dir=target.parent))
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if target.exists():
            shutil.rmtree(target)
        os.chmod(tmp, mode)
        os.replace(tmp, target)


@contextmanager
def atomic_file(target: Path) -> Iterator[Path]:
    """Yield a temporary path that replaces ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(target):
        sweep_siblings(target)
        fd, name = tempfile.mkstemp(prefix=f".{target.name}{TMP_INFIX}", dir=target.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            yield tmp
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, target)
        os.chmod(target, 0o644)


#: rows per row group of a :class:`ParquetSink` file (polars' own default)
SINK_ROW_GROUP = 512 * 512


class ParquetSink:
    """Write one parquet file from frames arriving in order (bounded memory).

    Same compression and statistics as :func:`write_parquet`; the bytes depend only
    on the frames given, so a rerun writes the same file. A sink given no rows
    still writes a valid empty file with ``schema``.
    """

    def __init__(self, path: Path, schema: dict[str, pl.DataType] | pl.Schema) -> None:
        import pyarrow.parquet as pq

        self.path = fresh(path)
        self.schema = pl.Schema(schema)
        empty = pl.DataFrame(schema=self.schema).to_arrow(compat_level=pl.CompatLevel.oldest())
        self._arrow_schema = empty.schema
        self._writer = pq.ParquetWriter(
            self.path, self._arrow_schema, compression="zstd", write_statistics=True
        )
        self.rows = 0

    def write(self, frame: pl.DataFrame) -> None:
        """Append ``frame`` (its columns must match the sink's schema, in order)."""
        if frame.schema != self.schema:
            raise ValueError(f"{self.path.name}: frame schema differs from the sink's")
        if frame.height == 0:
            return
        table = frame.to_arrow(compat_level=pl.CompatLevel.oldest())
        self._writer.write_table(table.cast(self._arrow_schema), row_group_size=SINK_ROW_GROUP)
        self.rows += frame.height

    def close(self) -> None:
        self._writer.close()

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, read a block at a time."""
    import hashlib

    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(2**24):
            digest.update(block)
    return digest.hexdigest()


def code_digest(text: str, files: list[Path]) -> str:
    """What an output depends on besides its inputs, as one digest: ``text`` (the
    parameters, as text) and each of ``files`` (the code), name and bytes."""
    import hashlib

    digest = hashlib.sha256(text.encode())
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def link_or_copy(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (an output kept from an earlier run), or a
    copy where the file system cannot link."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
