"""The research side's sandbox: a process that sees only its project's analytic zone.

Everything runs as one operating-system user, so without a sandbox ``enclave.load``'s
checks are advisory: a notebook could ``pl.scan_parquet`` the staged identifiers, the
truth or the crosswalk, or read the pseudonym master key. :func:`command` wraps a
command in bubblewrap (Debian's ``bubblewrap``, installed by ``make setup``) so that it
runs in new namespaces:

* no network (only its own loopback);
* a filesystem of its own: the system and the Python environment read-only; the
  project's analytic zone, the governance files, ``params.yaml`` and ``dvc.lock``
  read-only at their usual paths; the folders given as writable; an empty ``/tmp``
  as home. No other zone, no other project, no home directory, no secret is there;
* a clean environment: no ``ENCLAVE_MASTER_KEY`` or ``ENCLAVE_SECRET_FILE``.

This module builds and checks the sandbox; the study stage
(:mod:`enclave.studies.runner`) and the researcher's JupyterLab (:mod:`enclave.lab`) run
in it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from enclave.errors import EnclaveError
from enclave.paths import Paths

BWRAP = "bwrap"
#: system folders bound read-only where they exist
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc")
#: environment variables carried into the sandbox (everything else is cleared)
CARRIED = ("LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


class SandboxError(EnclaveError):
    """The sandbox cannot be made on this machine."""


def available() -> bool:
    """Whether bubblewrap is installed and can make a sandbox here."""
    if shutil.which(BWRAP) is None:
        return False
    try:
        probe = subprocess.run(
            [BWRAP, "--ro-bind", "/", "/", "--unshare-all", "true"],
            capture_output=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def _python_roots() -> list[Path]:
    """The interpreter, the virtual environment and the source of the editable install."""
    import enclave

    roots = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    roots.add(Path(enclave.__file__).resolve().parents[1])
    return sorted(roots)


def command(
    argv: Sequence[str],
    *,
    paths: Paths,
    project: str,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> list[str]:
    """``argv`` wrapped in bubblewrap, seeing ``project``'s analytic zone read-only."""
    root = paths.root
    binds: list[str] = []
    for folder in SYSTEM:
        if Path(folder).exists():
            binds += ["--ro-bind", folder, folder]
    for folder in _python_roots():
        binds += ["--ro-bind", str(folder), str(folder)]
    shared = [paths.analytic(project), root / "governance", paths.params_file, root / "dvc.lock"]
    for path in [*shared, *readable]:
        if Path(path).exists():
            binds += ["--ro-bind", str(path), str(path)]
    for path in writable:
        binds += ["--bind", str(path), str(path)]
    environment = {name: value for name, value in (env or {}).items()}
    environment.setdefault("HOME", "/tmp/home")
    environment.setdefault("PATH", f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin")
    environment.setdefault("ENCLAVE_ROOT", str(root))
    for name in ("ENCLAVE_MASTER_KEY", "ENCLAVE_SECRET_FILE"):
        environment.pop(name, None)
    settings: list[str] = []
    for name, value in sorted(environment.items()):
        settings += ["--setenv", name, value]
    return [
        BWRAP,
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        *settings,
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
        *binds,
        "--chdir",
        str(cwd or "/tmp"),
        *argv,
    ]


def carried_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The few variables of this process a sandboxed one keeps, plus ``extra``."""
    import os

    kept = {name: os.environ[name] for name in CARRIED if name in os.environ}
    return kept | dict(extra or {})


def require() -> None:
    """Refuse to go on without a sandbox (the research side never runs open)."""
    if not available():
        raise SandboxError(
            "bubblewrap cannot make a sandbox on this machine (install Debian's "
            "bubblewrap: make setup does it as root)"
        )
