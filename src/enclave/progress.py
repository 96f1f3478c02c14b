"""Progress bars for the long stages (synthesize, validate, link, deidentify, build), in
an interactive terminal only.

A bar goes to stderr when stderr is a terminal, and never in CI (``CI`` set) or when
``ENCLAVE_PROGRESS=off``; ``ENCLAVE_PROGRESS=on`` forces it. Otherwise the helpers
return their input unchanged, so logs written to a file and ``make test`` output stay
as they were. A bar counts steps (years, batches, buckets, phases) and names a phase:
it never shows a value from a row.

>>> list(steps(range(3), "years"))  # not a terminal here: the iterable, unchanged
[0, 1, 2]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: ``on``, ``off`` or ``auto`` (the default: on in an interactive terminal outside CI)
ENV = "ENCLAVE_PROGRESS"
_ON, _OFF = {"on", "1", "yes", "true"}, {"off", "0", "no", "false"}


def enabled(stream: Any = None) -> bool:
    """Whether bars are drawn (see the module docstring)."""
    setting = os.environ.get(ENV, "auto").strip().lower()
    if setting in _OFF:
        return False
    if setting in _ON:
        return True
    if os.environ.get("CI"):
        return False
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def steps(iterable: Iterable[T], desc: str, total: int | None = None, unit: str = "step"):
    """``iterable`` with a bar (``desc``, counting ``unit``) when :func:`enabled`."""
    if not enabled():
        return iterable
    from tqdm import tqdm

    return tqdm(iterable, desc=desc, total=total, unit=unit, file=sys.stderr, leave=False)


class Phases:
    """A bar over a stage's named phases: ``phases.start("cluster")`` moves it on.

    >>> phases = Phases("link", ["collapse", "score"])
    >>> phases.start("collapse"); phases.start("score"); phases.close()
    """

    def __init__(self, desc: str, names: Sequence[str]) -> None:
        self._names = list(names)
        self._bar = None
        if enabled():
            from tqdm import tqdm

            self._bar = tqdm(total=len(self._names), desc=desc, file=sys.stderr, leave=False)
        self._started = 0

    def start(self, name: str) -> None:
        if name not in self._names:
            raise ValueError(f"unknown phase {name!r}; phases: {', '.join(self._names)}")
        if self._bar is not None:
            if self._started:
                self._bar.update(1)
            self._bar.set_postfix_str(name)
        self._started += 1

    def close(self) -> None:
        if self._bar is not None:
            self._bar.update(self._bar.total - self._bar.n)
            self._bar.close()
