"""The disclosure rules in force: the agreement's, for the data this process has read.

Each read that :func:`enclave.load` grants notes the parties whose data the project
holds (:func:`note_read`). An output made after it is bound by the strictest rule of
each kind over those parties (``Agreement.strictest``). The safe helpers check what
they are asked for against it, so a study cannot lower a rule: ``min_cell=1`` after
reading Medicaid data is refused, naming the agreement's 11. Before any read, only the
floor of 1 applies: tests and demos that build tables by hand.

The rules are the agreement's, never a notebook parameter; the state is the process's
(the notebook kernel's), and :func:`reset` clears it (tests).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

from enclave.errors import EnclaveError

if TYPE_CHECKING:
    from enclave.governance.agreement import Agreement, DisclosureRules


class DisclosureError(EnclaveError):
    """A table cannot be protected as asked: bad shape or counts, or a rule looser
    than the agreement's."""


_STATE: dict = {"agreement": None, "parties": set()}


def note_read(agreement: Agreement, parties: Iterable[str]) -> None:
    """Record that data of ``parties`` was read under ``agreement``."""
    _STATE["agreement"] = agreement
    _STATE["parties"] |= set(parties)


def in_force() -> DisclosureRules | None:
    """The strictest rule of each kind over the parties read so far (None before a read)."""
    agreement, parties = _STATE["agreement"], _STATE["parties"]
    return agreement.strictest(sorted(parties)) if agreement is not None and parties else None


def parties_read() -> tuple[str, ...]:
    return tuple(sorted(_STATE["parties"]))


def check_min_cell(min_cell: int) -> None:
    """Refuse a minimum cell below 1, or below the agreement's for the data read."""
    if not isinstance(min_cell, int) or isinstance(min_cell, bool) or min_cell < 1:
        raise DisclosureError(f"min_cell must be a whole number of at least 1, got {min_cell!r}")
    rules = in_force()
    if rules is not None and min_cell < rules.min_cell:
        raise DisclosureError(
            f"min_cell {min_cell} is below the agreement's minimum cell {rules.min_cell} for "
            f"the data read (of {', '.join(parties_read())}); the agreement's rules cannot be "
            "lowered by a study"
        )


def check_rounding(rounding: str | None) -> str:
    """The rounding to apply: the given one, or the agreement's for the data read; a
    rounding weaker than the agreement's is refused."""
    from enclave.governance.agreement import ROUNDING_ORDER

    rules = in_force()
    floor = rules.rounding if rules is not None else "none"
    if rounding is None:
        return floor
    if rounding not in ROUNDING_ORDER:
        raise DisclosureError(f"rounding must be one of {list(ROUNDING_ORDER)}, got {rounding!r}")
    if ROUNDING_ORDER.index(rounding) < ROUNDING_ORDER.index(floor):
        raise DisclosureError(
            f"rounding {rounding!r} is weaker than the agreement's {floor!r} for the data read "
            f"(of {', '.join(parties_read())}); the agreement's rules cannot be lowered by a study"
        )
    return rounding


def current(min_cell: int) -> DisclosureRules:
    """The rules a helper applies: the agreement's for the data read, with ``min_cell``
    (already checked to be no lower) in place of its minimum cell."""
    from enclave.governance.agreement import DisclosureRules

    rules = in_force() or DisclosureRules(min_cell=min_cell, min_group=min_cell)
    return dataclasses.replace(rules, min_cell=min_cell)


def reset() -> None:
    _STATE["agreement"], _STATE["parties"] = None, set()
