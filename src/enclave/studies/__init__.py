"""The toolkit study notebooks use: cohorts and periods, measures, protected tables,
figures drawn from them, and saving outputs. ``runner`` executes a notebook."""

from enclave.studies.outputs import (
    save_figure,
    save_table,
    share_sentence,
    show_figure,
    show_share,
    show_table,
)
from enclave.studies.overlap import Period
from enclave.studies.tables import count_table

__all__ = [
    "Period",
    "count_table",
    "save_figure",
    "save_table",
    "share_sentence",
    "show_figure",
    "show_share",
    "show_table",
]
