"""Rounding of published counts: base 5 or 10 (conventional, half up), or random
rounding to base 3 with a stable seed per cell.

Rounding comes after suppression: suppression is decided on the true counts, and each
published count is then rounded on its own, margins included (so a table's cells need
not add up to its rounded total). Zeros stay zero, and a count above zero never
rounds to zero, so "0" still means "nobody".

Random rounding moves a count to one of the two multiples of 3 around it, the nearer
with probability 2/3. The draw is seeded by the cell (its population and labels, not
its table) and its true value: the same cell rounds the same way in every table and
every re-run, so publishing it again reveals nothing new (averaging repeated draws is
the classic attack on random rounding).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

#: the base of each rounding rule
BASE = {"none": 1, "base5": 5, "base10": 10, "random3": 3}
#: how far below and above a published non-zero value the true count may lie
SLACK = {"none": (0, 0), "base5": (2, 2), "base10": (5, 4), "random3": (2, 2)}


def cell_key(population: str, labels: dict[str, str], total: str) -> str:
    """The identity of a cell across tables: its population and its non-total labels."""
    parts = sorted(f"{d}={v}" for d, v in labels.items() if v != total)
    return "|".join([population, *parts])


def _uniform(key: str, value: int) -> float:
    digest = hashlib.sha256(f"{key}#{value}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def round_counts(values: np.ndarray, rounding: str, keys: Sequence[str]) -> np.ndarray:
    """Published counts under ``rounding``; ``keys`` seed random rounding, one per cell."""
    values = np.asarray(values, dtype=np.int64)
    base = BASE[rounding]
    if base == 1:
        return values.copy()
    if rounding == "random3":
        rest = values % base
        up = np.array(
            [_uniform(k, int(v)) < r / base for k, v, r in zip(keys, values, rest, strict=True)]
        )
        out = np.where(rest == 0, values, np.where(up, values - rest + base, values - rest))
    else:
        out = (values + base // 2) // base * base
    return np.where(values > 0, np.maximum(out, base), 0)


def is_rounded(value: int, rounding: str) -> bool:
    """Whether a published count could have come from ``rounding``."""
    return value % BASE[rounding] == 0
