"""ordered_map: results in input order, bounded work in flight, errors at their item."""

from __future__ import annotations

import threading
import time

import pytest

from enclave.parallel import ordered_map


def test_results_come_in_input_order_whatever_finishes_first():
    def slow_for_small(n: int) -> int:
        time.sleep(0.002 * (10 - n))  # the first items finish last
        return n * n

    assert list(ordered_map(slow_for_small, range(10))) == [n * n for n in range(10)]


def test_one_worker_is_the_plain_map():
    assert list(ordered_map(str, [3, 1, 2], workers=1)) == ["3", "1", "2"]
    assert list(ordered_map(str, [])) == []


def test_no_more_than_workers_plus_ahead_calls_are_unconsumed():
    started, lock, seen = [], threading.Lock(), []

    def record(n: int) -> int:
        with lock:
            started.append(n)
        return n

    for result in ordered_map(record, range(20), workers=2, ahead=1):
        time.sleep(0.001)  # let the workers run ahead as far as they may
        with lock:
            seen.append(len(started) - result - 1)  # started beyond the one consumed
    assert max(seen) <= 2 and seen  # workers + ahead - 1 beyond the consumed one


def test_an_error_raises_at_its_item_after_the_earlier_results():
    def fail_on_three(n: int) -> int:
        if n == 3:
            raise ValueError("three")
        return n

    got = []
    with pytest.raises(ValueError, match="three"):
        for result in ordered_map(fail_on_three, range(6)):
            got.append(result)
    assert got == [0, 1, 2]
