"""One contract per agency extract. ``get(agency)`` returns it; ``ALL`` lists them.

An agency's contract is the module ``enclave.contracts.<agency>`` (its ``CONTRACT``);
the registry holds one for each agency of ``enclave.config.AGENCIES``, in that order,
so a new extract is registered by its module and its name in that list.
"""

from __future__ import annotations

import importlib

from enclave.config import AGENCIES
from enclave.contracts.base import (
    IDENTIFIER_DTYPES,
    Contract,
    Delimited,
    FixedWidth,
    StagedIdentifiers,
    conform_identifiers,
)

#: agency short name -> its contract, in pipeline order
ALL: dict[str, Contract] = {
    agency: importlib.import_module(f"enclave.contracts.{agency}").CONTRACT for agency in AGENCIES
}


def get(agency: str) -> Contract:
    """The contract of one agency's extract (``KeyError`` naming the agency if unknown)."""
    try:
        return ALL[agency]
    except KeyError:
        raise KeyError(f"no contract for agency {agency!r}") from None


__all__ = [
    "ALL",
    "IDENTIFIER_DTYPES",
    "Contract",
    "Delimited",
    "FixedWidth",
    "StagedIdentifiers",
    "conform_identifiers",
    "get",
]
