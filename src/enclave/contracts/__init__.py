"""One contract per agency extract. ``get(agency)`` returns it; ``ALL`` lists them."""

from __future__ import annotations

from enclave.contracts import aging, dcfs, hfs, ides, idhs, idoc, idph, isbe
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
    module.CONTRACT.agency: module.CONTRACT
    for module in (hfs, idhs, aging, dcfs, isbe, ides, idoc, idph)
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
