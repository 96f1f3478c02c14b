"""Figures drawn only from safe outputs: :class:`SafeFigure` and the helpers that make
one (:func:`histogram`, :func:`bar_chart`, :func:`survival_plot`, :func:`rate_plot`,
and :func:`figure_of` for a figure drawn by hand).

A figure shows numbers as surely as a table does, so it carries a certificate (kind
``figure``) of the published rows it was drawn from: each source's certificate rows,
after a ``source`` column naming the source (a column a source lacks is None there),
the strictest of the sources' rules, and ``drawn_from_safe_outputs`` among the checks.
The certificate travels inside the PNG (:data:`enclave.disclosure.safe.PNG_KEY`) and
in the notebook (:data:`enclave.disclosure.safe.MIME`), beside alt text that says what
is drawn and what was suppressed, and never gives a number the certificate does not
(axis labels go into the alt text: a number in one is not certified, so put it in the
title instead).

How the helpers draw, so that a figure shows nothing its tables do not publish:

- counts are drawn at their published (rounded) value; a suppressed bar is a hatched
  stub marked :data:`~enclave.disclosure.suppression.MARKER`, of one height for all
  (a small fraction of the tallest published bar), never its own;
- margins (the Total) are not drawn, but are in the certificate;
- survival curves are steps through their published points only; times not published
  are left out, so a curve ends where its risk set gets too small;
- shares are points with their interval; a suppressed share is the marker at the foot
  of the axis, with no point.

PNG bytes are deterministic: the same inputs give the same file (no timestamp, no
software version in the metadata).
"""

from __future__ import annotations

import io
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from enclave.disclosure import safe
from enclave.disclosure.magnitude import read_columns, rules_for
from enclave.disclosure.rates import SafeRates
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.safe import Certificate, SafeOutput
from enclave.disclosure.suppression import MARKER, TOTAL, SafeTable, protect_1d
from enclave.disclosure.survival import SafeSurvival

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_MINT = safe.mint()
#: resolution of every saved or shown figure
DPI = 100
#: height of a suppressed bar's stub, as a share of the tallest published bar
STUB = 0.04


@dataclass(frozen=True, repr=False, eq=False)
class SafeFigure(SafeOutput):
    """A matplotlib figure drawn from safe outputs, its certificate and its alt text;
    built only by the helpers of this module."""

    figure: Figure
    cert: Certificate
    alt: str
    token: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        safe._check_token(self.token, "a SafeFigure")

    @property
    def certificate(self) -> Certificate:
        return self.cert

    def png(self) -> bytes:
        """The figure as PNG bytes, with its certificate in a text chunk."""
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=DPI, metadata=safe.png_metadata(self.cert))
        return buffer.getvalue()

    def save(self, path: Path | str) -> Path:
        """Write the PNG (same inputs, same bytes); the output checker reads PNGs only."""
        path = Path(path)
        if path.suffix.lower() != ".png":
            raise DisclosureError(f"a safe figure is saved as PNG, not {path.suffix or 'none'}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.figure.savefig(path, format="png", dpi=DPI, metadata=safe.png_metadata(self.cert))
        return path

    def close(self) -> None:
        """Release the figure (and pyplot's hold on it, if pyplot made it)."""
        pyplot = sys.modules.get("matplotlib.pyplot")
        if pyplot is not None:
            pyplot.close(self.figure)
        self.figure.clear()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return safe.png_bundle(self.png(), self.cert, self.alt)

    def _repr_html_(self) -> None:  # type: ignore[override]
        # IPython would add the certificate's table as HTML, shown instead of the image
        return None

    def __repr__(self) -> str:
        return self.alt


# --------------------------------------------------------------------------- certificates


def figure_of(
    fig: Figure, sources: Sequence[SafeOutput], *, alt: str, title: str = ""
) -> SafeFigure:
    """Certify ``fig`` as drawn from ``sources`` (safe outputs only), with ``alt`` text.

    The caller draws; the certificate says which published rows the figure may show,
    and the output checker holds every number around it to them. A source that is not
    a safe output, or a figure without alt text, is refused.
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise DisclosureError("figure_of certifies a matplotlib Figure")
    sources = list(sources)
    if not sources:
        raise DisclosureError("a figure is certified from one or more safe outputs")
    for source in sources:
        if not isinstance(source, SafeOutput):
            raise DisclosureError(
                f"a figure may be drawn from safe outputs only, not a {type(source).__name__}"
            )
    if not isinstance(alt, str) or not alt.strip():
        raise DisclosureError("a figure needs alt text saying what it shows")
    return SafeFigure(fig, _certificate([s.certificate for s in sources], title), alt, _MINT)


def _certificate(certs: list[Certificate], title: str) -> Certificate:
    names = [c.title or f"source {i}" for i, c in enumerate(certs, start=1)]
    names = [n if names.count(n) == 1 else f"{n} ({i})" for i, n in enumerate(names, start=1)]
    columns = _union(c.columns for c in certs)
    rows = [
        (name, *(row[cert.columns.index(col)] if col in cert.columns else None for col in columns))
        for name, cert in zip(names, certs, strict=True)
        for row in cert.rows
    ]
    return Certificate(
        kind="figure",
        title=title or "; ".join(_union([names])),
        dims=("source", *_union(c.dims for c in certs)),
        columns=("source", *columns),
        rows=safe.tuples(rows),
        rules=strictest([c.rules for c in certs]),
        passed=(*_union(c.passed for c in certs), "drawn_from_safe_outputs"),
        definition=_definition([c.definition for c in certs]),
    )


def _union(groups) -> list[Any]:
    """Items of all groups, each once, in order of first appearance."""
    return list(dict.fromkeys(item for group in groups for item in group))


def strictest(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The strictest of several certificates' rules: the largest minimum cell, group and
    dominance n and p%, the smallest dominance k, the strictest rounding, all parties.
    Any other rule is kept when the sources agree on it."""
    from enclave.governance.agreement import ROUNDING_ORDER

    def rounding(values):
        rank = {r: i for i, r in enumerate(ROUNDING_ORDER)}
        return max(values, key=lambda v: rank.get(v, len(rank)))

    pick = {
        "min_cell": max,
        "min_group": max,
        "dominance_n": max,
        "dominance_k": min,
        "p_percent": max,
        "rounding": rounding,
        "parties": lambda values: sorted(set().union(*values)),
    }
    out: dict[str, Any] = {}
    for key in _union(records):
        values = [r[key] for r in records if key in r]
        if key in pick:
            out[key] = pick[key](values)
        elif all(v == values[0] for v in values):
            out[key] = values[0]
    return out


def _definition(definitions: Sequence[dict[str, str]]) -> dict[str, str]:
    keys = _union(definitions)
    return {
        k: "; ".join(v for v in _union([[d.get(k, "")] for d in definitions]) if v) for k in keys
    }


# --------------------------------------------------------------------------- drawing


def _axes(title: str, xlabel: str, ylabel: str) -> tuple[Figure, Axes]:
    from matplotlib.figure import Figure  # imported here: slow, and only needed to draw

    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return fig, ax


def _bars(ax: Axes, lefts: np.ndarray, widths: np.ndarray, counts: Sequence[int | None]) -> None:
    """Published counts at their height; suppressed ones as equal hatched stubs."""
    published = [c for c in counts if c is not None]
    stub = STUB * max([*published, 1])
    for left, width, count in zip(lefts, widths, counts, strict=True):
        if count is None:
            ax.bar(left, stub, width, align="edge", fill=False, hatch="///", edgecolor="0.4")
            ax.text(left + width / 2, stub, MARKER, ha="center", va="bottom", fontsize=8)
        else:
            ax.bar(left, count, width, align="edge", color="C0", edgecolor="white")


def _suppressed_note(labels: Sequence[str], what: str) -> str:
    if not labels:
        return f"No {what} is suppressed."
    return f"Suppressed {what}s, drawn as hatched stubs marked {MARKER}: {', '.join(labels)}."


def bar_chart(
    table: SafeTable, *, xlabel: str, ylabel: str = "persons", title: str | None = None
) -> SafeFigure:
    """A bar per cell of a protected one-way table (its Total is not drawn)."""
    if not isinstance(table, SafeTable) or len(table.dims) != 1:
        raise DisclosureError("bar_chart draws a one-way SafeTable (from protect_1d)")
    title = table.title if title is None else title
    cells = table.cells
    labels = cells.get_column(table.dims[0]).to_list()
    counts = cells.get_column("n").to_list()
    fig, ax = _axes(title, xlabel, ylabel)
    positions = np.arange(len(labels), dtype=float)
    _bars(ax, positions - 0.4, np.full(len(labels), 0.8), counts)
    ax.set_xticks(positions, labels, rotation=30 if len(labels) > 6 else 0)
    hidden = [label for label, c in zip(labels, counts, strict=True) if c is None]
    alt = (
        f"Bar chart{': ' + title if title else ''}. One bar per {xlabel} ({', '.join(labels)})"
        f" giving the {ylabel}; the Total is not drawn. {_suppressed_note(hidden, 'bar')}"
    )
    return figure_of(fig, [table], alt=alt, title=title)


def _bin_labels(edges: np.ndarray) -> list[str]:
    last = len(edges) - 2
    return [
        f"[{a:g}, {b:g}{']' if i == last else ')'}"
        for i, (a, b) in enumerate(itertools.pairwise(edges))
    ]


def histogram(
    frame: pl.DataFrame | pl.LazyFrame,
    value: str,
    bins: Sequence[float],
    *,
    xlabel: str,
    ylabel: str = "persons",
    min_cell: int | None = None,
    title: str = "",
    population: str = "",
    period: str = "",
    measure: str = "persons",
) -> SafeFigure:
    """A histogram of ``value`` over the bin edges ``bins`` (each bin ``[a, b)``, the
    last ``[a, b]``), its counts protected by
    :func:`~enclave.disclosure.suppression.protect_1d` before anything is drawn.

    Every value must lie within the bins: a value left out would be an unstated
    suppression. A bin whose count rounding brings into (0, min_cell) is suppressed
    too. ``min_cell`` (default: the agreement's for the data read) and the definition
    arguments as in ``protect_1d``.
    """
    applied = rules_for(min_cell)
    edges = np.asarray(list(bins), dtype=float)
    if edges.size < 2 or not np.isfinite(edges).all() or (np.diff(edges) <= 0).any():
        raise DisclosureError("bins must be two or more increasing, finite edges")
    data, _ = read_columns(frame, None, [value])
    if not data.schema[value].is_numeric():
        raise DisclosureError(f"column {value}: values must be numeric")
    values = data.get_column(value).cast(pl.Float64).to_numpy()
    if not ((values >= edges[0]) & (values <= edges[-1])).all():
        raise DisclosureError(f"column {value}: some values lie outside the bins; widen them")
    counts, _ = np.histogram(values, edges)
    labels = _bin_labels(edges)
    dim = value if value not in ("n", "suppressed") else "bin"
    counted = pl.DataFrame({dim: labels, "n": counts.astype(np.int64)})
    forced: list[str] = []
    while True:  # a count rounded into (0, min_cell) is suppressed as well
        table = protect_1d(
            counted,
            dim,
            min_cell=applied.min_cell,
            levels=labels,
            title=title,
            also_hidden=forced,
            population=population,
            period=period,
            measure=measure,
        )
        small = table.frame.filter(pl.col("n").is_between(1, applied.min_cell - 1))
        if small.height == 0:
            break
        forced += small.get_column(dim).to_list()
    fig, ax = _axes(title, xlabel, ylabel)
    _bars(ax, edges[:-1], np.diff(edges), table.cells.get_column("n").to_list())
    hidden = [
        label for label, n in zip(labels, table.cells.get_column("n"), strict=True) if n is None
    ]
    alt = (
        f"Histogram{': ' + title if title else ''}. Bars give the {ylabel} in each bin of "
        f"{xlabel} ({', '.join(labels)}). {_suppressed_note(hidden, 'bin')}"
    )
    return figure_of(fig, [table], alt=alt, title=title)


def survival_plot(
    table: SafeSurvival,
    *,
    xlabel: str = "time",
    ylabel: str = "survival",
    title: str | None = None,
    cumulative: bool = False,
) -> SafeFigure:
    """Step curves (with confidence bands) through the published points of a
    :class:`~enclave.disclosure.survival.SafeSurvival`, one per group. With
    ``cumulative``, one minus each curve (the share with the event by each time: "used a
    program by each age"), its band flipped with it. With more than four groups the
    legend sits beside the plot."""
    if not isinstance(table, SafeSurvival):
        raise DisclosureError("survival_plot draws a SafeSurvival (from survival_table)")
    title = table.title if title is None else title
    dim = table.dims[0]
    fig, ax = _axes(title, xlabel, ylabel)
    shown, missing = [], []
    groups = table.frame.get_column(dim).unique(maintain_order=True).to_list()
    for i, group in enumerate(groups):
        points = table.frame.filter(pl.col(dim) == group, pl.col("survival").is_not_null())
        if points.height == 0:
            missing.append(group)
            continue
        shown.append(group)
        t = points.get_column("time").to_numpy()
        s, low, high = (points.get_column(c).to_numpy() for c in ("survival", "lower", "upper"))
        if cumulative:
            s, low, high = 1 - s, 1 - high, 1 - low
        colour = f"C{i % 10}"
        ax.step(t, s, where="post", color=colour, label=group, marker="o", markersize=3)
        ax.fill_between(t, low, high, step="post", color=colour, alpha=0.2, linewidth=0)
    ax.set_ylim(0, 1.05)
    if groups != [TOTAL] and len(groups) > 4:
        fig.set_size_inches(8.4, 4.4)
        ax.legend(title=dim, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)
    elif groups != [TOTAL]:
        ax.legend(title=dim, loc="best")
    kind = "Cumulative shares (one minus Kaplan-Meier)" if cumulative else "Kaplan-Meier curves"
    alt = (
        f"{kind}{': ' + title if title else ''}, "
        f"{'by ' + dim if groups != [TOTAL] else 'overall'}. Curves drawn: "
        f"{', '.join(shown) or 'none'}; each is a step curve with its confidence band, "
        "through its published times only, and ends where too few persons remain at risk."
    )
    if missing:
        alt += f" Not drawn (no time could be published): {', '.join(missing)}."
    return figure_of(fig, [table], alt=alt, title=title)


def rate_plot(
    table: SafeRates, *, xlabel: str = "", ylabel: str = "share", title: str | None = None
) -> SafeFigure:
    """A point per group (and the Total) with its confidence interval; a suppressed
    share is marked at the foot of the axis, with no point."""
    if not isinstance(table, SafeRates):
        raise DisclosureError("rate_plot draws a SafeRates (from proportions)")
    title = table.title if title is None else title
    dim = table.dims[0]
    frame = table.frame
    labels = frame.get_column(dim).to_list()
    fig, ax = _axes(title, xlabel or dim, ylabel)
    hidden = []
    for x, row in enumerate(frame.iter_rows(named=True)):
        if row["share"] is None:
            hidden.append(row[dim])
            ax.text(x, 0.02, MARKER, ha="center", va="bottom", fontsize=8)
            continue
        error = [[row["share"] - row["lower"]], [row["upper"] - row["share"]]]
        ax.errorbar(x, row["share"], yerr=error, fmt="o", color="C0", capsize=3)
    ax.set_xticks(np.arange(len(labels)), labels, rotation=30 if len(labels) > 6 else 0)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylim(0, 1)
    alt = (
        f"Shares{': ' + title if title else ''}. A point with its confidence interval for "
        f"each {dim} ({', '.join(labels)})."
    )
    alt += (
        f" Suppressed, marked {MARKER} with no point: {', '.join(hidden)}."
        if hidden
        else " No share is suppressed."
    )
    return figure_of(fig, [table], alt=alt, title=title)
