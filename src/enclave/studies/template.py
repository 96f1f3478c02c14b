"""``enclave study new NAME``: a new study from the template, ready for ``dvc repro``.

It writes ``notebooks/NAME.ipynb`` (prose sections for the question, the method and the
limitations; a ``parameters`` cell; the loader, the toolkit and the safe helpers; one
protected table as an example) and adds ``studies.NAME`` to ``params.yaml``. The
pipeline's ``study@NAME`` and ``check_outputs@NAME`` stages follow from that section
(``foreach: ${studies}`` in dvc.yaml), so the next ``dvc repro`` runs it and checks its
outputs. Nothing else needs to change: the section's keys are checked against the
notebook's ``parameters`` cell (:mod:`enclave.studies.parameters`).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from enclave.config import STUDY_NAME, ConfigError
from enclave.errors import EnclaveError

#: the parameters a new study starts with (its params.yaml section)
DEFAULTS = {
    "period_start": "2019-01-01",
    "period_end": "2019-12-31",
    "min_match_probability": 0.9,
}


class TemplateError(EnclaveError):
    """The study cannot be created (a bad name, or it exists already)."""


def _cells(name: str, project: str) -> list:
    title = name.replace("_", " ").capitalize()
    return [
        new_markdown_cell(
            f"# {title}\n\n"
            "## Question\n\n"
            "_What does this study ask, about whom, over which period, and who will use the "
            "answer?_\n\n"
            "## Method\n\n"
            "_The cohort (entry event, index date, eligibility, exclusions), the outcomes and "
            "how they are measured, the comparison. Every table is protected by "
            "`enclave.disclosure` before it is shown._\n\n"
            f"The parameters below are set by the pipeline from `params.yaml` "
            f"(`studies.{name}`)."
        ),
        new_code_cell(
            f'project = "{project}"\n'
            f'period_start = "{DEFAULTS["period_start"]}"\n'
            f'period_end = "{DEFAULTS["period_end"]}"\n'
            f"min_match_probability = {DEFAULTS['min_match_probability']}\n"
            "min_cell = 11\n"
            "# where figures and tables are saved; None shows them without saving\n"
            "output_dir = None",
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell(
            "from enclave import load\nfrom enclave.studies import Period, count_table, show_table"
        ),
        new_code_cell(
            "period = Period.parse(period_start, period_end)\n"
            'persons = load("persons", project=project)'
        ),
        new_markdown_cell("## Results\n\n_What the table shows, in words a reader can use._"),
        new_code_cell(
            "show_table(\n"
            '    count_table(persons, "sex", min_cell=min_cell, title="Persons by sex"),\n'
            "    output_dir,\n"
            '    "persons_by_sex",\n'
            ")"
        ),
        new_markdown_cell(
            "## Limitations\n\n"
            "_Linkage error (see `reports/linkage.json`), coverage of each source, what the "
            "synthetic world does not model._"
        ),
    ]


def notebook(name: str, project: str) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.cells = _cells(name, project)
    ids = ["title", "parameters", "imports", "load", "results", "table", "limitations"]
    for cell, cell_id in zip(nb.cells, ids, strict=True):
        cell["id"] = cell_id
    # the lab's kernel (enclave.lab): it opens without asking which kernel to use
    nb.metadata["kernelspec"] = {"name": "enclave", "display_name": "enclave", "language": "python"}
    return nb


def params_section(name: str, project: str) -> str:
    lines = [f"  {name}:", f"    notebook: {name}", f"    project: {project}"]
    for key, value in DEFAULTS.items():
        lines.append(f'    {key}: "{value}"' if isinstance(value, str) else f"    {key}: {value}")
    return "\n".join(lines) + "\n"


def _insert_section(text: str, section: str) -> str:
    """``text`` (params.yaml) with ``section`` at the end of its ``studies:`` block."""
    lines = text.splitlines(keepends=True)
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == "studies:")
    except StopIteration:
        tail = "" if text.endswith("\n") or not text else "\n"
        return f"{text}{tail}\nstudies:\n{section}"
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " #"):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # keep the blank lines that separate the next block
    if end > 0 and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join([*lines[:end], section, *lines[end:]])


def create(name: str, project: str, notebooks: Path, params_file: Path) -> list[Path]:
    """Write the notebook and the params section; returns the files written."""
    from enclave import config

    if not STUDY_NAME.fullmatch(name) or name == "new":
        raise TemplateError(f"study name {name!r}: lower-case letters, digits and _")
    target = Path(notebooks) / f"{name}.ipynb"
    if target.exists():
        raise TemplateError(f"study {name}: {target} exists already")
    try:
        studies = config.load(params_file).studies
    except ConfigError as exc:
        raise TemplateError(f"{params_file} cannot be read: {exc}") from None
    if name in studies:
        raise TemplateError(f"study {name}: studies.{name} is in {params_file} already")
    updated = _insert_section(Path(params_file).read_text(), params_section(name, project))
    config.from_mapping(yaml.safe_load(updated), str(params_file))  # still valid
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook(name, project), target)
    Path(params_file).write_text(updated)
    return [target, Path(params_file)]
