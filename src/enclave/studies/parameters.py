"""A study's parameters are its notebook's: ``studies.<name>`` in params.yaml is checked
against the notebook's ``parameters`` cell, so a new study needs no code change.

The ``parameters`` cell (tagged ``parameters``, as papermill wants) holds plain
assignments of literals: ``period_start = "2019-01-01"``. Every key of the study's
section must be one of them (else the key is unknown), and its value must have the
default's kind: text, a whole number, a number (a whole number will do), true/false,
or a list. A default of ``None`` takes anything. ``min_cell`` and ``output_dir`` are
the runner's (:data:`enclave.config.RESERVED`); ``notebook`` names the notebook (one
notebook may serve several studies, each with its own section).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import nbformat

from enclave.config import ConfigError, StudyParams

TAG = "parameters"


def parameters_cell(notebook: Path) -> dict[str, Any]:
    """The notebook's parameters and their defaults; a missing or non-literal cell is a
    :class:`ConfigError` naming the notebook."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except FileNotFoundError:
        raise ConfigError(f"{notebook}: notebook not found") from None
    cells = [c for c in nb.cells if TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise ConfigError(f"{notebook}: needs exactly one cell tagged 'parameters'")
    found: dict[str, Any] = {}
    for node in ast.parse(cells[0].source).body:
        if not (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            raise ConfigError(f"{notebook}: the parameters cell holds plain assignments only")
        try:
            found[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise ConfigError(
                f"{notebook}: parameter {node.targets[0].id} is not a literal"
            ) from None
    return found


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def _fits(value: Any, default: Any) -> bool:
    if default is None:
        return True
    if isinstance(default, float) and not isinstance(default, bool):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return _kind(value) == _kind(default)


def check(name: str, section: StudyParams, notebook: Path) -> dict[str, Any]:
    """Check ``studies.<name>`` against the notebook; returns the section's values."""
    defaults = parameters_cell(notebook)
    values = section.parameters()
    for key, value in values.items():
        where = f"studies.{name}.{key}"
        if key not in defaults:
            known = ", ".join(k for k in defaults if k not in ("min_cell", "output_dir"))
            raise ConfigError(
                f"unknown key '{where}': {Path(notebook).name} has no such parameter "
                f"(its parameters: {known})"
            )
        if not _fits(value, defaults[key]):
            raise ConfigError(
                f"'{where}': expected {_kind(defaults[key])} (as the notebook's default), "
                f"got {_kind(value)}"
            )
    return values
