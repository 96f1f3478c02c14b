"""The minimum-cell rule for one- and two-way count tables, and the :class:`SafeTable`
that carries a protected table to the screen, to CSV and to figures."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from enclave.disclosure import audit, rules
from enclave.disclosure.rules import DisclosureError

#: what a suppressed cell shows on screen and in figures ("c" for confidential)
MARKER = "[c]"
#: the label of margin rows and columns
TOTAL = "Total"


@dataclass(frozen=True)
class SafeTable:
    """A count table after disclosure control.

    ``frame`` is long: one row per cell, margins included (their dimension value is
    :data:`TOTAL`), with the dimension columns as strings, ``n`` (Int64, null where
    suppressed) and ``suppressed`` (bool). Nothing in it is below ``min_cell``
    except zeros.
    """

    frame: pl.DataFrame
    dims: tuple[str, ...]
    min_cell: int
    title: str = ""

    @property
    def cells(self) -> pl.DataFrame:
        """The interior cells, without margins."""
        return self.frame.filter(*[pl.col(d) != TOTAL for d in self.dims])

    def value(self, **where: str) -> int | None:
        """The published count of one cell (None if suppressed), e.g. ``t.value(age="0-17")``."""
        row = self.frame.filter(*[pl.col(d) == str(v) for d, v in where.items()])
        if row.height != 1:
            raise DisclosureError(f"{self.title or 'table'}: no one cell matches {sorted(where)}")
        return row.item(0, "n")

    def display(self) -> pl.DataFrame:
        """Strings for the screen: suppressed cells show :data:`MARKER`; 2-D tables are wide."""
        shown = self.frame.with_columns(
            pl.when(pl.col("suppressed"))
            .then(pl.lit(MARKER))
            .otherwise(pl.col("n").cast(pl.String))
            .alias("n")
        ).drop("suppressed")
        if len(self.dims) == 1:
            return shown
        rows, cols = self.dims
        order = shown.get_column(cols).unique(maintain_order=True).to_list()
        wide = shown.pivot(on=cols, index=rows, values="n", maintain_order=True)
        return wide.select(rows, *order)

    def write_csv(self, path: Path) -> Path:
        """The long frame as CSV: suppressed counts are empty, flagged in ``suppressed``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.write_csv(path)
        return path

    def _repr_html_(self) -> str:
        shown = self.display()
        dims = set(self.dims)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
        body = []
        for row in shown.iter_rows():
            tds = (
                f'<td class="{"dim" if col in dims else "count"}">{html.escape(str(val))}</td>'
                for col, val in zip(shown.columns, row, strict=True)
            )
            body.append(f"<tr>{''.join(tds)}</tr>")
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        note = (
            f"<p><small>{MARKER}: suppressed (fewer than {self.min_cell} persons, "
            "or would reveal such a cell)</small></p>"
        )
        return (
            f'<table class="safe-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>{note}"
        )

    def __repr__(self) -> str:
        return f"{self.title}\n{self.display()}" if self.title else str(self.display())


# --------------------------------------------------------------------------- building


def _counts(frame: pl.DataFrame | pl.LazyFrame, dims: Sequence[str], count: str) -> pl.DataFrame:
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    missing = [c for c in (*dims, count) if c not in frame.columns]
    if missing:
        raise DisclosureError(f"count table lacks columns {missing}")
    out = frame.select(*[pl.col(d).cast(pl.String) for d in dims], pl.col(count).cast(pl.Int64))
    if out.get_column(count).null_count() or (out.get_column(count) < 0).any():
        raise DisclosureError(f"column {count}: counts must be non-negative integers")
    if out.select(dims).is_duplicated().any():
        raise DisclosureError(f"count table has repeated cells over {list(dims)}")
    return out.rename({count: "n"})


def _levels(frame: pl.DataFrame, dim: str, levels: Sequence[object] | None) -> list[str]:
    present = frame.get_column(dim).unique(maintain_order=True).to_list()
    if levels is None:
        return [str(v) for v in present]
    wanted = [str(v) for v in levels]
    extra = set(present) - set(wanted)
    if extra:
        raise DisclosureError(f"dimension {dim}: {len(extra)} values outside the given levels")
    return wanted


def _safe(frame: pl.DataFrame, hidden: np.ndarray, dims, min_cell: int, title: str) -> SafeTable:
    frame = frame.with_columns(suppressed=pl.Series(hidden, dtype=pl.Boolean)).with_columns(
        n=pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("n"))
    )
    return SafeTable(frame, tuple(dims), min_cell, title)


def protect_1d(
    frame: pl.DataFrame | pl.LazyFrame,
    dim: str,
    count: str = "n",
    *,
    min_cell: int,
    levels: Sequence[object] | None = None,
    title: str = "",
    also_hidden: Sequence[str] = (),
) -> SafeTable:
    """Protect a one-way table of counts and add its total.

    Levels missing from ``frame`` are zero cells; rows follow ``levels`` (else input order).
    ``also_hidden`` cells (levels, or :data:`TOTAL`) are suppressed whatever their count,
    as when a linked table had to suppress them.

    >>> t = protect_1d(pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 40, 50]}), "k", min_cell=10)
    >>> t.frame.get_column("n").to_list()
    [None, None, 50, 93]
    """
    rules.check_min_cell(min_cell)
    counts = _counts(frame, [dim], count)
    order = _levels(counts, dim, levels)
    full = pl.DataFrame({dim: order}).join(counts, on=dim, how="left").fill_null(0)
    values = np.append(full.get_column("n").to_numpy(), full.get_column("n").sum())
    table = pl.concat([full, pl.DataFrame({dim: [TOTAL], "n": [int(values[-1])]})])
    forced = np.isin(np.array([*order, TOTAL]), list(also_hidden))
    hidden = audit.protect(audit.one_way(len(order)), values, min_cell, forced)
    return _safe(table, hidden, [dim], min_cell, title)


def protect_2d(
    frame: pl.DataFrame | pl.LazyFrame,
    rows: str,
    cols: str,
    count: str = "n",
    *,
    min_cell: int,
    row_levels: Sequence[object] | None = None,
    col_levels: Sequence[object] | None = None,
    title: str = "",
    col_margins: SafeTable | None = None,
) -> SafeTable:
    """Protect a two-way table of counts with row, column and grand totals.

    Missing cells are zeros. Rows and columns follow the given levels (else input order).

    ``col_margins`` is the protected one-way table of the column dimension when it is
    published too (the same persons counted by ``cols`` alone). The column totals
    start with its suppressions and keep its published cells unless no other
    complement exists; :func:`margins_agree` tells whether the two tables ended
    with the same pattern (if not, re-protect the one-way table with
    ``also_hidden``, as :func:`enclave.studies.overlap.agency_count_tables` does).
    """
    rules.check_min_cell(min_cell)
    counts = _counts(frame, [rows, cols], count)
    r_order = _levels(counts, rows, row_levels)
    c_order = _levels(counts, cols, col_levels)
    grid = pl.DataFrame({rows: r_order}).join(pl.DataFrame({cols: c_order}), how="cross")
    grid = grid.join(counts, on=[rows, cols], how="left").fill_null(0)
    inner = grid.get_column("n").to_numpy().reshape(len(r_order), len(c_order))
    values = np.zeros((len(r_order) + 1, len(c_order) + 1), dtype=np.int64)
    values[:-1, :-1] = inner
    values[:-1, -1] = inner.sum(axis=1)
    values[-1, :-1] = inner.sum(axis=0)
    values[-1, -1] = inner.sum()
    labels_r = [*r_order, TOTAL]
    labels_c = [*c_order, TOTAL]
    table = pl.DataFrame(
        {
            rows: [r for r in labels_r for _ in labels_c],
            cols: labels_c * len(labels_r),
            "n": values.ravel(),
        }
    )
    linked = _linked_margins(values, col_margins, cols, labels_c)
    hidden = audit.protect(
        audit.two_way(len(r_order), len(c_order)), values.ravel(), min_cell, *linked
    )
    return _safe(table, hidden, [rows, cols], min_cell, title)


def hidden_margins(table: SafeTable) -> list[str]:
    """Column labels (and :data:`TOTAL`) whose column total a 2-D table suppressed."""
    rows, cols = table.dims
    margin = table.frame.filter(pl.col(rows) == TOTAL, pl.col("suppressed"))
    return margin.get_column(cols).to_list()


def hidden_cells(table: SafeTable) -> list[str]:
    """Levels (and :data:`TOTAL`) a 1-D table suppressed."""
    (dim,) = table.dims
    return table.frame.filter(pl.col("suppressed")).get_column(dim).to_list()


def margins_agree(one_way: SafeTable, two_way: SafeTable) -> bool:
    """Does the 2-D table suppress exactly the column totals the 1-D table does?"""
    return sorted(hidden_margins(two_way)) == sorted(hidden_cells(one_way))


def _linked_margins(
    values: np.ndarray, margins: SafeTable | None, cols: str, labels: list[str]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(start hidden, fixed) masks making the column totals follow a published 1-D table."""
    if margins is None:
        return None, None
    if margins.dims != (cols,) or margins.frame.get_column(cols).to_list() != labels:
        raise DisclosureError(f"column margins must be the one-way table of {cols}")
    shown = margins.frame.get_column("n").to_numpy()
    published = ~margins.frame.get_column("suppressed").to_numpy()
    if (shown[published] != values[-1][published]).any():
        raise DisclosureError("column margins do not count the same persons")
    hidden = np.zeros(values.shape, dtype=bool)
    fixed = np.zeros(values.shape, dtype=bool)
    hidden[-1], fixed[-1] = ~published, published
    return hidden.ravel(), fixed.ravel()
