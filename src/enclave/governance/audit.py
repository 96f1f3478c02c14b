"""The audit log: who read or changed what, append-only, chained and sealed.

One JSON object per line in ``audit.jsonl`` under the enclave's state directory
(``ENCLAVE_STATE``, else ``$XDG_STATE_HOME/enclave``, else ``~/.local/state/enclave``;
never in git). Each entry holds:

``seq`` (0, 1, 2...), ``at`` (UTC time), ``user``, ``project``, ``action`` (``load``,
``study``, ``deidentify``, ``build``, ``request``, ``approval``, later ``export``),
``what`` (table, columns...), ``data_version`` (the DVC hash of the zone read, where
known), ``purpose``, ``prev`` (SHA-256 of the previous line; 64 zeros for the first)
and ``mac``: an HMAC-SHA256 of the rest, keyed by a key derived from the master secret,
which the research side cannot read. ``audit.head`` holds the last entry's ``seq`` and
hash, sealed the same way.

:func:`verify` names the first bad entry: an edited entry fails its MAC, a removed,
inserted or reordered one breaks ``seq`` or ``prev``, and a cut tail no longer
reaches the head. Rewriting the whole chain needs the key. Rolling back both files
to an earlier consistent pair is caught only by a witness outside the machine (the
head's hash, copied out); docs/governance.md says how.

Writers take an exclusive ``flock`` on the log for each append, so two studies at once
never interleave or fork the chain. Entries hold names, codes and counts, never a row
value.
"""

from __future__ import annotations

import datetime
import fcntl
import getpass
import hashlib
import hmac
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from enclave.errors import EnclaveError

STATE_ENV = "ENCLAVE_STATE"
USER_ENV = "ENCLAVE_USER"
#: inside the research sandbox: where audit entries are spooled for the runner to seal
SPOOL_ENV = "ENCLAVE_AUDIT_SPOOL"
LOG_NAME = "audit.jsonl"
HEAD_NAME = "audit.head"
GENESIS = "0" * 64
ACTIONS = ("load", "study", "deidentify", "build", "request", "approval", "export")
_FIELDS = ("seq", "at", "user", "project", "action", "what", "data_version", "purpose", "prev")


class AuditError(EnclaveError):
    """The audit log cannot be written or read."""


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(STATE_ENV):
        return Path(env[STATE_ENV])
    base = Path(env["XDG_STATE_HOME"]) if env.get("XDG_STATE_HOME") else None
    return (base or Path.home() / ".local" / "state") / "enclave"


def current_user(environ: Mapping[str, str] | None = None) -> str:
    """``ENCLAVE_USER`` if set, else the operating system's user name."""
    env = os.environ if environ is None else environ
    return env.get(USER_ENV) or getpass.getuser()


def audit_key(master: bytes | None = None) -> bytes:
    """The log's MAC key, derived from the master secret (enclave.deid.pseudonym)."""
    from enclave.deid.pseudonym import resolve_master_key

    master = resolve_master_key() if master is None else master
    return hmac.digest(master, b"enclave-audit-v1", hashlib.sha256)


def _canonical(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _mac(key: bytes, obj: Mapping[str, Any]) -> str:
    return hmac.new(key, _canonical(obj), hashlib.sha256).hexdigest()


def _hash(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


@contextmanager
def _locked(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _last_line(fd: int) -> bytes | None:
    """The file's last non-empty line, read backwards from its end."""
    size = os.fstat(fd).st_size
    block, end, tail = 4096, size, b""
    while end > 0:
        start = max(0, end - block)
        tail = os.pread(fd, end - start, start) + tail
        end = start
        stripped = tail.rstrip(b"\n")
        if b"\n" in stripped or end == 0:
            return stripped.rsplit(b"\n", 1)[-1] or None
    return None


@dataclass(frozen=True)
class Log:
    """The audit log in ``folder`` (the state directory by default), sealed by ``key``."""

    folder: Path
    key: bytes

    @classmethod
    def default(cls) -> Log | Spool:
        """The enclave's log; inside the research sandbox (``ENCLAVE_AUDIT_SPOOL`` set,
        no key at hand), the spool that the runner seals into it afterwards."""
        if os.environ.get(SPOOL_ENV):
            return Spool(Path(os.environ[SPOOL_ENV]))
        return cls(state_dir(), audit_key())

    @property
    def path(self) -> Path:
        return self.folder / LOG_NAME

    @property
    def head_path(self) -> Path:
        return self.folder / HEAD_NAME

    def append(self, action: str, *, project: str | None, **details: Any) -> dict:
        """Append one entry, chained to the last; returns it. ``details``: ``what``,
        ``user`` (default :func:`current_user`), ``data_version``, ``purpose``, ``at``
        (default now), as :func:`_fields` takes them."""
        fields = _fields(action, project, **details)
        with _locked(self.path) as fd:
            last = _last_line(fd)
            seq = 0 if last is None else int(json.loads(last)["seq"]) + 1
            entry = {"seq": seq, **fields, "prev": GENESIS if last is None else _hash(last)}
            entry["mac"] = _mac(self.key, entry)
            line = _canonical(entry)
            os.write(fd, line + b"\n")
            os.fsync(fd)
            self._write_head(seq, _hash(line))
        return entry

    def _write_head(self, seq: int, digest: str) -> None:
        head = {"seq": seq, "hash": digest}
        head["mac"] = _mac(self.key, head)
        tmp = self.head_path.with_suffix(".head.tmp")
        tmp.write_bytes(_canonical(head) + b"\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.head_path)

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_bytes().splitlines() if line]

    def verify(self) -> Verdict:
        return verify(self.path, self.head_path, self.key)


@dataclass(frozen=True)
class Spool:
    """Entries requested where the key is out of reach (the research sandbox): written
    unsealed to a file outside the sandbox's view of the enclave, then sealed into the
    log by :func:`seal_spool`, run by the process that started the sandbox."""

    path: Path

    def append(self, action: str, *, project: str | None, **details: Any) -> dict:
        """As :meth:`Log.append` (same keywords), unsealed and unchained."""
        entry = _fields(action, project, **details)
        with _locked(self.path) as fd:
            os.write(fd, _canonical(entry) + b"\n")
        return entry


def _fields(
    action: str,
    project: str | None,
    what: Mapping[str, Any] | None = None,
    user: str | None = None,
    data_version: str | None = None,
    purpose: str | None = None,
    at: datetime.datetime | None = None,
) -> dict:
    """An entry's own fields (all but ``seq``, ``prev`` and the seal)."""
    if action not in ACTIONS:
        raise AuditError(f"audit: unknown action {action!r}")
    when = at or datetime.datetime.now(datetime.UTC)
    return {
        "at": when.isoformat(timespec="microseconds"),
        "user": user or current_user(),
        "project": project,
        "action": action,
        "what": dict(what or {}),
        "data_version": data_version,
        "purpose": purpose,
    }


def seal_spool(spool: Path, log: Log, **extra_what: Any) -> int:
    """Append the spool's entries to ``log``, sealed, each ``what`` with ``extra_what``;
    returns how many. A line that is not an entry is sealed as a ``spool_error``."""
    if not spool.exists():
        return 0
    count = 0
    for line in spool.read_bytes().splitlines():
        try:
            entry = json.loads(line)
            action = entry["action"] if entry["action"] in ACTIONS else "load"
            log.append(
                action,
                project=entry.get("project"),
                what={**entry.get("what", {}), **extra_what},
                user=entry.get("user"),
                data_version=entry.get("data_version"),
                purpose=entry.get("purpose"),
                at=datetime.datetime.fromisoformat(entry["at"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            log.append("load", project=None, what={"spool_error": "unreadable entry", **extra_what})
        count += 1
    return count


@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    #: the line number (0-based) of the first bad entry, or None
    first_bad: int | None = None
    reason: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit log verified: {self.entries} entries, chain and seal intact"
        where = f"entry {self.first_bad}" if self.first_bad is not None else "the log"
        return f"audit log NOT verified: {where}: {self.reason}"


def verify(path: Path, head_path: Path, key: bytes) -> Verdict:
    """Check every entry's seal, order and chain, and that the log reaches its head."""
    lines = path.read_bytes().split(b"\n") if path.exists() else []
    if lines and lines[-1] == b"":
        lines.pop()
    previous = None
    for index, line in enumerate(lines):
        try:
            entry = json.loads(line)
            mac = entry.pop("mac")
            fields_ok = set(entry) == set(_FIELDS)
        except (ValueError, AttributeError, KeyError, TypeError):
            return Verdict(False, len(lines), index, "not an entry (unreadable JSON)")
        if not fields_ok or not hmac.compare_digest(str(mac), _mac(key, entry)):
            return Verdict(False, len(lines), index, "seal broken: edited or forged")
        if entry["seq"] != index:
            return Verdict(
                False,
                len(lines),
                index,
                f"sequence {entry['seq']} where {index} belongs:"
                " an entry before it was removed, inserted or moved",
            )
        expected = GENESIS if previous is None else _hash(previous)
        if entry["prev"] != expected:
            return Verdict(False, len(lines), index, "chain broken: entries removed or reordered")
        previous = line
    return _verify_head(head_path, key, lines, previous)


def _verify_head(head_path: Path, key: bytes, lines: list[bytes], last: bytes | None) -> Verdict:
    n = len(lines)
    if not head_path.exists():
        if n == 0:
            return Verdict(True, 0)
        return Verdict(False, n, None, "head missing: the log cannot be checked for a cut tail")
    try:
        head = json.loads(head_path.read_bytes())
        mac = head.pop("mac")
    except (ValueError, KeyError, AttributeError):
        return Verdict(False, n, None, "head unreadable")
    if not hmac.compare_digest(str(mac), _mac(key, head)):
        return Verdict(False, n, None, "head seal broken")
    if head["seq"] >= n:
        return Verdict(
            False, n, n, f"tail cut: the head records entry {head['seq']}, the log ends at {n - 1}"
        )
    if head["seq"] != n - 1 or last is None or head["hash"] != _hash(last):
        return Verdict(False, n, head["seq"], "the head does not match the log's last entry")
    return Verdict(True, n)


def show(entries: list[dict], project: str | None = None, user: str | None = None) -> list[dict]:
    """Entries of ``project`` and/or ``user``, in order."""
    return [
        e
        for e in entries
        if (project is None or e.get("project") == project)
        and (user is None or e.get("user") == user)
    ]
