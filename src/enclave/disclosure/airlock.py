"""The airlock: how a study's results leave the enclave, after the output checker, two
output checkers' review and the release ledger.

Three steps, each a separate person's act, each audited (action ``export``, with
``what.step`` naming the step) and recorded in ``<state>/airlock/requests/<id>.json``:

1. :func:`request` (the researcher): the output checker (:mod:`enclave.disclosure.checker`)
   reads the whole study folder under the agreement's rules; a blocked folder is
   refused with its findings. The requested files' count tables are compared with the
   release ledger (:mod:`enclave.disclosure.ledger`); a differencing hit is refused,
   naming both tables. Otherwise the request records each file's SHA-256, the checker's
   result and the requested certificates, under the id ``<study>-<NNNN>``.
2. :func:`review` (an output checker of the agreement, never the requester, once per
   request): approve, or reject with a reason. A rejection is final.
3. :func:`release`: with two approvals from two distinct reviewers and no rejection,
   the files (unchanged since the request: their copies are hashed again) are copied
   to ``releases/<id>/`` with a ``manifest.json``, atomically, and their tables join
   the ledger. The ledger is checked again under its lock, so two requests pending at
   once cannot both release a differencing pair. A request is released once.

Messages and audit entries name files, cells and reason codes, never a published
value; a reviewer's reason stays in the request record, out of the audit log.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enclave import io
from enclave.disclosure import checker, ledger, safe
from enclave.disclosure.review import StudyRules, check_under
from enclave.errors import EnclaveError

AIRLOCK_DIR = "airlock"
MANIFEST = "manifest.json"
#: approvals a release needs, each from a different output checker
APPROVALS = 2
ID = re.compile(r"^(?P<study>[A-Za-z0-9_][A-Za-z0-9_.-]*)-(?P<seq>\d{4,})$")
STUDY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
#: findings shown when the checker blocks a folder
SHOWN = 10


class AirlockError(EnclaveError):
    """An export step refused: wrong person, wrong state, a file changed."""


class ExportRefused(AirlockError):
    """The output checker or the release ledger blocked the export."""

    exit_code = 1


# --------------------------------------------------------------------------- the store


@dataclass(frozen=True)
class Store:
    """The airlock's records under the state directory: requests and the ledger."""

    folder: Path

    @classmethod
    def under(cls, state: Path) -> Store:
        return cls(Path(state) / AIRLOCK_DIR)

    @property
    def requests(self) -> Path:
        return self.folder / "requests"

    @property
    def ledger(self) -> Path:
        return self.folder / ledger.LEDGER_NAME

    def path(self, request_id: str) -> Path:
        if not ID.match(request_id):
            raise AirlockError(f"{request_id!r} is not a request id (<study>-NNNN)")
        return self.requests / f"{request_id}.json"

    def load(self, request_id: str) -> dict[str, Any]:
        path = self.path(request_id)
        if not path.is_file():
            raise AirlockError(f"no export request {request_id} (see enclave export status)")
        return json.loads(path.read_text(encoding="utf-8"))

    def save(self, record: dict[str, Any]) -> None:
        """Replace the record (call while :meth:`locked`)."""
        path = self.path(record["id"])
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def records(self) -> list[dict[str, Any]]:
        paths = sorted(self.requests.glob("*.json")) if self.requests.is_dir() else []
        return [json.loads(p.read_text(encoding="utf-8")) for p in paths if ID.match(p.stem)]

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One step at a time: ids are allocated and records changed under this lock."""
        self.requests.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def next_id(self, study: str) -> str:
        """The study's next request id (call while :meth:`locked`)."""
        taken = [
            int(m["seq"])
            for p in self.requests.glob(f"{study}-*.json")
            if (m := ID.match(p.stem)) and m["study"] == study
        ]
        return f"{study}-{max(taken, default=0) + 1:04d}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- request


def request(
    directory: Path,
    rules: StudyRules,
    files: Sequence[str] | None,
    *,
    user: str,
    store: Store,
    log: Any,
) -> dict[str, Any]:
    """Ask to export ``files`` (relative to ``directory``, default all) of a study's
    output folder; returns the request record (its ``id`` names it from now on)."""
    directory = Path(directory)
    if not STUDY.match(rules.study):
        raise AirlockError(f"{rules.study!r} is not a study name")
    if not directory.is_dir():
        raise AirlockError(f"study {rules.study}: no output folder {directory}")
    if user not in rules.members:
        raise AirlockError(
            f"study {rules.study}: {user} is not a member of project {rules.project}; only its "
            "lead and members may ask to export its results"
        )
    chosen = select(directory, files)
    hashes = {f: sha256(directory / f) for f in chosen}
    report = _checked(directory, rules)
    if any(sha256(directory / f) != h for f, h in hashes.items()):
        raise AirlockError(f"study {rules.study}: files changed during the check; request again")
    certificates = [c for c in report.certificates if c["file"] in chosen]
    min_cell = int(report.rules["min_cell"])
    hits = _hits(certificates, "this request", ledger.read(store.ledger, min_cell), min_cell)
    if hits:
        raise ExportRefused(
            f"study {rules.study}: differencing against released tables:\n" + _lines(hits)
        )
    record = {
        "study": rules.study,
        "project": rules.project,
        "requester": user,
        "requested_at": _now(),
        "directory": str(directory.resolve()),
        "files": [{"file": f, "sha256": h} for f, h in hashes.items()],
        "checker": {
            "passed": report.passed,
            "rules": report.rules,
            "files": len(report.files),
            "certificates": len(report.certificates),
        },
        "certificates": certificates,
        "reviews": [],
        "release": None,
    }
    with store.locked():
        record = {"id": store.next_id(rules.study), **record}
        store.save(record)
    _audit(log, "request", record, user, files=len(chosen), certificates=len(certificates))
    return record


def _checked(directory: Path, rules: StudyRules) -> checker.Report:
    report = check_under(directory, rules)
    if not report.passed:
        shown = [f"{f.file}: {f.where}: {f.code}" for f in report.findings[:SHOWN]]
        if len(report.findings) > SHOWN:
            shown.append(f"... and {len(report.findings) - SHOWN} more (enclave outputs check)")
        raise ExportRefused(
            f"study {rules.study}: blocked by the output checker, {len(report.findings)} "
            "findings (file: where: reason):\n" + "\n".join(shown)
        )
    return report


def select(directory: Path, files: Sequence[str] | None) -> list[str]:
    """The files to export, relative to ``directory``: the named ones (a folder stands
    for the files in it; a table brings its certificate), or every file."""
    root = directory.resolve()
    named = [root] if not files else [(root / f).resolve() for f in files]
    chosen: set[Path] = set()
    for path, given in zip(named, files or ["."], strict=True):
        if not path.is_relative_to(root):
            raise AirlockError(f"{given}: outside the study's output folder {directory}")
        if path.is_dir():
            chosen.update(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            chosen.add(path)
            sidecar = path.with_name(path.name + safe.SIDECAR)
            if sidecar.is_file():
                chosen.add(sidecar)
        else:
            raise AirlockError(f"{given}: no such file in {directory}")
    if not chosen:
        raise AirlockError(f"{directory}: nothing to export")
    return sorted(p.relative_to(root).as_posix() for p in chosen)


def _hits(
    certificates: list[dict[str, Any]], source: str, released: list[ledger.Table], min_cell: int
) -> list[ledger.Hit]:
    """Differencing of the count tables among ``certificates`` against ``released``."""
    new = [ledger.Table.of(c, source, min_cell) for c in ledger.counted(certificates)]
    return ledger.differencing(new, released) if new else []


def _lines(hits: list[ledger.Hit]) -> str:
    return "\n".join(str(h) for h in hits)


def _audit(log: Any, step: str, record: dict[str, Any], user: str, **what: Any) -> None:
    details = {"step": step, "id": record["id"], "study": record["study"], **what}
    log.append("export", project=record["project"], user=user, what=details)


# --------------------------------------------------------------------------- review


def review(
    request_id: str,
    *,
    user: str,
    approve: bool,
    reason: str | None = None,
    checkers: Collection[str],
    store: Store,
    log: Any,
) -> dict[str, Any]:
    """Record ``user``'s verdict on a request; returns the updated record."""
    if user not in checkers:
        raise AirlockError(
            f"{user} is not an output checker of the agreement ({', '.join(sorted(checkers))})"
        )
    if not approve and not (reason or "").strip():
        raise AirlockError(f"{request_id}: a rejection needs a reason")
    with store.locked():
        record = store.load(request_id)
        _open(record)
        if user == record["requester"]:
            raise AirlockError(f"{request_id}: {user} requested it and may not review it")
        if any(r["by"] == user for r in record["reviews"]):
            raise AirlockError(f"{request_id}: {user} has reviewed it already")
        verdict = "approved" if approve else "rejected"
        entry = {"by": user, "at": _now(), "verdict": verdict, "reason": reason or ""}
        record["reviews"].append(entry)
        store.save(record)
    _audit(log, "review", record, user, verdict=verdict)
    return record


def _open(record: dict[str, Any]) -> None:
    """Refuse a request that is final: released, or rejected."""
    if record.get("release"):
        raise AirlockError(f"{record['id']}: released already")
    rejected = [r["by"] for r in record["reviews"] if r["verdict"] == "rejected"]
    if rejected:
        raise AirlockError(f"{record['id']}: rejected by {', '.join(rejected)}")


def approvers(record: dict[str, Any]) -> list[str]:
    """The distinct reviewers, not the requester, who approved."""
    names = [r["by"] for r in record["reviews"] if r["verdict"] == "approved"]
    return sorted(set(names) - {record["requester"]})


def state_of(record: dict[str, Any]) -> str:
    if record.get("release"):
        return "released"
    if any(r["verdict"] == "rejected" for r in record["reviews"]):
        return "rejected"
    k = len(approvers(record))
    return f"approved by {k}" if k else "requested"


# --------------------------------------------------------------------------- release


def release(request_id: str, *, releases: Path, user: str, store: Store, log: Any) -> Path:
    """Copy an approved request's files to ``releases/<id>/`` with a manifest, and add
    its tables to the ledger; returns the release folder."""
    target = Path(releases) / request_id
    with store.locked():
        record = store.load(request_id)
        _open(record)
        names = approvers(record)
        if len(names) < APPROVALS:
            raise AirlockError(
                f"{request_id}: needs {APPROVALS} approvals by distinct output checkers, "
                f"has {len(names)}"
            )
        if target.exists():
            raise AirlockError(f"{request_id}: {target} exists already")
        at = _now()
        _changed(record)
        min_cell = int(record["checker"]["rules"]["min_cell"])
        with ledger.hold(store.ledger) as book:
            if request_id in book.releases():
                raise AirlockError(
                    f"{request_id}: in the release ledger already, but not released (an "
                    "interrupted release): ask the operator"
                )
            _check_ledger(record, book, min_cell)
            with io.atomic_dir(target) as tmp:
                _copy(record, tmp)
                manifest = _manifest(record, user, at)
                (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
                # before the folder appears: a crash may leave the ledger one release
                # ahead of the folders (more hits later), never behind
                book.append(ledger.entries(request_id, record["certificates"], min_cell, at))
        record["release"] = {"by": user, "at": at, "folder": str(target.resolve())}
        store.save(record)
    _audit(log, "release", record, user, files=len(record["files"]), reviewers=names)
    return target


def _changed(record: dict[str, Any]) -> None:
    """Refuse if a requested file changed (or went) since the request."""
    source = Path(record["directory"])
    for item in record["files"]:
        path = source / item["file"]
        if not path.is_file() or sha256(path) != item["sha256"]:
            raise AirlockError(
                f"{record['id']}: {item['file']} changed since the request; request it again"
            )


def _check_ledger(record: dict[str, Any], book: ledger.Ledger, min_cell: int) -> None:
    """Again at release, under the ledger's lock: another request may have left since."""
    hits = _hits(record["certificates"], record["id"], book.tables(min_cell), min_cell)
    if hits:
        raise ExportRefused(
            f"{record['id']}: differencing against released tables:\n" + _lines(hits)
        )


def _copy(record: dict[str, Any], folder: Path) -> None:
    """Copy the files, then hash the copies: what leaves is what was reviewed."""
    source = Path(record["directory"])
    for item in record["files"]:
        copy = folder / item["file"]
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / item["file"], copy)
        if sha256(copy) != item["sha256"]:
            raise AirlockError(
                f"{record['id']}: {item['file']} changed since the request; request it again"
            )


def _manifest(record: dict[str, Any], user: str, at: str) -> dict[str, Any]:
    return {
        "id": record["id"],
        "study": record["study"],
        "project": record["project"],
        "files": {f["file"]: f["sha256"] for f in record["files"]},
        "rules": record["checker"]["rules"],
        "checker": record["checker"],
        "requested": {"by": record["requester"], "at": record["requested_at"]},
        "reviews": [{k: r[k] for k in ("by", "at", "verdict")} for r in record["reviews"]],
        "released": {"by": user, "at": at},
    }


# --------------------------------------------------------------------------- status


def status(store: Store, request_id: str | None = None) -> list[str]:
    """One line per request (id, study, requester, state), or one request in detail."""
    if request_id is not None:
        return _detail(store.load(request_id))
    lines = [
        f"{r['id']}: {r['study']} by {r['requester']} at {r['requested_at']}: {state_of(r)}"
        for r in store.records()
    ]
    return lines or ["no export requests"]


def _detail(record: dict[str, Any]) -> list[str]:
    lines = [
        f"{record['id']}: {state_of(record)}",
        f"  study {record['study']} (project {record['project']}), requested by "
        f"{record['requester']} at {record['requested_at']}",
        f"  {len(record['files'])} files, {len(record['certificates'])} certified outputs",
    ]
    for r in record["reviews"]:
        reason = f": {r['reason']}" if r.get("reason") else ""
        lines.append(f"  {r['verdict']} by {r['by']} at {r['at']}{reason}")
    if record.get("release"):
        release = record["release"]
        lines.append(f"  released by {release['by']} at {release['at']} to {release['folder']}")
    return lines
