"""The checker for a study: the rules come from the agreement, never from the study.

A study's outputs show its project's data, so the rules that bind them are the
strictest of every party whose data the project holds (``Agreement.strictest`` over
:func:`enclave.governance.projects.parties_of`): a superset of what the notebook read,
so nothing the notebook does can loosen them. The study's own date parameters (its
period) may be shown; any other full date is blocked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enclave import config
from enclave.disclosure import checker
from enclave.disclosure.rules import DisclosureError


class OutputCheckFailed(DisclosureError):
    """The checker blocked something; the message names the first findings."""

    exit_code = 1


@dataclass(frozen=True)
class StudyRules:
    study: str
    project: str
    parties: tuple[str, ...]
    rules: Any  # DisclosureRules
    allowed_dates: frozenset[str]
    #: who may ask to export the study's results: the project's lead and members
    members: frozenset[str] = frozenset()


def study_rules(study: str, params: config.Params, root: Path) -> StudyRules:
    """The rules and the allowed dates for ``study``'s outputs."""
    from enclave.governance import agreement, projects

    section = getattr(params.studies, study, None)
    if section is None:
        raise DisclosureError(f"study {study}: no section studies.{study} in params.yaml")
    terms = agreement.load(root=root)
    project = projects.load(section.project, terms, root)
    parties = projects.parties_of(project, terms)
    values = config.to_mapping(section)
    dates = frozenset(
        v for v in values.values() if isinstance(v, str) and checker.DATE.fullmatch(v)
    )
    members = frozenset({project.lead, *project.members})
    return StudyRules(study, section.project, parties, terms.strictest(parties), dates, members)


def all_parties_rules(root: Path) -> Any:
    """The strictest rules of the whole agreement: for a folder of unknown lineage."""
    from enclave.governance import agreement

    return agreement.load(root=root).strictest([])


def check_study(
    directory: Path, study: str | None, params: config.Params, root: Path
) -> checker.Report:
    """Check ``directory``: under ``study``'s rules, or the whole agreement's strictest."""
    if study is None:
        return checker.check(directory, all_parties_rules(root))
    return check_under(directory, study_rules(study, params, root))


def check_under(directory: Path, found: StudyRules) -> checker.Report:
    """Check ``directory`` under a study's rules; the report names its parties and project."""
    report = checker.check(directory, found.rules, allowed_dates=found.allowed_dates)
    report.rules = {**report.rules, "parties": list(found.parties), "project": found.project}
    return report


def write_report(report: checker.Report, path: Path) -> Path:
    from enclave import io

    with io.atomic_file(Path(path)) as tmp:
        tmp.write_text(json.dumps(report.to_json(), indent=1, sort_keys=True) + "\n")
    return Path(path)


def summary(report: checker.Report, limit: int = 10) -> str:
    """One line per finding (the first ``limit``), for the terminal and the error."""
    lines = [str(f) for f in report.findings[:limit]]
    more = len(report.findings) - limit
    if more > 0:
        lines.append(f"... and {more} more (see the report)")
    return "\n".join(lines)


def run(
    directory: Path, study: str | None, params: config.Params, root: Path, report_path: Path | None
) -> str:
    """``enclave outputs check``: check, write the report (even when blocked, for the
    reviewer), and answer one line; a blocked folder is an :class:`OutputCheckFailed`."""
    report = check_study(Path(directory), study, params, root)
    if report_path is not None:
        write_report(report, report_path)
    if not report.passed:
        raise OutputCheckFailed(
            f"{directory}: blocked, {len(report.findings)} findings (file: where: reason):\n"
            + summary(report)
        )
    return (
        f"{directory}: passed ({len(report.files)} files, "
        f"{len(report.certificates)} certified outputs)"
    )
