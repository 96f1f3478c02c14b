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

:func:`share_difference` adds to two groups' shares their difference, with Newcombe's
hybrid score interval (his method 10, built from the two Wilson intervals), again from
the published counts only: published when both groups' shares are, its ``persons``
the two groups' together.
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
    total: bool = True,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeRates:
    """The share of persons with ``event`` per group of ``by`` (None: overall only) and
    in total, with Wilson ``confidence`` intervals, after the rules of the module
    docstring. With ``total=False`` the Total row is left out (for groups that overlap,
    such as the settings of a sensitivity analysis, where a pooled Total means nothing;
    leaving a row out publishes less). ``min_cell``, ``title``, ``population``,
    ``period`` and ``measure`` as in :func:`~enclave.disclosure.magnitude.magnitude_table`.

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
    reasons = reason_frame(
        dim, labels, [[c for c in checks if checks[c][i]] for i in range(len(labels))]
    )
    if not total and by is not None:
        published = published.filter(pl.col(dim) != TOTAL)
        reasons = reasons.filter(pl.col(dim) != TOTAL)
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
        reasons=reasons,
        token=_MINT,
        confidence=confidence,
    )


def difference_label(group: str, reference: str) -> str:
    """The row :func:`share_difference` adds.

    >>> difference_label("foster care", "classmates")
    'foster care minus classmates'
    """
    return f"{group} minus {reference}"


def newcombe(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    """Difference ``a - b`` of two shares with its hybrid score interval (Newcombe 1998,
    method 10), each share given as (share, lower, upper) of its Wilson interval.

    >>> [round(v, 4) for v in newcombe((0.5, 0.4, 0.6), (0.3, 0.22, 0.4))]
    [0.2, 0.0586, 0.3281]
    """
    (p1, l1, u1), (p2, l2, u2) = a, b
    d = p1 - p2
    low = d - float(np.hypot(p1 - l1, u2 - p2))
    high = d + float(np.hypot(u1 - p1, p2 - l2))
    return d, max(low, -1.0), min(high, 1.0)


def share_difference(
    frame: pl.DataFrame | pl.LazyFrame,
    by: str,
    event: str,
    *,
    group: str,
    reference: str,
    confidence: float = 0.95,
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "",
) -> SafeRates:
    """:func:`proportions` of ``event`` by ``by``, with one more row
    (:func:`difference_label`): the share in ``group`` minus that in ``reference``, and
    its Newcombe interval (:func:`newcombe`), from the published counts. The row's
    ``persons`` is the two groups' together, its ``events`` empty; it is suppressed
    (empty) unless both shares are published.

    >>> frame = pl.DataFrame({"g": ["a"] * 100 + ["b"] * 100,
    ...                       "e": [True] * 50 + [False] * 50 + [True] * 30 + [False] * 70})
    >>> t = share_difference(frame, "g", "e", group="a", reference="b", min_cell=10)
    >>> round(t.value("share", g="a minus b"), 2), t.value("persons", g="a minus b")
    (0.2, 200)
    """
    rates = proportions(
        frame,
        by,
        event,
        confidence=confidence,
        min_cell=min_cell,
        title=title,
        population=population,
        period=period,
        measure=measure,
    )
    published = {row[by]: row for row in rates.frame.iter_rows(named=True)}
    missing = [g for g in (group, reference) if g not in published]
    if missing:
        raise DisclosureError(f"share_difference: no group {missing[0]!r} in column {by}")
    a, b = published[group], published[reference]
    label = difference_label(group, reference)
    row: dict = {by: label, "persons": None, "events": None}
    row |= {"share": None, "lower": None, "upper": None}
    reason: list[str] = []
    if a["share"] is None or b["share"] is None or a["persons"] is None or b["persons"] is None:
        reason = ["group_suppressed"]
    else:
        d, low, high = newcombe(
            (a["share"], a["lower"], a["upper"]), (b["share"], b["lower"], b["upper"])
        )
        row |= {"persons": a["persons"] + b["persons"], "share": d, "lower": low, "upper": high}
    frame_out = pl.concat([rates.frame, pl.DataFrame([row], schema=rates.frame.schema)])
    reasons = rates.reasons
    if reasons is not None:
        extra = reason_frame(by, [label], [reason])
        reasons = pl.concat([reasons, extra.cast(reasons.schema)])
    return SafeRates(
        frame=frame_out,
        dims=rates.dims,
        min_cell=rates.min_cell,
        title=rates.title,
        rules=rates.rules,
        passed=(*rates.passed, "difference_from_published_shares"),
        definition=rates.definition,
        reasons=reasons,
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
