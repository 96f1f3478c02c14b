"""The memory allocator's settings for stages that churn through memory.

Polars allocates through jemalloc and sets it to hand freed pages back to the system
after half a second. ``deidentify`` and ``build`` free and reallocate gigabytes per
bucket, and ``validate`` per batch, so those pages came back as page faults: a quarter
of their CPU time at a million persons. Kept for 30 s, they are reused
(docs/research_zone.md). The link stage gains nothing from it and would hold 3 GB
more at its peak, so only the stages that gain ask for it.
"""

from __future__ import annotations

import os
import sys

#: jemalloc options: keep freed pages 30 s before returning them to the system
REUSE_FREED_PAGES = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
#: what polars itself puts in the environment when it loads: a process started by one
#: that loaded polars (a benchmark, a test, a notebook) inherits it
POLARS_DEFAULT = "dirty_decay_ms:500,muzzy_decay_ms:1000"
VARIABLE = "_RJEM_MALLOC_CONF"


def reuse_freed_pages() -> bool:
    """Set :data:`REUSE_FREED_PAGES` for this process; whether it can take effect.

    jemalloc reads its options once, when polars loads (polars appends the variable to
    its own options, so these win): after that this does nothing and returns False.
    A value already in the environment is kept, unless it is polars' own default,
    inherited from a parent process that loaded polars (no one chose it).
    """
    if "polars" in sys.modules:
        return False
    if os.environ.get(VARIABLE) in (None, POLARS_DEFAULT):
        os.environ[VARIABLE] = REUSE_FREED_PAGES
    return True
