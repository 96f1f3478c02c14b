"""Independent units of work two at a time, results in order: pid buckets, agencies,
batches of a delivery.

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
from typing import TypeVar

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
