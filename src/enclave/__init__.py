"""enclave: a research data enclave for a state's health and human services agencies.

Researchers use this package from notebooks: ``enclave.load(table, project=...)`` is
the one way to read research-zone data.
"""

from __future__ import annotations

import os

#: jemalloc settings for polars, read once when polars loads (a value already in the
#: environment wins). By default freed pages go back to the system within a second;
#: the stages free and reallocate gigabytes per bucket, so those pages came back as
#: page faults, a quarter of deidentify's and build's CPU time at a million persons.
#: Held for 30 s, they are reused: deidentify 73 -> 59 s, build 44 -> 35 s (1M, about
#: 0.5 GB more at the peak).
ALLOCATOR_CONF = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
os.environ.setdefault("_RJEM_MALLOC_CONF", ALLOCATOR_CONF)

from enclave.data import load  # noqa: E402  (polars loads here, after the setting)

__version__ = "0.1.0"

__all__ = ["__version__", "load"]
