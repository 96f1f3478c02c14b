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

__all__ = [
    "Period",
    "save_figure",
    "save_table",
    "share_sentence",
    "show_figure",
    "show_share",
    "show_table",
]
