"""Run one study notebook with papermill: ``enclave study NAME --out outputs/NAME``.

The notebook's ``parameters`` cell is overridden by ``params.studies.<name>`` plus
``disclosure.min_cell``, and by ``output_dir = "."``: the kernel runs inside the
output directory being built, so the figures and tables the notebook saves land
there and no temporary path ends up in the executed notebook. The data root is
handed to the kernel through ``ENCLAVE_ROOT``.

``out`` is written atomically (``enclave.io.atomic_dir``)::

    out/<name>.ipynb   the executed notebook, without timings
    out/report.html    the same without code cells
    out/figures/*.png  out/tables/*.csv

Re-running with the same inputs gives the same bytes: execution timestamps and
papermill's run metadata are removed, the injected cell gets a fixed id, and
figures are saved without software metadata.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from enclave import config, io, log
from enclave.data import data_version
from enclave.errors import EnclaveError
from enclave.paths import ROOT_ENV, Paths
from enclave.studies.parameters import check as check_parameters

#: the kernelspec ipykernel installs in the venv; jupyter_client starts a spec whose
#: command is plain ``python`` with ``sys.executable``, so the kernel is the venv's
#: interpreter even when the venv is not activated (as under ``dvc repro``)
KERNEL = "python3"
INJECTED_ID = "injected-parameters"


class StudyError(EnclaveError):
    """A study could not be run (unknown study, missing notebook, a failing cell)."""


def notebook_parameters(name: str, params: config.Params) -> dict[str, Any]:
    """What papermill injects: the study's params section, ``min_cell`` and ``output_dir``."""
    section = getattr(params.studies, name, None)
    if section is None:
        raise StudyError(f"study {name}: no section studies.{name} in params.yaml")
    values = section.parameters()
    values["min_cell"] = params.disclosure.min_cell
    values["output_dir"] = "."
    return values


def run(name: str, params: config.Params, notebooks: Path, out: Path) -> Path:
    """Execute ``notebooks/<name>.ipynb`` into ``out`` (see module docstring)."""
    parameters = notebook_parameters(name, params)
    notebook = getattr(params.studies, name).notebook
    source = Path(notebooks).resolve() / f"{notebook}.ipynb"
    if not source.is_file():
        raise StudyError(f"study {name}: notebook {source} not found")
    # the section's keys are the notebook's parameters: a new study needs no code change
    check_parameters(name, getattr(params.studies, name), source)
    root = Paths.from_env().root
    logger = log.get("enclave.studies")
    sandboxed = _sandbox_or_refuse()
    with io.atomic_dir(Path(out)) as tmp, _data_root(root):
        executed = tmp / f"{notebook}.ipynb"
        if sandboxed:
            _execute_sandboxed(source, executed, parameters, tmp, root)
        else:
            _execute(source, executed, parameters, tmp)
        _audit_run(name, parameters["project"], sandboxed)
        nb = normalise(nbformat.read(executed, as_version=4))
        nbformat.write(nb, executed)
        version = data_version(Paths(root), parameters["project"])
        (tmp / "report.html").write_text(report_html(nb, name, version), encoding="utf-8")
        for kind in ("figures", "tables"):
            (tmp / kind).mkdir(exist_ok=True)
    logger.info("study %s: outputs written to %s", name, out)
    return Path(out)


def _execute(source: Path, target: Path, parameters: dict[str, Any], cwd: Path) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters,
            kernel_name=KERNEL,
            cwd=str(cwd),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        # the traceback may quote data; name only the cell and the exception type
        raise StudyError(
            f"notebook {source.name}: cell {exc.exec_count} raised {exc.ename}"
        ) from None


#: a development setting: run a study without the sandbox where none can be made
UNSANDBOXED_ENV = "ENCLAVE_UNSANDBOXED"


def _sandbox_or_refuse() -> bool:
    """Whether the kernel runs in the research sandbox; where no sandbox can be made,
    refuse, unless ``ENCLAVE_UNSANDBOXED=1`` says otherwise (the audit log records it)."""
    from enclave import sandbox

    if sandbox.available():
        return True
    if os.environ.get(UNSANDBOXED_ENV) == "1":
        log.get("enclave.studies").warning(
            "no sandbox on this machine: the study runs open (%s=1); the audit log records it",
            UNSANDBOXED_ENV,
        )
        return False
    raise StudyError(
        "the research sandbox cannot be made here (install Debian's bubblewrap); a study "
        f"never runs open unless {UNSANDBOXED_ENV}=1 is set for development"
    )


def _audit_run(name: str, project: str, sandboxed: bool) -> None:
    from enclave.governance import audit

    audit.Log.default().append(
        "study", project=project, what={"study": name, "sandboxed": sandboxed}
    )


def _execute_sandboxed(
    source: Path, target: Path, parameters: dict[str, Any], cwd: Path, root: Path
) -> None:
    """:func:`_execute` with papermill and its kernel inside the research sandbox
    (:mod:`enclave.sandbox`): only the project's analytic zone, the notebooks and the
    output folder are visible, and no secret. The reads it audits are spooled and
    sealed into the log here, outside."""
    import subprocess
    import sys

    import yaml

    from enclave import sandbox
    from enclave.governance import audit
    from enclave.scratch import Scratch

    # bubblewrap binds and changes into absolute paths only
    source, target, cwd, root = (p.resolve() for p in (source, target, cwd, root))
    with Scratch("study") as work:
        values = work / "parameters.yaml"
        values.write_text(yaml.safe_dump(parameters))
        spool = work / "audit.jsonl"
        argv = [
            sys.executable, "-m", "papermill", str(source), str(target), "-f", str(values),
            "-k", KERNEL, "--cwd", str(cwd), "--no-progress-bar",
            "--no-request-save-on-cell-execute",
        ]  # fmt: skip
        environment = sandbox.carried_environment(
            {
                audit.USER_ENV: os.environ.get(audit.USER_ENV, ""),
                audit.SPOOL_ENV: str(spool),
                "HOME": "/tmp",
                "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
                "MPLCONFIGDIR": "/tmp/matplotlib",
                "IPYTHONDIR": "/tmp/ipython",
            }
        )
        wrapped = sandbox.command(
            argv,
            paths=Paths(root),
            project=parameters["project"],
            writable=[cwd, work],
            readable=[source.parent],
            env=environment,
            cwd=cwd,
        )
        done = subprocess.run(wrapped, capture_output=True, text=True)
        audit.seal_spool(spool, audit.Log.default(), sandboxed=True)
    if done.returncode != 0:
        # papermill's output may quote data: name only the failing cell and its error
        failed = _first_error(target)
        # a bubblewrap fault (its own one line) names no data; papermill's output may
        sandbox_fault = [line for line in done.stderr.splitlines() if line.startswith("bwrap:")]
        raise StudyError(
            f"notebook {source.name}: "
            + (
                f"cell {failed[0]} raised {failed[1]}"
                if failed
                else (sandbox_fault[0] if sandbox_fault else f"exit {done.returncode}")
            )
        )


def _first_error(notebook: Path) -> tuple[int | None, str] | None:
    """(execution count, exception name) of the first cell that raised, if any."""
    if not notebook.exists():
        return None
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return cell.get("execution_count"), output.get("ename", "an error")
    return None


@contextmanager
def _data_root(root: Path) -> Iterator[None]:
    """Point the kernel (a child process) at the data root, under the operator's pipeline
    account (the study runs for its approved project), then restore the environment."""
    from enclave.governance import agreement
    from enclave.governance.audit import USER_ENV

    account = agreement.load(root=root).pipeline_account
    before = {name: os.environ.get(name) for name in (ROOT_ENV, USER_ENV)}
    os.environ[ROOT_ENV] = str(root)
    os.environ[USER_ENV] = account
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove what changes from run to run: timings, papermill paths, random cell ids."""
    pm = nb.metadata.get("papermill", {})
    nb.metadata["papermill"] = {"parameters": pm.get("parameters", {})}
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if INJECTED_ID in cell.metadata.get("tags", []):
            cell["id"] = INJECTED_ID
    return nb


def report_html(nb: nbformat.NotebookNode, title: str, version: str | None = None) -> str:
    """The executed notebook as HTML, without code cells or prompts, for readers who are
    not programmers: a header with the study's parameters (the parameters cell is code,
    so it is not shown), its reference period first, and the data version (``version``,
    the DVC hash of the analytic zone read); every figure with its alternative text (a
    safe figure's description, :class:`enclave.disclosure.SafeFigure`); readable on a
    phone-width screen (figures scale down, wide tables scroll within themselves)."""
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    # nbconvert gives every image a placeholder text and warns; the figures' own text
    # replaces it below, and what is left without one is counted there
    if not any(isinstance(f, _NoAltWarning) for f in exporter.log.filters):
        exporter.log.addFilter(_NoAltWarning())
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    soup = BeautifulSoup(body, features="html.parser")
    images = soup.select("img")
    alts = [
        "".join(o["data"].get("text/plain", ""))
        for cell in nb.cells
        for o in cell.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    if len(images) == len(alts):
        for image, alt in zip(images, alts, strict=True):
            if alt and not alt.startswith("<Figure"):
                image["alt"] = alt
    missing = sum(image.get("alt") == NO_ALT for image in images)
    if missing:
        logger = log.get("enclave.studies")
        logger.warning("report %s: %d figure(s) without alt text", title, missing)
    _phone_width(soup)
    parameters = nb.metadata.get("papermill", {}).get("parameters", {})
    shown = {k: v for k, v in parameters.items() if k not in ("output_dir",)}
    if version:
        shown["data_version"] = version
    if shown and soup.body is not None:
        block = soup.new_tag("section", attrs={"class": "study-parameters"})
        heading = soup.new_tag("h2")
        heading.string = "Study parameters"
        block.append(heading)
        listing = soup.new_tag("dl")
        for key in sorted(shown, key=_parameter_order):
            value = shown[key]
            term, text = soup.new_tag("dt"), soup.new_tag("dd")
            term.string = PARAMETER_LABELS.get(key, key.replace("_", " "))
            text.string = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            listing.extend([term, text])
        block.append(listing)
        main = soup.select_one("main") or soup.body
        main.insert(0, block)
    return str(soup)


#: the alternative text nbconvert gives an image that has none
NO_ALT = "No description has been provided for this image"


class _NoAltWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Alternative text is missing")


def _parameter_order(key: str) -> tuple[int, str]:
    """The reference period first, then the project and the data version, then the
    rest by name."""
    if "period" in key:
        return (0, "" if key.endswith("start") else key)
    return (1 if key in ("project", "data_version") else 2, key)


#: the report's style for narrow screens: nbconvert's page is laid out for a desktop
PHONE_CSS = """
img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon table { display: block; max-width: 100%; overflow-x: auto; }
body { overflow-wrap: anywhere; }
@media (max-width: 600px) {
  body, .jp-Notebook { padding: 4px !important; margin: 0 !important; }
  .jp-Cell { padding: 0 !important; }
}
"""


def _phone_width(soup) -> None:
    """A viewport for phones and :data:`PHONE_CSS`, in the report's head."""
    head = soup.head or soup
    viewport = soup.new_tag(
        "meta", attrs={"name": "viewport", "content": "width=device-width, initial-scale=1"}
    )
    style = soup.new_tag("style")
    style.string = PHONE_CSS
    head.append(viewport)
    head.append(style)


#: how the report names common parameters
PARAMETER_LABELS = {
    "project": "Approved project",
    "data_version": "Data version (DVC hash of the analytic tables)",
    "period_start": "Reference period starts",
    "period_end": "Reference period ends",
    "min_match_probability": "Minimum linkage match probability",
    "min_cell": "Smallest count shown (minimum cell)",
    "age_groups": "Age groups start at ages",
    "top_combinations": "Combinations listed",
}
