"""Parquet writes on a background thread, so that encoding and compressing one bucket's
table overlaps computing the next (the stages are otherwise one bucket at a time).

Writes run one at a time, in the order given, so every file gets the same bytes as
written inline; at most ``depth`` tables wait, which bounds the memory held.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor

import polars as pl

from enclave import io


class BackgroundWrites:
    """``write(sink, frame)`` returns at once; :meth:`wait` blocks until all are done.

    A failed write raises from the next :meth:`write` or :meth:`wait`. Use as a
    context manager: leaving it waits for every write (a sink must not be closed
    while one is running).
    """

    def __init__(self, depth: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet-write")
        self._pending: deque[Future] = deque()
        self._depth = depth

    def write(self, sink: io.ParquetSink, frame: pl.DataFrame) -> None:
        self._pending.append(self._pool.submit(sink.write, frame))
        while len(self._pending) > self._depth:
            self._pending.popleft().result()

    def wait(self) -> None:
        while self._pending:
            self._pending.popleft().result()

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, kind, *exc: object) -> None:
        try:
            if kind is None:
                self.wait()
            else:  # already failing: let running writes finish, keep the first error
                for future in self._pending:
                    future.exception()
                self._pending.clear()
        finally:
            self._pool.shutdown(wait=True)
