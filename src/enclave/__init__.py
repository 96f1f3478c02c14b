"""enclave: a research data enclave for a state's health and human services agencies.

Researchers use this package from notebooks: ``enclave.load(table, project=...)`` is
the one way to read research-zone data, and ``enclave.catalog()`` shows what the
project may read.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "catalog", "load"]


def __getattr__(name: str):
    # ``load`` is imported on first use, so that importing the package (as the
    # ``enclave`` command does) does not load polars before its allocator is set up
    # (``enclave.allocator``)
    if name == "load":
        from enclave.data import load

        return load
    if name == "catalog":
        from enclave.browse import catalog

        return catalog
    raise AttributeError(f"module 'enclave' has no attribute {name!r}")
