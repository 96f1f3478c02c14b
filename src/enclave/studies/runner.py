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

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat

from enclave import config, io, log
from enclave.errors import EnclaveError
from enclave.paths import ROOT_ENV, Paths

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
    values = config.to_mapping(section)
    values["min_cell"] = params.disclosure.min_cell
    values["output_dir"] = "."
    return values


def run(name: str, params: config.Params, notebooks: Path, out: Path) -> Path:
    """Execute ``notebooks/<name>.ipynb`` into ``out`` (see module docstring)."""
    source = Path(notebooks).resolve() / f"{name}.ipynb"
    if not source.is_file():
        raise StudyError(f"study {name}: notebook {source} not found")
    parameters = notebook_parameters(name, params)
    root = Paths.from_env().root
    logger = log.get("enclave.studies")
    with io.atomic_dir(Path(out)) as tmp, _data_root(root):
        executed = tmp / f"{name}.ipynb"
        _execute(source, executed, parameters, tmp)
        nb = normalise(nbformat.read(executed, as_version=4))
        nbformat.write(nb, executed)
        (tmp / "report.html").write_text(report_html(nb, name), encoding="utf-8")
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


def report_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as HTML, without code cells or prompts."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    )
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
