"""The one switch between SQL engines: DuckDB on one machine, Spark past it
(:mod:`enclave.linkage.spark`). Tables go in and come out as polars frames, and the
model's own SQL, written in DuckDB's dialect, is translated for the other engine."""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import duckdb
import polars as pl
import sqlglot
from splink import DuckDBAPI
from sqlglot import exp

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
    if backend == "spark":
        from enclave.linkage import spark

        gb = memory_limit_gb if memory_limit_gb else MEMORY_SHARE * _physical_gb()
        return spark.make_api(threads, gb)
    raise BackendError(f"linkage backend '{backend}' is not available in this deployment")


def require(backend: str) -> None:
    """Raise a one-line :class:`BackendError` if ``backend`` cannot run here, before any
    work: for Spark, pyspark or Java missing."""
    if backend == "spark":
        from enclave.linkage import spark

        spark.require()
    elif backend != "duckdb":
        raise BackendError(f"linkage backend '{backend}' is not available in this deployment")


def close(db_api) -> None:
    """Release the engine's memory now: a linker's objects refer to each other, so its
    DuckDB database (gigabytes at a million persons, up to the memory limit) would
    otherwise stay allocated until a garbage collection, through the row-level work
    that follows."""
    if _is_spark(db_api):
        from enclave.linkage import spark

        spark.close(db_api)
        return
    connection = getattr(db_api, "duckdb_con", None)
    if connection is not None:
        connection.close()
    scratch = getattr(db_api, "enclave_scratch", None)
    if scratch is not None:
        scratch.close()


def _is_spark(db_api) -> bool:
    return hasattr(db_api, "enclave_spark_run")


def register(db_api, frame: pl.DataFrame, table_name: str):
    """``frame`` as a Splink table of ``db_api`` named ``table_name``."""
    if _is_spark(db_api):
        from enclave.linkage import spark

        frame = spark.to_spark(db_api.spark, frame)
    return db_api.register(frame, table_name=table_name)


def fetch(table, columns: list[str]) -> pl.DataFrame:
    """``columns`` of a Splink result table, as a polars frame."""
    if _is_spark(table.db_api):
        from enclave.linkage import spark

        return spark.to_polars(table.as_spark_dataframe().select(*columns))
    return pl.from_arrow(table.as_duckdbpyrelation().select(", ".join(columns)).to_arrow_table())


#: DuckDB functions of the model's SQL and their names in Spark, where they differ: the
#: string similarities are the UDFs of Splink's jar, ``list_has_any`` is ``arrays_overlap``
#: (sqlglot writes the latter as ``&&``, which Spark does not parse)
_SPARK_FUNCTIONS = {
    exp.JarowinklerSimilarity: "jaro_winkler",
    exp.ArrayOverlaps: "arrays_overlap",
}


def dialect_sql(sql: str, dialect) -> str:
    """``sql``, a condition in DuckDB's dialect, for a Splink ``dialect``: as written for
    DuckDB, translated by sqlglot for Spark.

    DuckDB's ``date_diff`` counts boundaries crossed and Spark's ``datediff`` with a
    unit counts whole units; the model compares months only between dates with the
    same day, where the two agree.

    >>> from splink.internals.dialects import SparkDialect
    >>> dialect_sql("list_has_any(a_l, a_r) or jaro_winkler_similarity(b_l, b_r) > 0.9",
    ...             SparkDialect())
    'ARRAYS_OVERLAP(a_l, a_r) OR JARO_WINKLER(b_l, b_r) > 0.9'
    """
    if dialect.sql_dialect_str == "duckdb":
        return sql
    if dialect.sql_dialect_str != "spark":
        raise BackendError(f"no translation of the model's SQL to {dialect.sql_dialect_str}")
    tree = sqlglot.parse_one(sql, read="duckdb").transform(_spark_function)
    return tree.sql(dialect="spark")


def _spark_function(node: exp.Expression) -> exp.Expression:
    name = _SPARK_FUNCTIONS.get(type(node))
    if name is None:
        return node
    return exp.Anonymous(this=name, expressions=[node.this, node.expression])


def duckdb_config(threads: int, memory_limit_gb: float | None = None) -> dict[str, str | int]:
    """DuckDB settings: threads and a memory limit in MiB.

    >>> duckdb_config(2, 1.5)
    {'threads': 2, 'memory_limit': '1536MiB'}
    """
    gb = memory_limit_gb if memory_limit_gb else MEMORY_SHARE * _physical_gb()
    return {"threads": threads, "memory_limit": f"{max(int(gb * 1024), 512)}MiB"}


def _physical_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


#: share of a stage's remaining budget given to the SQL engine: the rest covers what
#: it allocates outside its buffer pool, and the process's own growth meanwhile (at 1M,
#: 0.85 let scoring peak at 7,922-8,258 MiB against an 8 GiB budget; 0.75: 7,389 MiB,
#: no slower, docs/linkage.md)
ENGINE_SHARE_OF_BUDGET = 0.75


def engine_memory_gb(budget_gb: float | None) -> float | None:
    """The SQL engine's memory limit within a stage's budget (``linkage.memory_gb``):
    what this process does not already hold, less a margin (:data:`ENGINE_SHARE_OF_BUDGET`),
    and never more than :data:`MEMORY_SHARE` of RAM (a budget larger than a small
    machine); at least 0.5 GiB. ``None`` without a budget (then that share of RAM)."""
    if budget_gb is None:
        return None
    left = (budget_gb - _resident_gb()) * ENGINE_SHARE_OF_BUDGET
    return max(min(left, MEMORY_SHARE * _physical_gb()), 0.5)


def _resident_gb() -> float:
    """This process's resident memory (Linux; 0 where /proc is absent)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**30
