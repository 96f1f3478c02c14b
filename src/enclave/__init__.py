"""enclave: a research data enclave for a state's health and human services agencies.

Researchers use this package from notebooks: ``enclave.load(table, project=...)`` is
the one way to read research-zone data.
"""

from __future__ import annotations

from enclave.data import load

__version__ = "0.1.0"

__all__ = ["__version__", "load"]
