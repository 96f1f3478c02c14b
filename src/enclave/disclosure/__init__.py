"""Statistical disclosure control: nothing is shown, saved or released before it passes here.

The whole design is in ``docs/disclosure.md``. In short:

- **Rules** are the agreement's, per party (:mod:`~enclave.disclosure.rules`): minimum
  cell, minimum group for statistics, rounding, dominance and the p% rule. An output
  is bound by the strictest rule of each kind over the parties whose data was read; a
  study cannot lower one.
- **Safe helpers** apply them and return objects that carry a *certificate*
  (:mod:`~enclave.disclosure.safe`): count tables (:func:`protect_1d`,
  :func:`protect_2d`, with secondary suppression and rounding), magnitudes
  (:func:`magnitude_table`, :func:`percentiles`, means and their differences:
  :func:`mean_table`, :func:`mean_difference`), rates (:func:`proportions`) and
  their differences (:func:`share_difference`), survival curves
  (:func:`survival_table`), figures (:func:`bar_chart`, :func:`histogram`,
  :func:`survival_plot`, :func:`rate_plot`, :func:`figure_of`) and
  sentences (:func:`share_sentence`). None can be built by hand.
- **Tables of the same persons** are protected together: margins made to agree, then
  attacked jointly by linear programming (:mod:`~enclave.disclosure.attack`,
  :func:`joint_disclosures`) with one more cell suppressed while any is pinned
  (:func:`next_complement`).
- **The output checker** (:mod:`~enclave.disclosure.checker`, ``enclave outputs check``)
  trusts no certificate: it re-derives the rules and blocks anything else.
- **The airlock** (:mod:`~enclave.disclosure.airlock`, ``enclave export``) releases
  results after two reviewers, and the **ledger** (:mod:`~enclave.disclosure.ledger`)
  refuses a release that differences against an earlier one.

The count-table policy, in one place:

- A count ``n`` with ``0 < n < min_cell`` is suppressed (primary suppression), and so is
  a count that rounding would show below ``min_cell``.
- Zeros are published: an empty cell identifies nobody. Because zeros are always
  shown, an attacker knows every suppressed cell is at least 1, and the audit
  assumes exactly that.
- Totals and margins are cells too: they obey the same rule, and a cell (margin or
  interior) whose value could be worked out exactly from the published cells and
  the table's additive structure is suppressed by adding complementary cells
  (secondary suppression), smallest first, until no suppressed cell is exactly
  determined.
- Suppressed values are null in frames and CSV files, and shown as
  :data:`MARKER` on screen and in figures. Primary and secondary suppressions
  look the same, so the marker does not reveal that a count is small.
- Published counts are then rounded where the rules say so
  (:mod:`~enclave.disclosure.rounding`).
"""

from enclave.disclosure.charts import (
    SafeFigure,
    bar_chart,
    figure_of,
    histogram,
    rate_plot,
    survival_plot,
)
from enclave.disclosure.magnitude import (
    SafeMagnitude,
    magnitude_table,
    mean_difference,
    mean_table,
    percentiles,
)
from enclave.disclosure.rates import SafeRates, proportions, share_difference
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.suppression import (
    MARKER,
    TOTAL,
    SafeTable,
    hidden_cells,
    hidden_margins,
    joint_disclosures,
    margins_agree,
    next_complement,
    protect_1d,
    protect_2d,
)
from enclave.disclosure.survival import SafeSurvival, survival_table
from enclave.disclosure.text import SafeText, share_sentence

__all__ = [
    "MARKER",
    "TOTAL",
    "DisclosureError",
    "SafeFigure",
    "SafeMagnitude",
    "SafeRates",
    "SafeSurvival",
    "SafeTable",
    "SafeText",
    "bar_chart",
    "figure_of",
    "hidden_cells",
    "hidden_margins",
    "histogram",
    "joint_disclosures",
    "magnitude_table",
    "margins_agree",
    "mean_difference",
    "mean_table",
    "next_complement",
    "percentiles",
    "proportions",
    "protect_1d",
    "protect_2d",
    "rate_plot",
    "share_difference",
    "share_sentence",
    "survival_plot",
    "survival_table",
]
