"""Shares of persons with an event, with Wilson confidence intervals, after disclosure
control: :func:`proportions` returns a :class:`SafeRates`.

Each row of the frame is one person; ``event`` is a boolean column. Per group of ``by``
and in total, the table publishes ``persons`` (the denominator), ``events`` (the
numerator), ``share`` and its confidence interval (``lower``, ``upper``). The rules:

- **Counts.** ``persons`` and ``events`` are counts: each is suppressed in (0,
  min_cell), before or after rounding, and published counts are rounded with the rules'
  rounding. ``persons`` gets secondary suppression against its Total by the audit of
  :mod:`enclave.disclosure.audit`, as a one-way count table does.
- **Group size** (``min_group``). A group of fewer than ``min_group`` (or ``min_cell``)
  persons, or whose ``persons`` is suppressed, publishes no events, share or interval:
  so no 0% or 100% of a small group.
- **Small cells** (``few_events``, ``few_non_events``). A share, its interval and the
  events are suppressed when the events *or* the non-events are in (0, min_cell): "97%
  of 100" tells that 3 persons lack the event as surely as the count would.
- **Secondary suppression** (``secondary``). Events add up to the Total's events, and
  non-events (persons less events) to the Total's: a group's suppressed events must not
  follow from the others and the Total. Both one-way tables are audited together (the
  same cells suppressed in each) until neither has a determined cell: when exactly one
  group's events are suppressed and the Total is published, the next smallest group
  (or the Total) is suppressed as well. When the Total's events (or non-events) are 0,
  every group's are 0, the suppressed ones' too: the Total's are then suppressed.
  Events, share and interval are published or suppressed together, since a share
  times its group size gives the events.
- **From published counts.** The share and the Wilson interval
  (:func:`scipy.stats.binomtest`, ``method="wilson"``) are computed from the published,
  rounded counts, so they reveal nothing the counts do not (an exact share of a rounded
  count would undo the rounding). Without rounding they are the exact ones. Rounded
  apart, events could exceed persons (random rounding): they are capped at persons.

Why a row was suppressed is in ``reasons``, for the analyst only (never published).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import polars as pl

from enclave.disclosure import audit, rules, safe
from enclave.disclosure.magnitude import (
    SafeFrame,
    count_keys,
    min_persons,
    passed_checks,
    publish_counts,
    read_columns,
    reason_frame,
    rules_for,
)
from enclave.disclosure.rounding import round_counts
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.suppression import TOTAL

_MINT = safe.mint()


@dataclass(frozen=True, repr=False, eq=False)
class SafeRates(SafeFrame):
    """Shares per group and Total after disclosure control, built only by
    :func:`proportions`. ``frame``: the dimension, ``persons``, ``events``, ``share``,
    ``lower`` and ``upper`` (null where suppressed)."""

    #: the confidence level of the intervals
    confidence: float = 0.95

    kind: ClassVar[str] = "rates"
    why: ClassVar[str] = "too few persons, events or non-events, or would reveal such a count"


def _counts(frame: pl.DataFrame | pl.LazyFrame, by: str | None, event: str):
    data, dim = read_columns(frame, by, [event])
    if data.schema[event] != pl.Boolean:
        raise DisclosureError(f"column {event}: events must be a boolean column")
    agg = [pl.len().alias("persons"), pl.col(event).sum().alias("events")]
    parts = [data.group_by(dim, maintain_order=True).agg(*agg)] if by is not None else []
    parts.append(data.select(pl.lit(TOTAL).alias(dim), *agg))
    counts = pl.concat([p.cast({"persons": pl.Int64, "events": pl.Int64}) for p in parts])
    return counts, dim


def _small(values: np.ndarray, min_cell: int) -> np.ndarray:
    return (values > 0) & (values < min_cell)


def _linked(events: np.ndarray, others: np.ndarray, hidden: np.ndarray, min_cell: int):
    """Suppress the same cells of the events and non-events tables until neither has a
    cell that follows from the rest."""
    if events.size == 1:
        return hidden
    if hidden.any() and (events[-1] == 0 or others[-1] == 0):
        # a Total of 0 tells that every group's count is 0, the hidden ones' too
        hidden = hidden.copy()
        hidden[-1] = True
    structure = audit.one_way(events.size - 1)
    while True:
        grown = audit.protect(structure, events, min_cell, hidden)
        grown = audit.protect(structure, others, min_cell, grown)
        if (grown == hidden).all():
            return hidden
        hidden = grown


def _wilson(k: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy.stats import binomtest  # imported here: slow, and only needed here

    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def proportions(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str | None,
    event: str,
    *,
    confidence: float = 0.95,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeRates:
    """The share of persons with ``event`` per group of ``by`` (None: overall only) and
    in total, with Wilson ``confidence`` intervals, after the rules of the module
    docstring. ``min_cell``, ``title``, ``population``, ``period`` and ``measure`` as in
    :func:`~enclave.disclosure.magnitude.magnitude_table`.

    Three of 200 is a small cell, and 100% of five a small group:

    >>> e = [True] * 3 + [False] * 197 + [True] * 5
    >>> frame = pl.DataFrame({"k": ["a"] * 200 + ["b"] * 5, "e": e})
    >>> proportions(frame, "k", "e", min_cell=10).frame.get_column("share").to_list()
    [None, None, None]
    """
    if not 0 < confidence < 1:
        raise DisclosureError(f"confidence must lie between 0 and 1, got {confidence!r}")
    applied = rules_for(min_cell)
    counts, dim = _counts(frame, by, event)
    labels = counts.get_column(dim).to_list()
    persons = counts.get_column("persons").to_numpy()
    events = counts.get_column("events").to_numpy()
    shown_p, hidden_p = publish_counts(persons, count_keys(population, dim, labels), applied)
    shown_e = round_counts(
        events, applied.rounding, count_keys(population, dim, labels, **{event: "true"})
    )
    floor = min_persons(applied)
    checks = {
        "min_group": (persons < floor) | (shown_p < floor),
        "persons_hidden": hidden_p,
        "few_events": _small(events, applied.min_cell) | _small(shown_e, applied.min_cell),
        "few_non_events": _small(persons - events, applied.min_cell),
    }
    primary = np.logical_or.reduce(list(checks.values()))
    hidden = _linked(events, persons - events, primary, applied.min_cell)
    # rounded independently, events could pass persons (random3): never show more
    shown_e = np.minimum(shown_e, shown_p)
    checks["secondary"] = hidden & ~primary
    rows = [
        _row(int(p), int(e), hp, h, confidence)
        for p, e, hp, h in zip(shown_p, shown_e, hidden_p, hidden, strict=True)
    ]
    published = pl.DataFrame(
        [(label, *row) for label, row in zip(labels, rows, strict=True)],
        schema={
            dim: pl.String,
            "persons": pl.Int64,
            "events": pl.Int64,
            "share": pl.Float64,
            "lower": pl.Float64,
            "upper": pl.Float64,
        },
        orient="row",
    )
    return SafeRates(
        frame=published,
        dims=(dim,),
        min_cell=applied.min_cell,
        title=title,
        rules=safe.rules_record(
            applied, rules.parties_read(), rounding=applied.rounding, confidence=confidence
        ),
        passed=passed_checks(
            applied,
            "min_cell",
            "min_group",
            "small_events",
            "secondary_suppression",
            "rates_from_published_counts",
        ),
        definition=safe.definition(measure or f"share with {event}", population or title, period),
        reasons=reason_frame(
            dim, labels, [[c for c in checks if checks[c][i]] for i in range(len(labels))]
        ),
        token=_MINT,
        confidence=confidence,
    )


def _row(persons: int, events: int, persons_hidden: bool, hidden: bool, confidence: float):
    """(persons, events, share, lower, upper) as published."""
    shown_persons = None if persons_hidden else persons
    if hidden:
        return shown_persons, None, None, None, None
    low, high = _wilson(events, persons, confidence)
    return shown_persons, events, events / persons, low, high
