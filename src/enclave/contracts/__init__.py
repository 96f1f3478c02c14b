"""One contract per agency extract. ``get(agency)`` returns it; ``ALL`` lists them."""

from __future__ import annotations

from enclave.contracts.base import (
    IDENTIFIER_DTYPES,
    Contract,
    Delimited,
    FixedWidth,
    StagedIdentifiers,
    conform_identifiers,
)

__all__ = [
    "IDENTIFIER_DTYPES",
    "Contract",
    "Delimited",
    "FixedWidth",
    "StagedIdentifiers",
    "conform_identifiers",
]
