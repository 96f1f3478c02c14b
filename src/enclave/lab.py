"""``enclave lab`` (``make lab``): JupyterLab for one project, in the research sandbox.

The researcher's JupyterLab runs where the study stage runs its notebooks: inside
bubblewrap (:mod:`enclave.sandbox`), seeing only the project's analytic zone
(read-only), the notebooks (read-write), the environment and the governance files,
with no network and no secret. So that the researcher's browser can still reach it,
the server listens on a Unix socket in a private folder, and this process (outside)
forwards ``127.0.0.1:<port>`` to it (:class:`Forwarder`): the sandbox itself opens no
connection and accepts none but through that socket.

Before it starts, the lab checks what ``enclave.load`` would (the project is
provisioned, the user a member: :func:`enclave.data.authorise_project`) and that the
project's research zone has been built (else it says how to build it). It registers
an ``enclave`` kernel in the environment, whose kernel knows the project
(``ENCLAVE_PROJECT``) and the user (``ENCLAVE_USER``). The reads the kernel makes are
spooled inside the sandbox and sealed into the audit log when the lab stops; the
session itself is an audit entry (action ``study``, ``what.lab``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from enclave import log
from enclave.errors import EnclaveError
from enclave.paths import Paths

#: the kernel the lab registers and its notebooks use
KERNEL_NAME = "enclave"
PROJECT_ENV = "ENCLAVE_PROJECT"


class LabError(EnclaveError):
    """The lab cannot start: no project, no research zone, no sandbox."""


def choose_project(requested: str | None, paths: Paths) -> str:
    """The project to open: ``requested``, else ``ENCLAVE_PROJECT``, else the only
    provisioned project the user belongs to."""
    from enclave import config
    from enclave.governance import agreement, audit, projects

    chosen = requested or os.environ.get(PROJECT_ENV)
    if chosen:
        return chosen
    user = audit.current_user()
    terms = agreement.load(root=paths.root)
    built = set(config.load(paths.params_file).deid.projects)
    mine = [
        pid
        for pid, p in projects.load_all(terms, paths.root).items()
        if user in p.users and pid in built
    ]
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise LabError(
            f"user {user} is a member of no project: ask for one (enclave governance request), "
            "or set ENCLAVE_USER"
        )
    raise LabError(
        f"user {user} is a member of {', '.join(mine)}: choose one with --project or {PROJECT_ENV}"
    )


def check_zone(project: str, paths: Paths) -> Path:
    """The project's analytic zone, or a clear error saying how to build it."""
    zone = paths.analytic(project)
    if not zone.is_dir() or not any(zone.glob("*.parquet")):
        raise LabError(
            f"the research zone of project {project} has not been built yet ({zone}): run "
            f"`make repro` (or `dvc repro build@{project}`) first"
        )
    return zone


#: JupyterLab settings for the lab: no news or update checks (the sandbox has no
#: network, and a researcher should not be asked)
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    }
}


def install_settings() -> Path:
    """Write the lab's settings overrides into this environment."""
    import json

    target = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(LAB_SETTINGS, indent=1) + "\n")
    return target


def install_kernel(project: str, user: str) -> str:
    """Register the ``enclave`` kernel in this environment (``<venv>/share/jupyter``)."""
    from ipykernel import kernelspec

    return kernelspec.install(
        kernel_name=KERNEL_NAME,
        display_name=f"enclave ({project})",
        prefix=sys.prefix,
        env={PROJECT_ENV: project, "ENCLAVE_USER": user},
    )


@dataclass
class Forwarder:
    """``127.0.0.1:port`` -> a Unix socket: each connection is piped both ways."""

    socket_path: Path
    port: int

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            inner_reader, inner_writer = await asyncio.open_unix_connection(str(self.socket_path))
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, inner_writer), self._pipe(inner_reader, writer))

    async def serve(self, stop: asyncio.Event) -> None:
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        async with server:
            await stop.wait()


def server_command(
    socket_path: Path, notebooks: Path, token: str, base: Sequence[str] = ()
) -> list[str]:
    """The JupyterLab command, listening on ``socket_path`` only."""
    return [
        *base,
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        f"--ServerApp.sock={socket_path}",
        f"--ServerApp.root_dir={notebooks}",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--MultiKernelManager.default_kernel_name={KERNEL_NAME}",
        # the project's kernel only, and the notebooks' test scaffolding out of sight
        f"--KernelSpecManager.allowed_kernelspecs={KERNEL_NAME}",
        "--ContentsManager.hide_globs=__pycache__",
        "--ContentsManager.hide_globs=*.pyc",
        "--ContentsManager.hide_globs=conftest.py",
        "--ContentsManager.hide_globs=.ipynb_checkpoints",
        # the sandbox, not the user id, is what confines the server (as root in CI)
        *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
    ]


def run(project: str | None, port: int, notebooks: Path, paths: Paths | None = None) -> int:
    """Start the lab and serve it until interrupted (Ctrl-C); returns the exit code."""
    from enclave import sandbox
    from enclave.data import authorise_project
    from enclave.governance import audit
    from enclave.scratch import Scratch

    paths = paths or Paths.from_env()
    if not paths.params_file.is_file():
        raise LabError(f"no params.yaml under {paths.root}: run from the project root")
    project = choose_project(project, paths)
    access = authorise_project(project, paths)
    check_zone(project, paths)
    sandbox.require()
    install_kernel(project, access.user)
    install_settings()
    notebooks = Path(notebooks).resolve()
    logger = log.get("enclave.lab")
    token = secrets.token_urlsafe(24)
    with Scratch("lab") as work:
        socket_path = work / "jupyter.sock"
        spool = work / "audit.jsonl"
        environment = sandbox.carried_environment(
            {
                "ENCLAVE_USER": access.user,
                PROJECT_ENV: project,
                audit.SPOOL_ENV: str(spool),
                "HOME": "/tmp/home",
                "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
                "MPLCONFIGDIR": "/tmp/matplotlib",
                "IPYTHONDIR": "/tmp/ipython",
            }
        )
        argv = sandbox.command(
            server_command(socket_path, notebooks, token),
            paths=paths,
            project=project,
            writable=[notebooks, work],
            env=environment,
            cwd=notebooks,
        )
        audit.Log.default().append(
            "study", project=project, user=access.user, what={"lab": "start", "sandboxed": True}
        )
        server_log = work / "server.log"
        with server_log.open("wb") as sink:
            server = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
        try:
            sys.stdout.write(
                f"JupyterLab for project {project} (user {access.user}), in the research sandbox:\n"
                f"  http://127.0.0.1:{port}/lab?token={token}\nStop with Ctrl-C.\n"
            )
            sys.stdout.flush()
            asyncio.run(_serve(Forwarder(socket_path, port), server))
            if server.returncode not in (None, 0, -signal.SIGTERM):
                raise LabError(f"JupyterLab stopped ({_last_fault(server_log)})")
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
            sealed = audit.seal_spool(spool, audit.Log.default(), sandboxed=True)
            logger.info("lab of %s stopped: %d reads sealed into the audit log", project, sealed)
    return 0


async def _serve(forwarder: Forwarder, server: subprocess.Popen) -> None:
    """Forward until the server ends or this process is interrupted."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)

    async def watch() -> None:
        while server.poll() is None and not stop.is_set():
            await asyncio.sleep(0.5)
        stop.set()

    await asyncio.gather(forwarder.serve(stop), watch())


def _last_fault(server_log: Path) -> str:
    """The sandbox's or the server's own last error line (no data is in either)."""
    lines = server_log.read_text(errors="replace").splitlines() if server_log.exists() else []
    faults = [ln for ln in lines if ln.startswith("bwrap:") or " E " in ln[:40]]
    return (faults or [ln for ln in lines if ln.strip()] or ["no message"])[-1][:300]
