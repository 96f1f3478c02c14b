"""Kaplan-Meier survival at chosen times, after disclosure control:
:func:`survival_table` returns a :class:`SafeSurvival`.

Curves are estimated by :class:`lifelines.KaplanMeierFitter`, one per group of ``by``
(or one overall curve, labelled Total). For each group and each requested time ``t``
the table publishes the survival ``S(t)``, its confidence interval (lifelines'
exponential Greenwood interval) and ``at_risk``: the persons still followed after
``t`` (duration above ``t``, lifelines' number at risk at its next event time). Using
"after t" makes the drop in ``at_risk`` between two published times exactly the events
and censorings between them, the same interval over which ``S`` steps. The rules:

- **Risk set** (``at_risk_below_min_group``). Once fewer than ``min_group`` (or
  ``min_cell``) persons remain at risk, before or after rounding, the group's curve is
  not published from that time on: the tail of a curve is a handful of persons.
- **Small steps** (``small_step``). Between two consecutive published points (the
  first one counts from the start of follow-up), the number of events and the number
  censored must each be 0 or at least ``min_cell``; otherwise the later time is not
  published and its interval merges into the next one. A step in ``S`` or a drop in
  ``at_risk`` then never reveals a small count.
- **Counts.** ``at_risk`` is rounded with the rules' rounding, and is never in (0,
  min_cell) since it is at least ``min_group`` and ``min_cell``.
- **No overall curve beside group curves.** With ``by``, no pooled curve is
  published: its risk sets less the groups' would give a suppressed tail away.

A point not published has every value null (None in the certificate). Why is in
``reasons``, for the analyst only (never published).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl

from enclave.disclosure import rules, safe
from enclave.disclosure.magnitude import (
    SafeFrame,
    min_persons,
    passed_checks,
    read_columns,
    rules_for,
)
from enclave.disclosure.rounding import cell_key, round_counts
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.suppression import TOTAL

_MINT = safe.mint()
#: the columns of a survival table after its dimension
COLUMNS = ("time", "at_risk", "survival", "lower", "upper")


@dataclass(frozen=True, repr=False, eq=False)
class SafeSurvival(SafeFrame):
    """Survival per group at the requested times after disclosure control, built only
    by :func:`survival_table`. ``frame``: the dimension, ``time``, ``at_risk``,
    ``survival``, ``lower`` and ``upper`` (all null at a time not published)."""

    #: the confidence level of the intervals
    confidence: float = 0.95

    kind: ClassVar[str] = "survival"
    why: ClassVar[str] = "too few persons at risk, or too few events or censorings since"


@dataclass(frozen=True)
class _Curve:
    """What lifelines estimated for one group, read at the requested times."""

    at_risk: np.ndarray  # persons followed beyond each time
    events: np.ndarray  # events up to and including each time (cumulative)
    censored: np.ndarray  # censorings up to and including each time (cumulative)
    survival: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def _fit(durations: np.ndarray, observed: np.ndarray, times: np.ndarray, confidence: float):
    from lifelines import KaplanMeierFitter  # imported here: slow, and only needed here

    kmf = KaplanMeierFitter(alpha=1 - confidence).fit(durations, event_observed=observed)
    table = kmf.event_table
    at = table.index.to_numpy(dtype=float)
    upto = np.searchsorted(at, times, side="right")  # event-table rows at or before t

    def cumulative(column: str) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(table[column].to_numpy())])[upto]

    ci = kmf.confidence_interval_survival_function_.to_numpy()
    row = np.searchsorted(kmf.timeline, times, side="right") - 1
    before = row < 0  # before the timeline starts nothing has happened
    row = np.maximum(row, 0)
    return _Curve(
        at_risk=durations.size - cumulative("removed"),
        events=cumulative("observed"),
        censored=cumulative("censored"),
        survival=kmf.survival_function_at_times(times).to_numpy(),
        lower=np.where(before, 1.0, ci[row, 0]),
        upper=np.where(before, 1.0, ci[row, 1]),
    )


def _published(curve: _Curve, shown: np.ndarray, floor: int, min_cell: int) -> list[str]:
    """Per time, "" if published, else why not (see the module docstring)."""
    reasons, last = [], -1
    for j in range(shown.size):
        if curve.at_risk[j] < floor or shown[j] < floor:
            reasons.extend(["at_risk_below_min_group"] * (shown.size - j))
            break
        steps = [c[j] - (c[last] if last >= 0 else 0) for c in (curve.events, curve.censored)]
        if any(0 < s < min_cell for s in steps):
            reasons.append("small_step")
            continue
        reasons.append("")
        last = j
    return reasons


def _times(times: Sequence[float]) -> np.ndarray:
    out = np.unique(np.asarray(list(times), dtype=float))
    if out.size == 0 or not np.isfinite(out).all() or (out < 0).any():
        raise DisclosureError("times must be one or more finite, non-negative numbers")
    return out


def _data(frame, duration: str, observed: str, by: str | None) -> tuple[pl.DataFrame, str]:
    data, dim = read_columns(frame, by, [duration, observed])
    if not data.schema[duration].is_numeric():
        raise DisclosureError(f"column {duration}: durations must be numeric")
    if data.schema[observed] != pl.Boolean:
        raise DisclosureError(f"column {observed}: the event indicator must be boolean")
    data = data.with_columns(pl.col(duration).cast(pl.Float64))
    durations = data.get_column(duration)
    if not durations.is_finite().all() or (durations < 0).any():
        raise DisclosureError(f"column {duration}: durations must be finite and non-negative")
    return data, dim


def survival_table(
    frame: pl.DataFrame | pl.LazyFrame,
    duration: str,
    observed: str,
    *,
    by: str | None = None,
    times: Sequence[float],
    confidence: float = 0.95,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeSurvival:
    """Kaplan-Meier survival of ``duration`` (``observed`` True for an event, False for
    a censoring) at each of ``times``, per group of ``by`` (None: one overall curve),
    with ``confidence`` intervals and the number at risk, after the rules of the module
    docstring. ``min_cell``, ``title``, ``population``, ``period`` and ``measure`` as
    in :func:`~enclave.disclosure.magnitude.magnitude_table`.
    """
    if not 0 < confidence < 1:
        raise DisclosureError(f"confidence must lie between 0 and 1, got {confidence!r}")
    applied = rules_for(min_cell)
    grid = _times(times)
    data, dim = _data(frame, duration, observed, by)
    rows, reasons = [], []
    for (label,), group in data.group_by(dim, maintain_order=True):
        curve = _fit(
            group.get_column(duration).to_numpy(),
            group.get_column(observed).to_numpy(),
            grid,
            confidence,
        )
        keys = [cell_key(population, {dim: label, "time": f"{t:g}"}, TOTAL) for t in grid]
        shown = round_counts(curve.at_risk, applied.rounding, keys)
        why = _published(curve, shown, min_persons(applied), applied.min_cell)
        for j, t in enumerate(grid):
            rows.append(_row(label, float(t), curve, shown, j, bool(why[j])))
            reasons.append((label, float(t), why[j]))
    schema = {dim: pl.String} | dict.fromkeys(COLUMNS, pl.Float64) | {"at_risk": pl.Int64}
    return SafeSurvival(
        frame=pl.DataFrame(rows, schema=schema, orient="row"),
        dims=(dim, "time"),
        min_cell=applied.min_cell,
        title=title,
        rules=safe.rules_record(
            applied, rules.parties_read(), rounding=applied.rounding, confidence=confidence
        ),
        passed=passed_checks(applied, "min_cell", "min_group_at_risk", "small_steps"),
        definition=safe.definition(
            measure or f"Kaplan-Meier survival over {duration}", population or title, period
        ),
        reasons=pl.DataFrame(
            reasons, schema={dim: pl.String, "time": pl.Float64, "reason": pl.String}, orient="row"
        ),
        token=_MINT,
        confidence=confidence,
    )


def _row(label: str, t: float, curve: _Curve, shown: np.ndarray, j: int, hidden: bool):
    if hidden:
        return (label, t, None, None, None, None)
    return (
        label,
        t,
        int(shown[j]),
        float(curve.survival[j]),
        float(curve.lower[j]),
        float(curve.upper[j]),
    )
