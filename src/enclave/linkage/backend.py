"""The one switch between SQL engines. DuckDB now; Spark is the scale-out path."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import duckdb
from splink import DuckDBAPI

from enclave.errors import EnclaveError
from enclave.scratch import Scratch

#: share of the machine's memory DuckDB may use before spilling to disk; the rest is
#: left to the row-level polars work of the same process and to other jobs
MEMORY_SHARE = 0.3


class BackendError(EnclaveError):
    """The configured linkage backend is not available here."""


def make_db_api(
    backend: str,
    threads: int,
    memory_limit_gb: float | None = None,
    temp_directory: Path | None = None,
):
    """A Splink database API for ``backend`` limited to ``threads`` threads.

    DuckDB spills joins and aggregations beyond ``memory_limit_gb`` (default:
    :data:`MEMORY_SHARE` of physical memory) to ``temp_directory`` (default: a
    private scratch directory, :class:`enclave.scratch.Scratch`, removed with the API
    object or swept by the next run if this one is killed; never the working
    directory).
    """
    if backend == "duckdb":
        con = duckdb.connect(":memory:", config=duckdb_config(threads, memory_limit_gb))
        scratch = Scratch("duckdb") if temp_directory is None else None
        spill = scratch.path if scratch is not None else temp_directory
        con.execute("SET temp_directory = ?", [str(spill)])
        api = DuckDBAPI(connection=con)
        if scratch is not None:  # the spill directory goes with the API object
            api.enclave_scratch = scratch  # or at close(), whichever comes first
            weakref.finalize(api, scratch.close)
        return api
    raise BackendError(f"linkage backend '{backend}' is not available in this deployment")


def close(db_api) -> None:
    """Release the engine's memory now: a linker's objects refer to each other, so its
    DuckDB database (gigabytes at a million persons, up to the memory limit) would
    otherwise stay allocated until a garbage collection, through the row-level work
    that follows."""
    connection = getattr(db_api, "duckdb_con", None)
    if connection is not None:
        connection.close()
    scratch = getattr(db_api, "enclave_scratch", None)
    if scratch is not None:
        scratch.close()


def duckdb_config(threads: int, memory_limit_gb: float | None = None) -> dict[str, str | int]:
    """DuckDB settings: threads and a memory limit in MiB.

    >>> duckdb_config(2, 1.5)
    {'threads': 2, 'memory_limit': '1536MiB'}
    """
    gb = memory_limit_gb if memory_limit_gb else MEMORY_SHARE * _physical_gb()
    return {"threads": threads, "memory_limit": f"{max(int(gb * 1024), 512)}MiB"}


def _physical_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
