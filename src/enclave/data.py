"""The one way a notebook reads data: :func:`load`.

A study reads only the analytic tables of an approved project's research zone,
``<root>/data/research/<project>/analytic/<table>.parquet``. Nothing else is
reachable from here: not the staged, linkage or truth zones, not another
project's tables, not an arbitrary path. The table name is looked up in a fixed
list (never joined into a path as given), the project name must be a plain
identifier listed in the root's ``params.yaml`` (``deid.projects``), and the
resolved file must still sit inside the project's analytic directory (so a
symlink cannot lead elsewhere).

``load`` returns a polars **LazyFrame**: studies filter and aggregate before
anything is collected, and only the columns they use are read.

Later work adds project approvals (governance) and an audit log of every read;
both go in :func:`_authorise`, the single seam every read passes through.
"""

from __future__ import annotations

import re

import polars as pl

from enclave import config
from enclave.errors import EnclaveError
from enclave.paths import Paths

#: the analytic tables a study may read (docs/INTERFACES.md, build -> analytic tables)
TABLES: tuple[str, ...] = (
    "persons",
    "program_spells",
    "person_quarters",
    "life_events",
    "family_links",
)

_PROJECT = re.compile(r"[a-z][a-z0-9_]{0,63}")


class AccessError(EnclaveError):
    """A read the enclave does not allow (unknown table, unapproved project, other zone)."""


def load(table: str, project: str, *, paths: Paths | None = None) -> pl.LazyFrame:
    """Read one analytic table of an approved project, lazily.

    ``paths`` defaults to :meth:`Paths.from_env` (``ENCLAVE_ROOT``, else the current
    directory).

    >>> load("../../staged/hfs/identifiers", project="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    enclave.data.AccessError: unknown analytic table; choose one of persons, ...
    """
    if table not in TABLES:
        raise AccessError(f"unknown analytic table; choose one of {', '.join(TABLES)}")
    paths = paths or Paths.from_env()
    _authorise(project, table, paths)
    directory = paths.analytic(project).resolve()
    path = (directory / f"{table}.parquet").resolve()
    if path.parent != directory:
        raise AccessError(f"project {project}: table {table} resolves outside the analytic zone")
    if not path.is_file():
        raise AccessError(
            f"project {project}: table {table} not built yet (run the build stage first)"
        )
    return pl.scan_parquet(path)


def _authorise(project: str, table: str, paths: Paths) -> None:
    """May this read happen? Today: the project is approved in ``params.yaml``.

    The seam for governance: project approvals per researcher, and the audit log
    entry (who, project, table, when) are added here.
    """
    if not isinstance(project, str) or not _PROJECT.fullmatch(project):
        raise AccessError("project names are lower-case identifiers")
    if not paths.params_file.is_file():
        raise AccessError(
            f"no params.yaml under {paths.root}: run from the project root or set ENCLAVE_ROOT"
        )
    approved = config.load(paths.params_file).deid.projects
    if project not in approved:
        raise AccessError(f"project {project} is not approved (deid.projects in params.yaml)")
