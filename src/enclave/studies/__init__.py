"""The toolkit study notebooks use: cohorts and periods (exit cohorts:
:mod:`~enclave.studies.cohorts`), measures, protected tables,
figures drawn from them, and saving outputs. ``runner`` executes a notebook.

The toolkit is imported on first use (PEP 562), not with the package: the study
runner and the output checker live here too, and neither needs polars' and pandera's
half second of imports before it starts a notebook."""

from __future__ import annotations

import importlib
from typing import Any

#: what ``from enclave.studies import NAME`` gives, and the module it comes from
EXPORTS: dict[str, str] = {
    "mean_table": "enclave.disclosure.magnitude",
    **dict.fromkeys(
        (
            "compare_groups",
            "coverage",
            "exits",
            "follow_up",
            "is_empty",
            "matched_comparison",
            "outcome_after_exit",
            "paired_difference",
            "quarters_after",
            "sensitivity",
            "time_to_return",
        ),
        "enclave.studies.cohorts",
    ),
    **dict.fromkeys(
        (
            "save_figure",
            "save_table",
            "share_sentence",
            "show_figure",
            "show_note",
            "show_share",
            "show_table",
        ),
        "enclave.studies.outputs",
    ),
    "Period": "enclave.studies.overlap",
    "count_table": "enclave.studies.tables",
}

__all__ = sorted(EXPORTS)


def __getattr__(name: str) -> Any:
    """A toolkit name, imported from its module on first use (a submodule such as
    ``overlap`` is not one: the import system loads it when this raises)."""
    if name not in EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *EXPORTS})
