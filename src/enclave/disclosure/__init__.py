"""Statistical disclosure control: nothing is shown or written before it passes here.

Today: the minimum-cell rule with secondary suppression for one- and two-way count
tables (:func:`protect_1d`, :func:`protect_2d`), returning a :class:`SafeTable`
that notebooks display and write. Later work adds rounding, dominance rules, an
output checker and the airlock to this package; each gets its own module and is
re-exported here.

The policy, in one place:

- A count ``n`` with ``0 < n < min_cell`` is suppressed (primary suppression).
- Zeros are published: an empty cell identifies nobody. Because zeros are always
  shown, an attacker knows every suppressed cell is at least 1, and the audit
  below assumes exactly that.
- Totals and margins are cells too: they obey the same rule, and a cell (margin or
  interior) whose value could be worked out exactly from the published cells and
  the table's additive structure is suppressed by adding complementary cells
  (secondary suppression), smallest first, until no suppressed cell is exactly
  determined.
- Tables of the same persons are linked: a two-way table's column totals are the
  one-way table of its columns. They are protected together, so that both show
  the same suppressions (``col_margins``, ``also_hidden``, :func:`margins_agree`).
- Suppressed values are null in frames and CSV files, and shown as
  :data:`MARKER` on screen and in figures. Primary and secondary suppressions
  look the same, so the marker does not reveal that a count is small.
- The rules are the agreement's, for the data the process has read
  (:mod:`enclave.disclosure.rules`): a ``min_cell`` below the strictest minimum cell of
  the parties read, or below 1, is refused.
"""

from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.suppression import (
    MARKER,
    TOTAL,
    SafeTable,
    hidden_cells,
    hidden_margins,
    margins_agree,
    protect_1d,
    protect_2d,
)

__all__ = [
    "MARKER",
    "TOTAL",
    "DisclosureError",
    "SafeTable",
    "hidden_cells",
    "hidden_margins",
    "margins_agree",
    "protect_1d",
    "protect_2d",
]
