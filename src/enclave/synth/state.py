"""The mutable arrays the life-course simulation advances year by year.

Everything is a numpy array indexed by person (position = ``person_id - 1``),
by living unit (a group sharing an address and a hardship level) or by address.
Dates are integer days since 1970-01-01, as polars stores ``Date``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NONE = -1  # "no person / no unit" in index arrays
NEVER = np.iinfo(np.int32).max  # death day of someone who has not died


def day(year: int, month: int = 1, dom: int = 1) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-{dom:02d}", "D").astype(np.int64))


@dataclass
class People:
    """Per-person arrays, allocated for the world's final size and filled as people enter."""

    n: int
    count: int = 0
    sex: np.ndarray = field(init=False)  # 0 = F, 1 = M
    dob: np.ndarray = field(init=False)
    entry: np.ndarray = field(init=False)  # day the person enters the world
    death: np.ndarray = field(init=False)
    mother: np.ndarray = field(init=False)
    father: np.ndarray = field(init=False)
    twin: np.ndarray = field(init=False)
    spouse: np.ndarray = field(init=False)
    unit: np.ndarray = field(init=False)  # current living unit
    household: np.ndarray = field(init=False)  # unit at entry
    last_birth: np.ndarray = field(init=False)
    immigrant: np.ndarray = field(init=False)
    first: np.ndarray = field(init=False)
    middle: np.ndarray = field(init=False)
    birth_surname: np.ndarray = field(init=False)
    surname: np.ndarray = field(init=False)  # current surname
    suffix: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = self.n
        i32 = {"dtype": np.int32}
        self.sex = np.zeros(n, np.int8)
        self.dob = np.zeros(n, **i32)
        self.entry = np.zeros(n, **i32)
        self.death = np.full(n, NEVER, **i32)
        for name in ("mother", "father", "twin", "spouse", "unit", "household"):
            setattr(self, name, np.full(n, NONE, **i32))
        self.last_birth = np.full(n, -(10**6), **i32)
        self.immigrant = np.zeros(n, bool)
        for name in ("first", "middle", "birth_surname", "surname", "suffix"):
            setattr(self, name, np.full(n, None, dtype=object))

    def add(self, k: int) -> np.ndarray:
        """Reserve the next ``k`` person slots; returns their indices."""
        idx = np.arange(self.count, self.count + k)
        self.count += k
        return idx


class Growable:
    """A few parallel 1-d arrays that grow by appending (units, addresses)."""

    def __init__(self, **dtypes: type) -> None:
        self._cols = {k: np.zeros(1024, dtype=v) for k, v in dtypes.items()}
        self.count = 0

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__["_cols"]
        if name in cols:
            return cols[name][: self.count]
        raise AttributeError(name)

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Append equal-length arrays; returns the new rows' indices."""
        k = len(next(iter(values.values())))
        while self.count + k > len(next(iter(self._cols.values()))):
            for name, arr in self._cols.items():
                self._cols[name] = np.concatenate([arr, np.zeros_like(arr)])
        for name, v in values.items():
            self._cols[name][self.count : self.count + k] = v
        idx = np.arange(self.count, self.count + k)
        self.count += k
        return idx


@dataclass
class Events:
    """Row batches collected during the simulation, concatenated at the end."""

    residence: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    surname: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    births: list[dict[str, np.ndarray]] = field(default_factory=list)
    years: list[dict[str, np.ndarray]] = field(default_factory=list)
