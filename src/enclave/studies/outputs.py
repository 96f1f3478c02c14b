"""Saving a study's protected tables and figures into its output directory.

Only tables from the safe helpers can be saved: :class:`~enclave.disclosure.SafeTable`
and the statistics tables (:class:`~enclave.disclosure.SafeMagnitude`,
:class:`~enclave.disclosure.SafeRates`, :class:`~enclave.disclosure.SafeSurvival`), and
figures are expected to come from :mod:`enclave.studies.plots`, which draws only
protected numbers. Files are written deterministically (no timestamps or software
versions in PNG metadata) so a re-run gives the same bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from enclave.disclosure import SafeFigure, SafeTable, text
from enclave.disclosure.magnitude import SafeFrame

#: what can be saved as ``tables/<name>.csv``: the safe helpers' tables
SafeTables = SafeTable | SafeFrame

_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]*")


def _target(output_dir: str | Path, kind: str, name: str, suffix: str) -> Path:
    if not _NAME.fullmatch(name):
        raise ValueError("output names are lower-case words joined by '_' or '-'")
    return Path(output_dir) / kind / f"{name}{suffix}"


def save_table(table: SafeTables, output_dir: str | Path | None, name: str) -> Path | None:
    """Write ``tables/<name>.csv`` (with its certificate); without an output directory,
    do nothing."""
    if not isinstance(table, SafeTable | SafeFrame):
        raise TypeError("only tables protected by enclave.disclosure can be saved")
    if output_dir is None:
        return None
    return table.write_csv(_target(output_dir, "tables", name, ".csv"))


def _display(obj: object) -> None:
    """Show an object in the running notebook; outside one, do nothing."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython ships with the notebook stack
        return
    if get_ipython() is not None:
        display(obj)


def show_table(table: SafeTables, output_dir: str | Path | None, name: str) -> None:
    """Display a protected table in the notebook and save it as ``tables/<name>.csv``."""
    save_table(table, output_dir, name)
    _display(table)


def show_figure(fig: SafeFigure, output_dir: str | Path | None, name: str) -> None:
    """Display a certified figure in the notebook, save it as ``figures/<name>.png``
    (with its certificate), then close it."""
    _display(fig)
    save_figure(fig, output_dir, name)


def save_figure(fig: SafeFigure, output_dir: str | Path | None, name: str) -> Path | None:
    """Write ``figures/<name>.png`` (fixed dpi, its certificate in the PNG, no software
    version) and close the figure. Only figures drawn from safe outputs are saved."""
    if not isinstance(fig, SafeFigure):
        raise TypeError("only figures drawn from protected outputs (enclave.disclosure) are saved")
    try:
        if output_dir is None:
            return None
        return fig.save(_target(output_dir, "figures", name, ".png"))
    finally:
        fig.close()


def share_sentence(table: SafeTable, level: str, label: str) -> str:
    """The published share of ``level`` in a protected one-way table, as Markdown."""
    return text.share_sentence(table, level, label).markdown


def show_share(table: SafeTable, level: str, label: str) -> None:
    """Display the certified share sentence (:func:`enclave.disclosure.text.share_sentence`)."""
    _display(text.share_sentence(table, level, label))


def show_note(sentence: str) -> None:
    """Display a fixed sentence (as Markdown), such as "No exits in the period". It
    must hold no number: a number comes from a safe helper, never from a string."""
    if any(ch.isdigit() for ch in sentence):
        raise ValueError("a note holds no number: numbers are shown by the safe helpers")
    try:
        from IPython.display import Markdown
    except ImportError:  # pragma: no cover - IPython ships with the notebook stack
        return
    _display(Markdown(sentence))
