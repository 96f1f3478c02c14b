"""The one way a notebook reads data: :func:`load`.

A study reads only the analytic tables of an approved project's research zone,
``<root>/data/research/<project>/analytic/<table>.parquet``. Nothing else is
reachable from here: not the staged, linkage or truth zones, not another
project's tables, not an arbitrary path. The table name is looked up in a fixed
list (never joined into a path as given), the project name must be a plain
identifier of a provisioned project (governance/) built by the pipeline, and the
resolved file must still sit inside the project's analytic directory (so a
symlink cannot lead elsewhere).

``load`` returns a polars **LazyFrame**: studies filter and aggregate before
anything is collected, and only the columns they use are read.

Every read passes :func:`_authorise`, the single seam: the agreement's terms for the
project and the user, and one audit entry per read (docs/governance.md).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import polars as pl
import yaml

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
    "school_years",
    "coverage",
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


@dataclass(frozen=True)
class Access:
    """A granted access: the agreement, the project's approval, and who is reading."""

    terms: Any  # enclave.governance.agreement.Agreement
    approval: Any  # enclave.governance.projects.Project
    user: str


def authorise_project(project: str, paths: Paths) -> Access:
    """May the current user work in ``project``? Under the agreement (``governance/`` at
    the root):

    * the project has a request under ``governance/projects/`` and is provisioned
      (every steward has signed, today lies between its start and expiry);
    * the user (``ENCLAVE_USER``, else the operating system user) is its lead or a
      member, or the operator's pipeline account that runs approved studies;
    * the pipeline builds the project's zone (``deid.projects`` in params.yaml).

    A refusal is an :class:`AccessError` naming the reason.
    """
    from enclave.config import ConfigError
    from enclave.governance import agreement, audit, projects

    if not isinstance(project, str) or not _PROJECT.fullmatch(project):
        raise AccessError("project names are lower-case identifiers")
    if not paths.params_file.is_file():
        raise AccessError(
            f"no params.yaml under {paths.root}: run from the project root or set ENCLAVE_ROOT"
        )
    try:
        terms = agreement.load(root=paths.root)
    except ConfigError as exc:
        raise AccessError(f"the agreement cannot be read: {exc}") from None
    if not projects.path_of(project, paths.root).is_file():
        raise AccessError(
            f"project {project} is not approved: no request under governance/projects"
        )
    try:
        approval = projects.load(project, terms, paths.root)
    except ConfigError as exc:
        raise AccessError(f"project {project}: its request is invalid: {exc}") from None
    state = projects.status(project, approval, terms, datetime.date.today())
    if not state.provisioned:
        raise AccessError(state.reason)
    user = audit.current_user()
    if user not in approval.users and user != terms.pipeline_account:
        raise AccessError(f"user {user} is not a member of project {project}")
    if project not in config.load(paths.params_file).deid.projects:
        raise AccessError(f"project {project} is not approved (deid.projects in params.yaml)")
    return Access(terms, approval, user)


def _authorise(project: str, table: str, paths: Paths) -> None:
    """May this read happen? :func:`authorise_project`, and the table is one the
    approval names. A granted read writes one audit entry (who, project, table, the
    zone's DVC hash, purpose) before any data is read.
    """
    from enclave.disclosure import rules
    from enclave.governance import audit, projects

    access = authorise_project(project, paths)
    if table not in access.approval.tables:
        raise AccessError(
            f"project {project}: table {table} is outside its approval"
            f" (approved: {', '.join(access.approval.tables)})"
        )
    # what is shown from here on is bound by these parties' disclosure rules
    rules.note_read(access.terms, projects.parties_of(access.approval, access.terms))
    audit.Log.default().append(
        "load",
        project=project,
        user=access.user,
        what={"table": table},
        data_version=data_version(paths, project),
        purpose=access.approval.purpose,
    )


def data_version(paths: Paths, project: str) -> str | None:
    """The DVC hash of the project's analytic zone as ``dvc.lock`` records it, if it does."""
    lock = paths.root / "dvc.lock"
    if not lock.is_file():
        return None
    target = f"data/research/{project}/analytic"
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    for stage in stages.values():
        for out in stage.get("outs", []):
            if out.get("path") == target:
                return out.get("md5")
    return None
