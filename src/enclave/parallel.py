"""Independent units of work two at a time, results in order: pid buckets, agencies,
batches of a delivery; and parquet writes on a background thread.

The stages are mostly polars and Arrow calls, which release the GIL but use the
second core only part of the time; running two units at once keeps both cores
busy. Results are yielded in input order, so files are written exactly as a
sequential run writes them, and at most ``workers + ahead`` results are held, which
bounds memory.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import polars as pl

    from enclave import io

T = TypeVar("T")
R = TypeVar("R")

#: units run at once: the machine the targets are set on has two cores
WORKERS = 2


def ordered_map(
    func: Callable[[T], R], items: Iterable[T], workers: int = WORKERS, ahead: int = 0
) -> Iterator[R]:
    """``map(func, items)`` on ``workers`` threads, in order, with bounded look-ahead.

    At most ``workers + ahead`` calls are started and not yet consumed. An error
    raises at the item that failed, after the calls already started have finished.
    """
    if workers <= 1:
        yield from map(func, items)
        return
    pending: deque[Future[R]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="unit") as pool:
        try:
            for item in items:
                pending.append(pool.submit(func, item))
                if len(pending) >= workers + ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


class BackgroundWrites:
    """Parquet writes on a background thread, so that encoding and compressing one
    table overlaps computing the next. ``write(sink, frame)`` returns at once;
    :meth:`wait` blocks until all are done. Writes run one at a time, in the order
    given, so every file gets the same bytes as written inline; at most ``depth``
    tables wait, which bounds the memory held.

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

    def close(self, failing: bool = False) -> None:
        """Wait for every write, raising the first that failed, and stop the thread.
        ``failing``: already failing; the running writes are let finish, no more."""
        try:
            if not failing:
                self.wait()
            else:
                for future in self._pending:
                    future.exception()
                self._pending.clear()
        finally:
            self._pool.shutdown(wait=True)

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, kind, *exc: object) -> None:
        self.close(failing=kind is not None)
