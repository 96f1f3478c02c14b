"""The one switch between SQL engines. DuckDB now; Spark is the scale-out path."""

from __future__ import annotations

import duckdb
from splink import DuckDBAPI

from enclave.errors import EnclaveError


class BackendError(EnclaveError):
    """The configured linkage backend is not available here."""


def make_db_api(backend: str, threads: int):
    """A Splink database API for ``backend`` limited to ``threads`` threads."""
    if backend == "duckdb":
        con = duckdb.connect(":memory:", config={"threads": threads})
        return DuckDBAPI(connection=con)
    raise BackendError(f"linkage backend '{backend}' is not available in this deployment")
