"""Project requests and approvals: ``governance/projects/<id>.yaml``.

A project names its purpose (one of the agreement's), its lead and members, the
datasets it needs (and, where narrower, the analytic tables and columns), the period it
studies, and when it starts and expires. It is *provisioned* (its research zone may be
built and read) only when the steward of every party whose data it uses has signed
(``approvals``, who and when) and today lies between start and expiry.

The file's name is the project id. Files are read as strictly as ``params.yaml``.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from enclave.config import ConfigError, parse, read_yaml
from enclave.data import TABLES  # the analytic tables a project may ask for
from enclave.governance.agreement import GOVERNANCE_DIR, Agreement

PROJECTS_DIR = GOVERNANCE_DIR / "projects"
#: a project id: a file name and a directory name in every zone
PROJECT_ID = re.compile(r"[a-z][a-z0-9_]{0,63}")


@dataclass(frozen=True)
class Approval:
    #: the steward's user name
    by: str
    #: the date of the sign-off (ISO)
    date: str


@dataclass(frozen=True)
class Project:
    title: str
    purpose: str
    lead: str
    members: tuple[str, ...]
    #: datasets by contract name (governance/agreement.yaml)
    datasets: tuple[str, ...]
    #: the study period: data outside it is not provisioned
    period_start: str
    period_end: str
    #: the approval's life: provisioned from ``start`` to ``expiry`` inclusive
    start: str
    expiry: str
    #: analytic tables the project may read (all, unless narrower)
    tables: tuple[str, ...] = TABLES
    #: table -> the only columns of it the project may read, where narrower
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: party code -> the steward's sign-off
    approvals: dict[str, Approval] = field(default_factory=dict)

    @property
    def users(self) -> tuple[str, ...]:
        return (self.lead, *(m for m in self.members if m != self.lead))


@dataclass(frozen=True)
class Status:
    """Where a project stands under the agreement on a given day."""

    project: str
    parties: tuple[str, ...]
    missing_approvals: tuple[str, ...]
    expired: bool
    not_started: bool

    @property
    def provisioned(self) -> bool:
        return not (self.missing_approvals or self.expired or self.not_started)

    @property
    def reason(self) -> str:
        """Why the project is not provisioned ("" if it is)."""
        if self.missing_approvals:
            return (
                f"project {self.project}: no approval yet from {', '.join(self.missing_approvals)}"
            )
        if self.expired:
            return f"project {self.project}: approval expired"
        if self.not_started:
            return f"project {self.project}: approval not started yet"
        return ""


def _date(value: str, source: str, key: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{source}: '{key}': not an ISO date (YYYY-MM-DD)") from None


def check(project: Project, agreement: Agreement, source: str) -> None:
    """The rules linking a project to the agreement."""
    if project.purpose not in agreement.purposes:
        raise ConfigError(
            f"{source}: 'purpose' must be one of the agreement's: {list(agreement.purposes)}"
        )
    known = agreement.datasets
    for dataset in project.datasets:
        if dataset not in known:
            raise ConfigError(f"{source}: 'datasets': {dataset!r} is in no party's contribution")
    if not project.datasets:
        raise ConfigError(f"{source}: 'datasets': at least one")
    for table in (*project.tables, *project.columns):
        if table not in TABLES:
            raise ConfigError(f"{source}: 'tables': unknown analytic table {table!r}")
    for key in ("period_start", "period_end", "start", "expiry"):
        _date(getattr(project, key), source, key)
    if project.period_start > project.period_end:
        raise ConfigError(f"{source}: 'period_end' is before 'period_start'")
    if project.start > project.expiry:
        raise ConfigError(f"{source}: 'expiry' is before 'start'")
    parties = parties_of(project, agreement)
    for code, approval in project.approvals.items():
        if code not in parties:
            raise ConfigError(f"{source}: 'approvals.{code}': the project uses no data of {code}")
        if approval.by not in agreement.parties[code].stewards:
            raise ConfigError(
                f"{source}: 'approvals.{code}.by': {approval.by!r} is not a steward of {code}"
            )
        _date(approval.date, source, f"approvals.{code}.date")


def parties_of(project: Project, agreement: Agreement) -> tuple[str, ...]:
    """The parties whose data the project uses, sorted."""
    return tuple(sorted({agreement.party_of(d) for d in project.datasets}))


def path_of(project_id: str, root: Path | None = None) -> Path:
    if not PROJECT_ID.fullmatch(project_id):
        raise ConfigError(f"project id {project_id!r}: lower-case letters, digits and _ only")
    return Path(root or ".") / PROJECTS_DIR / f"{project_id}.yaml"


def load(project_id: str, agreement: Agreement, root: Path | None = None) -> Project:
    path = path_of(project_id, root)
    project = parse(Project, read_yaml(path), str(path))
    check(project, agreement, str(path))
    return project


def load_all(agreement: Agreement, root: Path | None = None) -> dict[str, Project]:
    """Every project file, by id, sorted."""
    folder = Path(root or ".") / PROJECTS_DIR
    ids = sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []
    return {i: load(i, agreement, root) for i in ids}


def status(project_id: str, project: Project, agreement: Agreement, today: datetime.date) -> Status:
    parties = parties_of(project, agreement)
    return Status(
        project=project_id,
        parties=parties,
        missing_approvals=tuple(p for p in parties if p not in project.approvals),
        expired=today > datetime.date.fromisoformat(project.expiry),
        not_started=today < datetime.date.fromisoformat(project.start),
    )


def to_yaml(project: Project) -> str:
    """The project file's text (keys in the dataclass's order)."""
    data = dataclasses.asdict(project)
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in data.items()}
    data["columns"] = {t: list(c) for t, c in project.columns.items()}
    if not data["columns"]:
        del data["columns"]
    if not data["approvals"]:
        del data["approvals"]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write(project_id: str, project: Project, root: Path | None = None) -> Path:
    from enclave import io

    path = path_of(project_id, root)
    with io.atomic_file(path) as tmp:
        tmp.write_text(to_yaml(project), encoding="utf-8")
    return path
