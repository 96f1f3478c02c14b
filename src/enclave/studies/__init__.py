"""The toolkit study notebooks use: cohorts and periods (exit cohorts:
:mod:`~enclave.studies.cohorts`), measures, protected tables,
figures drawn from them, and saving outputs. ``runner`` executes a notebook."""

from enclave.disclosure.magnitude import mean_table
from enclave.studies.cohorts import (
    compare_groups,
    coverage,
    exits,
    follow_up,
    is_empty,
    matched_comparison,
    outcome_after_exit,
    paired_difference,
    quarters_after,
    sensitivity,
    time_to_return,
)
from enclave.studies.outputs import (
    save_figure,
    save_table,
    share_sentence,
    show_figure,
    show_note,
    show_share,
    show_table,
)
from enclave.studies.overlap import Period
from enclave.studies.tables import count_table

__all__ = [
    "Period",
    "compare_groups",
    "count_table",
    "coverage",
    "exits",
    "follow_up",
    "is_empty",
    "matched_comparison",
    "mean_table",
    "outcome_after_exit",
    "paired_difference",
    "quarters_after",
    "save_figure",
    "save_table",
    "sensitivity",
    "share_sentence",
    "show_figure",
    "show_note",
    "show_share",
    "show_table",
    "time_to_return",
]
