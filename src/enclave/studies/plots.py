"""Figures drawn only from protected tables: a suppressed count is never drawn as a
bar height; its place shows :data:`enclave.disclosure.MARKER` instead."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import polars as pl
from matplotlib.figure import Figure

from enclave.disclosure import MARKER, SafeFigure, SafeTable, figure_of
from enclave.studies.overlap import AGENCY_LABELS

_BAR = "#3b6ea5"
_MUTED = "#b8b8b8"


def _bars(ax, labels: Sequence[str], counts: Sequence[int | None]) -> None:
    """Bars for published counts; a hatched stub and the marker for suppressed ones."""
    top = max((c for c in counts if c is not None), default=1) or 1
    for x, count in enumerate(counts):
        if count is None:
            ax.bar(x, top * 0.02, color="white", edgecolor=_MUTED, hatch="///")
            ax.text(x, top * 0.03, MARKER, ha="center", va="bottom", fontsize=8, color="#555")
        else:
            ax.bar(x, count, color=_BAR)
            ax.text(x, count, str(count), ha="center", va="bottom", fontsize=8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, top * 1.12)
    ax.spines[["top", "right"]].set_visible(False)


def bar_chart(table: SafeTable, *, xlabel: str, ylabel: str = "persons") -> SafeFigure:
    """A bar per cell of a protected one-way table (the total is left out), certified as
    drawn from it (:func:`enclave.disclosure.figure_of`)."""
    (dim,) = table.dims
    cells = table.cells
    fig, ax = plt.subplots(figsize=(7, 3.8))
    _bars(ax, cells.get_column(dim).to_list(), cells.get_column("n").to_list())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(table.title, fontsize=10)
    _footnote(fig, table)
    labels = cells.get_column(dim).to_list()
    return figure_of(fig, [table], alt=_alt("Bar chart", table, xlabel, ylabel, labels))


def upset(table: SafeTable, sets: Sequence[str], *, exclude: Sequence[str] = ()) -> SafeFigure:
    """UpSet-style chart of a protected combinations table.

    Top: a bar per combination (its persons). Bottom: a dot matrix, one row per set
    (``sets``, e.g. the agencies), with the combination's members filled and joined.
    Combination labels are members joined by ``" + "``; rows in ``exclude`` (a pooled
    remainder) are left out.
    """
    (dim,) = table.dims
    sets = [AGENCY_LABELS.get(s, s) for s in sets]  # agency codes, as combinations name them
    cells = table.cells.filter(~pl.col(dim).is_in(list(exclude)))
    combos = [label.split(" + ") for label in cells.get_column(dim).to_list()]
    counts = cells.get_column("n").to_list()
    fig, (top, grid) = plt.subplots(
        2, 1, figsize=(max(6, 0.5 * len(combos) + 2), 6), height_ratios=[3, 2], sharex=True
    )
    _bars(top, [""] * len(combos), counts)
    top.set_ylabel("persons")
    top.set_title(table.title, fontsize=10)
    for x, members in enumerate(combos):
        ys = [len(sets) - 1 - sets.index(m) for m in members if m in sets]
        grid.scatter([x] * len(sets), range(len(sets)), color="#e3e3e3", s=40, zorder=1)
        grid.scatter([x] * len(ys), ys, color="#222", s=40, zorder=3)
        if len(ys) > 1:
            grid.plot([x, x], [min(ys), max(ys)], color="#222", lw=1.5, zorder=2)
    grid.set_yticks(range(len(sets)), list(reversed(sets)))
    grid.set_xticks(range(len(combos)), [""] * len(combos))
    grid.set_ylim(-0.6, len(sets) - 0.4)
    grid.spines[["top", "right", "bottom"]].set_visible(False)
    grid.tick_params(axis="x", length=0)
    _footnote(fig, table)
    labels = cells.get_column(dim).to_list()
    alt = _alt("Combination chart (UpSet)", table, "combination of agencies", "persons", labels)
    return figure_of(fig, [table], alt=alt)


def _alt(kind: str, table: SafeTable, xlabel: str, ylabel: str, labels: Sequence[str]) -> str:
    """Alternative text: what is drawn, and which bars are suppressed (no counts: the
    figure's certificate holds them)."""
    hidden = table.cells.filter(pl.col("suppressed")).get_column(table.dims[0]).to_list()
    said = (
        f"{len(hidden)} suppressed, drawn as hatched stubs marked {MARKER}"
        if hidden
        else ("none suppressed")
    )
    return (
        f"{kind}: {table.title}. One bar per {xlabel} ({', '.join(map(str, labels))}), its "
        f"height the {ylabel}; {said}."
    )


def _footnote(fig: Figure, table: SafeTable) -> None:
    fig.text(
        0.01,
        0.005,
        f"{MARKER}: suppressed (fewer than {table.min_cell} persons, or would reveal such a cell)",
        fontsize=7,
        color="#555",
    )
    fig.tight_layout(rect=(0, 0.03, 1, 1))
