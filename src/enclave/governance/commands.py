"""``enclave governance`` and ``enclave audit``: what stewards, leads and governance
officers type. Each function returns the lines it prints (tests read them)."""

from __future__ import annotations

import datetime
from pathlib import Path

from enclave.config import ConfigError
from enclave.governance import agreement as agreement_mod
from enclave.governance import audit, projects
from enclave.governance.projects import Approval, Project


def _today() -> datetime.date:
    return datetime.date.today()


def request(
    root: Path,
    project_id: str,
    *,
    title: str | None,
    purpose: str | None,
    lead: str | None,
    members: list[str],
    datasets: list[str],
    period: tuple[str, str] | None,
    expiry: str | None,
    start: str | None,
    tables: list[str],
    log: audit.Log | None,
) -> list[str]:
    """Write a new project request, or (no fields given) check an existing file."""
    agreement = agreement_mod.load(root=root)
    path = projects.path_of(project_id, root)
    fields = (title, purpose, lead, datasets, period, expiry)
    if not any(fields):
        project = projects.load(project_id, agreement, root)
        return [f"{path}: valid request", *_status_lines(project_id, project, agreement)]
    if path.exists():
        raise ConfigError(f"{path}: project {project_id} exists already (edit it, or approve it)")
    missing = [n for n, v in zip(("--title", "--purpose", "--lead", "--dataset", "--period",
                                  "--expiry"), fields, strict=True) if not v]  # fmt: skip
    if missing:
        raise ConfigError(f"request {project_id}: missing {', '.join(missing)}")
    project = Project(
        title=title,
        purpose=purpose,
        lead=lead,
        members=tuple(dict.fromkeys([lead, *members])),
        datasets=tuple(dict.fromkeys(datasets)),
        period_start=period[0],
        period_end=period[1],
        start=start or _today().isoformat(),
        expiry=expiry,
        tables=tuple(tables) or projects.TABLES,
    )
    projects.check(project, agreement, str(path))
    projects.write(project_id, project, root)
    if log is not None:
        log.append("request", project=project_id, purpose=purpose, what={"datasets": datasets})
    return [f"{path}: request written", *_status_lines(project_id, project, agreement, root)]


def approve(
    root: Path, project_id: str, party: str, by: str, on: str | None, log: audit.Log | None
) -> list[str]:
    """Record a steward's sign-off for one party's data."""
    agreement = agreement_mod.load(root=root)
    project = projects.load(project_id, agreement, root)
    source = str(projects.path_of(project_id, root))
    if party not in agreement.parties:
        raise ConfigError(f"approve {project_id}: unknown party {party!r}")
    if party not in projects.parties_of(project, agreement):
        raise ConfigError(f"approve {project_id}: the project uses no data of {party}")
    if by not in agreement.parties[party].stewards:
        raise ConfigError(f"approve {project_id}: {by!r} is not a steward of {party}")
    approvals = dict(project.approvals)
    approvals[party] = Approval(by=by, date=on or _today().isoformat())
    updated = Project(**{**project.__dict__, "approvals": approvals})
    projects.check(updated, agreement, source)
    projects.write(project_id, updated, root)
    if log is not None:
        log.append(
            "approval",
            project=project_id,
            purpose=project.purpose,
            what={"party": party, "signed_by": by},
        )
    return [
        f"{source}: {party} approved by {by}",
        *_status_lines(project_id, updated, agreement, root),
    ]


def _built(root: Path | None) -> set[str] | None:
    """The projects the pipeline builds (``deid.projects``), if params.yaml is there."""
    from enclave import config

    params = Path(root or ".") / "params.yaml"
    return set(config.load(params).deid.projects) if params.is_file() else None


def _status_lines(
    project_id: str, project: Project, agreement, root: Path | None = None
) -> list[str]:
    s = projects.status(project_id, project, agreement, _today())
    state = "provisioned" if s.provisioned else f"NOT provisioned ({s.reason})"
    built = _built(root)
    if s.provisioned and built is not None and project_id not in built:
        state += (
            f"; its zone is not built yet: add {project_id} to deid.projects in params.yaml, "
            "then dvc repro"
        )
    return [
        f"{project_id}: {state}",
        f"  purpose: {project.purpose}; lead {project.lead}; {len(project.users)} user(s)",
        f"  data: {', '.join(project.datasets)}; tables: {', '.join(project.tables)}",
        f"  period {project.period_start} to {project.period_end}; approval"
        f" {project.start} to {project.expiry}",
        f"  approvals: {', '.join(sorted(project.approvals)) or 'none'}; missing:"
        f" {', '.join(s.missing_approvals) or 'none'}",
    ]


def status(root: Path) -> list[str]:
    agreement = agreement_mod.load(root=root)
    lines = []
    for project_id, project in projects.load_all(agreement, root).items():
        lines += _status_lines(project_id, project, agreement, root)
    return lines or ["no project requests under governance/projects/"]


def agency(root: Path, party: str) -> list[str]:
    """For a steward: every project using this party's data."""
    agreement = agreement_mod.load(root=root)
    if party not in agreement.parties:
        raise ConfigError(f"unknown party {party!r} (parties: {sorted(agreement.parties)})")
    lines = [f"{party}: {agreement.parties[party].name}"]
    for project_id, project in projects.load_all(agreement, root).items():
        if party not in projects.parties_of(project, agreement):
            continue
        s = projects.status(project_id, project, agreement, _today())
        signed = project.approvals.get(party)
        lines.append(
            f"  {project_id}: {project.purpose}; expires {project.expiry}; "
            + (f"approved by {signed.by} on {signed.date}" if signed else "awaiting your approval")
            + ("" if s.provisioned else f"; not provisioned: {s.reason}")
        )
    return lines


def audit_show(log: audit.Log, project: str | None, user: str | None) -> list[str]:
    return [
        f"{e['seq']:>6} {e['at']} {e['user']} {e['action']} {e['project'] or '-'} "
        f"{e['what']} {e['data_version'] or ''}".rstrip()
        for e in audit.show(log.entries(), project, user)
    ]
