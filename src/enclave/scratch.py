"""Scratch space, one run at a time per output, and what a killed run leaves behind.

A stage killed outright (SIGKILL, the out-of-memory killer, a lost machine) cannot
clean up after itself, so cleaning up is the *next* run's job. It must tell a dead
run's leftovers from a live run's files, and it does so with ``flock`` locks, which
the kernel drops the moment their holder dies:

* **Output lock.** While a run writes an output ``<dir>/<name>``, it holds a lock on
  ``<dir>/.<name>.lock`` (:func:`output_lock`), a file that names the run (process
  id, start time, command). A second run on the same output stops with an
  :class:`OutputBusyError` naming the first. The lock file is removed on release; one
  left by a killed run is taken over and removed by the next.
* **Temporary siblings.** Outputs are written into ``<dir>/.<name>.tmp-XXXXXXXX`` and
  renamed into place (:mod:`enclave.io`). Only the holder of the output lock creates
  them, so once the lock is held every such sibling is a dead run's: removed
  (:func:`sweep_siblings`).
* **Scratch directories.** Identifiable intermediates (the dates of birth that
  de-identification counts, DuckDB's spill of identifier pairs) never sit beside an
  output in a zone that more people can read. They go to ``enclave-<kind>-XXXXXXXX``
  under the scratch root (``ENCLAVE_SCRATCH``, else the system temp directory), a
  directory of mode 0700 that its run keeps locked (:class:`Scratch`). A run sweeps
  the unlocked directories of its kind, and the directory goes with its run.

Locks are advisory and local: they hold between processes of one machine on one
file system (what a DVC pipeline is), not across NFS clients.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from enclave import log
from enclave.errors import EnclaveError

LOG = log.get(__name__)

#: where scratch directories go (default: the system temp directory)
SCRATCH_ENV = "ENCLAVE_SCRATCH"
#: the infix of a temporary sibling's name: ``.<name>.tmp-XXXXXXXX``
TMP_INFIX = ".tmp-"


class OutputBusyError(EnclaveError):
    """Another run is writing the same output."""


# --------------------------------------------------------------------------- output locks


def lock_path(target: Path) -> Path:
    """The lock file of output ``target``: ``.<name>.lock`` beside it."""
    return target.parent / f".{target.name}.lock"


def _holder_text() -> str:
    started = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else "python"
    return f"pid {os.getpid()}, started {started}: {command}\n"


def _flock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed or replaced)."""
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


#: output locks this process holds (lock path -> depth), so a stage can claim its
#: outputs when it starts and still write each through ``io.atomic_dir`` later
_HELD: dict[Path, int] = {}


@contextmanager
def output_lock(target: Path) -> Iterator[None]:
    """Hold the output lock of ``target`` for the block; see the module docstring.

    Raises :class:`OutputBusyError` at once, naming the running holder, if another
    run holds it. Re-entrant within one process.
    """
    path = lock_path(Path(target)).absolute()
    if path in _HELD:
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    created = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _flock(fd):
            holder = _read_holder(fd)
            os.close(fd)
            raise OutputBusyError(
                f"output {target} is being written by another run ({holder}); "
                "wait for it to finish, or stop it"
            )
        # the holder we waited on may have removed the file between our open and lock
        if _same_file(fd, path):
            break
        os.close(fd)
    _HELD[path] = 1
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_text().encode(), 0)
        yield
    finally:
        del _HELD[path]
        path.unlink(missing_ok=True)  # before the lock goes, so no one locks a ghost
        os.close(fd)
        for folder in created:  # made for the lock alone, and still empty: gone again
            with contextlib.suppress(OSError):
                folder.rmdir()


@contextmanager
def claim(*targets: Path) -> Iterator[None]:
    """Lock every output of a stage and sweep what killed runs left, before any work.

    A second run then stops at once, not after minutes of reading, and the leftovers
    of a killed run are gone when this run starts. The stage still writes each output
    through :func:`enclave.io.atomic_dir` or ``atomic_file``, which take the same
    (re-entrant) locks.
    """
    with contextlib.ExitStack() as stack:
        for target in targets:
            stack.enter_context(output_lock(Path(target)))
            sweep_siblings(Path(target))
        yield


def _read_holder(fd: int) -> str:
    try:
        text = os.pread(fd, 4096, 0).decode("utf-8", errors="replace").strip()
    except OSError:
        text = ""
    return text or "holder unknown"


def _sibling_pattern(name: str) -> re.Pattern[str]:
    # ``.<name>.tmp-XXXXXXXX``, and ``.<name>.XXXXXXXX`` as releases before the infix named them
    return re.compile(rf"^\.{re.escape(name)}\.(?:tmp-)?[a-z0-9_]{{8}}$")


def sweep_siblings(target: Path) -> int:
    """Remove the temporary siblings of ``target`` that earlier, interrupted runs left.

    Call only while holding :func:`output_lock` of ``target``. Returns how many went.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return 0
    pattern = _sibling_pattern(target.name)
    removed = 0
    for entry in target.parent.iterdir():
        if not pattern.match(entry.name):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    if removed:
        LOG.warning(
            "removed %d temporary file(s) of %s left by an interrupted run", removed, target
        )
    return removed


# --------------------------------------------------------------------------- scratch


def scratch_root(environ: Mapping[str, str] | None = None) -> Path:
    """``ENCLAVE_SCRATCH`` if set, else the system temp directory (``TMPDIR``...)."""
    env = os.environ if environ is None else environ
    return Path(env[SCRATCH_ENV]) if env.get(SCRATCH_ENV) else Path(tempfile.gettempdir())


class Scratch:
    """A private scratch directory for one run: mode 0700, locked while the run lives.

    ``Scratch("deid")`` first removes every ``enclave-deid-*`` directory of this user
    that no live run holds, then makes its own. :meth:`close` (or leaving the
    ``with`` block) removes it.
    """

    def __init__(self, kind: str, root: Path | None = None) -> None:
        if not re.fullmatch(r"[a-z0-9]+", kind):
            raise ValueError(f"scratch kind must be lower-case letters and digits: {kind!r}")
        self.kind = kind
        root = Path(root) if root is not None else scratch_root()
        root.mkdir(parents=True, exist_ok=True)
        sweep_scratch(root, kind)
        self.path, self._fd = _locked_directory(root, f"enclave-{kind}-")

    def close(self) -> None:
        if self._fd is None:
            return
        shutil.rmtree(self.path, ignore_errors=True)
        os.close(self._fd)  # after the removal: no sweeper can take it half-removed
        self._fd = None

    def __enter__(self) -> Path:
        return self.path

    def __exit__(self, *exc: object) -> None:
        self.close()


def _locked_directory(root: Path, prefix: str) -> tuple[Path, int]:
    """A new directory under ``root`` (mode 0700) and a descriptor holding its lock.

    A sweep may take a directory between its creation and our lock: then our lock
    fails, or the directory is gone once we hold it; either way, make another.
    """
    for _ in range(100):
        path = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue
        if _flock(fd) and _same_file(fd, path):
            return path, fd
        os.close(fd)
    raise EnclaveError(f"scratch directory under {root}: could not create and lock one")


def sweep_scratch(root: Path, kind: str) -> int:
    """Remove ``enclave-<kind>-*`` directories under ``root`` owned by this user and
    held by no live run. Returns how many went."""
    removed = 0
    prefix = f"enclave-{kind}-"
    for entry in Path(root).iterdir() if Path(root).is_dir() else ():
        if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            if entry.stat().st_uid != os.geteuid():
                continue
            fd = os.open(entry, os.O_RDONLY | os.O_DIRECTORY)
        except (FileNotFoundError, PermissionError):
            continue
        try:
            if _flock(fd):  # nobody alive holds it
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
        finally:
            os.close(fd)
    if removed:
        LOG.warning("removed %d scratch folder(s) left by interrupted runs", removed)
    return removed
