"""The minimum-cell rule for one- and two-way count tables, and the :class:`SafeTable`
that carries a protected table to the screen, to CSV and to figures."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from enclave.disclosure import audit, rules, safe
from enclave.disclosure.rounding import cell_key, round_counts
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.safe import SafeOutput

#: what a suppressed cell shows on screen and in figures ("c" for confidential)
MARKER = "[c]"
#: the label of margin rows and columns
TOTAL = "Total"


@dataclass(frozen=True)
class SafeTable(SafeOutput):
    """A count table after disclosure control, built only by the helpers
    (:func:`protect_1d`, :func:`protect_2d` and the methods below).

    ``frame`` is long: one row per cell, margins included (their dimension value is
    :data:`TOTAL`), with the dimension columns as strings, ``n`` (Int64, null where
    suppressed, rounded where the rules round) and ``suppressed`` (bool). Nothing in it
    is below ``min_cell`` except zeros. ``rules`` and ``passed`` are what its
    certificate records; ``definition`` is what the release ledger compares.
    """

    frame: pl.DataFrame
    dims: tuple[str, ...]
    min_cell: int
    title: str = ""
    rules: dict = field(default_factory=dict, repr=False, compare=False)
    passed: tuple[str, ...] = ()
    definition: dict = field(default_factory=dict, repr=False, compare=False)
    token: object = field(default=None, repr=False, compare=False)
    #: column -> the header a reader sees (display only; CSV and certificate keep names)
    headers: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        safe._check_token(self.token, "a SafeTable")

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

    def derive(self, frame: pl.DataFrame, dims: Sequence[str] | None = None) -> SafeTable:
        """A table of some of this table's published rows, reordered or narrowed (as a
        margin of a two-way table is). Every row must be one of this table's, unchanged."""
        dims = tuple(dims or self.dims)
        cols = [*dims, "n", "suppressed"]
        mine = self.frame.select(cols) if set(dims) <= set(self.dims) else None
        if (
            mine is None
            or frame.columns != cols
            or frame.join(mine, on=cols, how="anti", nulls_equal=True).height
        ):
            raise DisclosureError(f"{self.title or 'table'}: a derived table must keep its rows")
        return SafeTable(
            frame,
            dims,
            self.min_cell,
            self.title,
            self.rules,
            self.passed,
            self.definition,
            _MINT,
            self.headers,
        )

    def margin(self, dim: str) -> SafeTable:
        """The one-way table of a two-way table's totals over ``dim`` (its rows or columns)."""
        other = next(d for d in self.dims if d != dim)
        return self.derive(
            self.frame.filter(pl.col(other) == TOTAL).select(dim, "n", "suppressed"), (dim,)
        )

    def display(self) -> pl.DataFrame:
        """Strings for the screen: suppressed cells show :data:`MARKER`; 2-D tables are wide."""
        shown = self.frame.with_columns(
            pl.when(pl.col("suppressed"))
            .then(pl.lit(MARKER))
            .otherwise(pl.col("n").cast(pl.String))
            .alias("n")
        ).drop("suppressed")
        if len(self.dims) == 1:
            return shown.rename({c: self.headers.get(c, c) for c in shown.columns})
        rows, cols = self.dims
        order = shown.get_column(cols).unique(maintain_order=True).to_list()
        wide = shown.pivot(on=cols, index=rows, values="n", maintain_order=True)
        return wide.select(rows, *order).rename({rows: self.headers.get(rows, rows)})

    @property
    def certificate(self) -> safe.Certificate:
        frame = self.frame.select(*self.dims, "n")
        return safe.Certificate(
            kind="counts",
            title=self.title,
            dims=self.dims,
            columns=tuple(frame.columns),
            rows=safe.tuples(frame.rows()),
            rules=self.rules,
            passed=self.passed,
            definition=self.definition,
        )

    def write_csv(self, path: Path) -> Path:
        """The long frame as CSV (suppressed counts empty, flagged in ``suppressed``), with
        its certificate beside it (``<name>.csv.cert.json``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.frame.write_csv(path)
        sidecar = path.with_name(path.name + safe.SIDECAR)
        sidecar.write_text(json.dumps(self.certificate.to_json(), indent=1, sort_keys=True))
        return path

    def _repr_html_(self) -> str:
        shown = self.display()
        dims = {self.headers.get(d, d) for d in self.dims}
        head = "".join(f"<th>{html.escape(c)}</th>" for c in shown.columns)
        body = []
        for row in shown.iter_rows():
            tds = (
                f'<td class="{"dim" if col in dims else "count"}">{html.escape(str(val))}</td>'
                for col, val in zip(shown.columns, row, strict=True)
            )
            body.append(f"<tr>{''.join(tds)}</tr>")
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return (
            f'<table class="safe-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table><p><small>{html.escape(self.note)}"
            "</small></p>"
        )

    @property
    def note(self) -> str:
        """The footnote: what the marker means, and the rounding if any."""
        text = (
            f"{MARKER}: suppressed (fewer than {self.min_cell} persons, or would reveal such "
            "a cell)"
        )
        rounding = self.rules.get("rounding", "none")
        if rounding != "none":
            text += f"; counts {ROUNDING_NOTE[rounding]}"
        return text

    def __repr__(self) -> str:
        table = self.display()
        lines = ["  ".join(table.columns)]
        lines += ["  ".join("" if v is None else str(v) for v in row) for row in table.rows()]
        return "\n".join([self.title, *lines] if self.title else lines)


#: how the footnote describes each rounding rule
ROUNDING_NOTE = {
    "base5": "rounded to the nearest 5",
    "base10": "rounded to the nearest 10",
    "random3": "randomly rounded to a multiple of 3",
}

#: the token safe tables are built with (see :mod:`enclave.disclosure.safe`)
_MINT = safe.mint()


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


def _labels(dim: str, labels: Sequence[str]) -> pl.DataFrame:
    """The levels of a dimension as a frame, typed as strings even when there are none
    (a period holding nobody has no county or combination to list)."""
    return pl.DataFrame({dim: labels}, schema={dim: pl.String})


def _levels(frame: pl.DataFrame, dim: str, levels: Sequence[object] | None) -> list[str]:
    present = frame.get_column(dim).unique(maintain_order=True).to_list()
    if levels is None:
        return [str(v) for v in present]
    wanted = [str(v) for v in levels]
    extra = set(present) - set(wanted)
    if extra:
        raise DisclosureError(f"dimension {dim}: {len(extra)} values outside the given levels")
    return wanted


@dataclass(frozen=True)
class _Spec:
    """What a caller asked of a protected table, beyond its counts."""

    min_cell: int
    rounding: str
    title: str
    population: str
    period: str
    measure: str
    headers: dict = field(default_factory=dict)

    @classmethod
    def of(cls, min_cell, rounding, title, population, period, measure, headers=None) -> _Spec:
        rules.check_min_cell(min_cell)
        return cls(
            min_cell,
            rules.check_rounding(rounding),
            title,
            population,
            period,
            measure,
            dict(headers or {}),
        )

    def keys(self, table: pl.DataFrame, dims: Sequence[str]) -> list[str]:
        return [
            cell_key(self.population, dict(zip(dims, labels, strict=True)), TOTAL)
            for labels in table.select(dims).rows()
        ]

    def publish(self, values: np.ndarray, table: pl.DataFrame, dims) -> np.ndarray:
        """The counts as published (rounded), before suppression blanks some of them."""
        return round_counts(values, self.rounding, self.keys(table, dims))

    def small(self, values: np.ndarray, table: pl.DataFrame, dims) -> np.ndarray:
        """Cells that rounding would bring into (0, min_cell) (base 10 shows 14 as 10):
        they are suppressed as if they were small."""
        shown = self.publish(values, table, dims)
        return (shown > 0) & (shown < self.min_cell)

    def safe(self, table: pl.DataFrame, hidden: np.ndarray, dims) -> SafeTable:
        shown = self.publish(table.get_column("n").to_numpy(), table, dims)
        frame = table.with_columns(
            n=pl.Series(shown, dtype=pl.Int64), suppressed=pl.Series(hidden, dtype=pl.Boolean)
        ).with_columns(n=pl.when(pl.col("suppressed")).then(None).otherwise(pl.col("n")))
        record = safe.rules_record(
            rules.current(self.min_cell), rules.parties_read(), rounding=self.rounding
        )
        passed = ("min_cell", "secondary_suppression")
        if self.rounding != "none":
            passed += (f"rounding:{self.rounding}",)
        return SafeTable(
            frame,
            tuple(dims),
            self.min_cell,
            self.title,
            record,
            passed,
            safe.definition(self.measure, self.population or self.title, self.period),
            _MINT,
            self.headers,
        )


def protect_1d(
    frame: pl.DataFrame | pl.LazyFrame,
    dim: str,
    count: str = "n",
    *,
    min_cell: int,
    levels: Sequence[object] | None = None,
    title: str = "",
    also_hidden: Sequence[str] = (),
    rounding: str | None = None,
    population: str = "",
    period: str = "",
    measure: str = "persons",
    headers: Mapping[str, str] | None = None,
) -> SafeTable:
    """Protect a one-way table of counts and add its total.

    Levels missing from ``frame`` are zero cells; rows follow ``levels`` (else input order).
    ``also_hidden`` cells (levels, or :data:`TOTAL`) are suppressed whatever their count,
    as when a linked table had to suppress them. ``rounding`` defaults to the agreement's
    for the data read (:mod:`enclave.disclosure.rounding`); ``population``, ``period`` and
    ``measure`` say what is counted, for the certificate and the release ledger (tables
    of the same population count the same persons and are checked together).

    >>> t = protect_1d(pl.DataFrame({"k": ["a", "b", "c"], "n": [3, 40, 50]}), "k", min_cell=10)
    >>> t.frame.get_column("n").to_list()
    [None, None, 50, 93]
    """
    spec = _Spec.of(min_cell, rounding, title, population, period, measure, headers)
    counts = _counts(frame, [dim], count)
    order = _levels(counts, dim, levels)
    full = _labels(dim, order).join(counts, on=dim, how="left").fill_null(0)
    values = np.append(full.get_column("n").to_numpy(), full.get_column("n").sum())
    table = pl.concat([full, pl.DataFrame({dim: [TOTAL], "n": [int(values[-1])]})])
    forced = np.isin(np.array([*order, TOTAL]), list(also_hidden))
    forced |= spec.small(values, table, [dim])
    hidden = audit.protect(audit.one_way(len(order)), values, min_cell, forced)
    return spec.safe(table, hidden, [dim])


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
    also_hidden: Sequence[tuple[str, str]] = (),
    rounding: str | None = None,
    population: str = "",
    period: str = "",
    measure: str = "persons",
    headers: Mapping[str, str] | None = None,
) -> SafeTable:
    """Protect a two-way table of counts with row, column and grand totals.

    Missing cells are zeros. Rows and columns follow the given levels (else input order).
    ``also_hidden`` cells, as (row, column) labels, are suppressed whatever their count
    (the joint protection of linked tables asks for them: :func:`protect_jointly`).
    ``rounding``, ``population``, ``period`` and ``measure`` as in :func:`protect_1d`.

    ``col_margins`` is the protected one-way table of the column dimension when it is
    published too (the same persons counted by ``cols`` alone). The column totals
    start with its suppressions and keep its published cells unless no other
    complement exists; :func:`margins_agree` tells whether the two tables ended
    with the same pattern (if not, re-protect the one-way table with
    ``also_hidden``, as :func:`enclave.studies.overlap.agency_count_tables` does).
    """
    spec = _Spec.of(min_cell, rounding, title, population, period, measure, headers)
    counts = _counts(frame, [rows, cols], count)
    r_order = _levels(counts, rows, row_levels)
    c_order = _levels(counts, cols, col_levels)
    grid = _labels(rows, r_order).join(_labels(cols, c_order), how="cross")
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
    shown = spec.publish(values.ravel(), table, [rows, cols]).reshape(values.shape)
    start, fixed = _linked_margins(shown, col_margins, cols, labels_c)
    small = spec.small(values.ravel(), table, [rows, cols])
    wanted = {(str(r), str(c)) for r, c in also_hidden}
    small |= np.array([cell in wanted for cell in table.select(rows, cols).rows()], dtype=bool)
    start = small if start is None else start | small
    hidden = audit.protect(
        audit.two_way(len(r_order), len(c_order)), values.ravel(), min_cell, start, fixed
    )
    return spec.safe(table, hidden, [rows, cols])


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
    shown: np.ndarray, margins: SafeTable | None, cols: str, labels: list[str]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(start hidden, fixed) masks making the column totals follow a published 1-D table."""
    if margins is None:
        return None, None
    if margins.dims != (cols,) or margins.frame.get_column(cols).to_list() != labels:
        raise DisclosureError(f"column margins must be the one-way table of {cols}")
    published = ~margins.frame.get_column("suppressed").to_numpy()
    if (margins.frame.get_column("n").to_numpy()[published] != shown[-1][published]).any():
        raise DisclosureError("column margins do not count the same persons")
    hidden = np.zeros(shown.shape, dtype=bool)
    fixed = np.zeros(shown.shape, dtype=bool)
    hidden[-1], fixed[-1] = ~published, published
    return hidden.ravel(), fixed.ravel()


def joint_disclosures(tables: Sequence[SafeTable]) -> list:
    """Suppressed cells that the tables, attacked together, pin to one value
    (:func:`enclave.disclosure.attack.disclosed`; tables of one population are linked)."""
    from enclave.disclosure import attack
    from enclave.disclosure.rounding import SLACK

    published = [
        attack.from_frame(
            str(i),
            t.frame,
            t.dims,
            slack=SLACK[t.rules.get("rounding", "none")],
            population=t.definition.get("population", ""),
        )
        for i, t in enumerate(tables)
    ]
    return attack.disclosed(published)


def next_complement(tables: Sequence[SafeTable], pins: Sequence) -> tuple[int, tuple[str, ...]]:
    """The cell to suppress next so that linked tables stop pinning a cell.

    In order: the smallest published interior cell of a two-way table in a pinned cell's
    column (the shared dimension) or row; else the smallest published interior cell of
    any two-way table; else a row total; else the smallest published cell (the total included) of a
    one-way table over the shared dimension, which its linked tables then follow;
    else of any one-way table.
    Hiding it leaves the pinned cells free to move. Returns (table index, labels).
    """
    columns = {d.cell[-1] for d in pins}
    rows = {(int(d.table), d.cell[0]) for d in pins if len(d.cell) == 2}
    shared = {t.dims[1] for t in tables if len(t.dims) == 2}
    best: tuple[tuple, int, tuple[str, ...]] | None = None
    for i, t in enumerate(tables):
        if len(t.dims) == 2:
            r, c = t.dims
            # interior cells first, then row totals (column totals follow the 1-D table)
            open_ = t.frame.filter(~pl.col("suppressed"), pl.col("n") > 0, pl.col(r) != TOTAL)
            for row, col, n in open_.select(r, c, "n").rows():
                near = col in columns or (i, row) in rows
                key = (2 if col == TOTAL else 0 if near else 1, n, i, row, col)
                if best is None or key < best[0]:
                    best = (key, i, (row, col))
        else:
            (d,) = t.dims
            open_ = t.frame.filter(~pl.col("suppressed"), pl.col("n") > 0).select(d, "n")
            for label, n in open_.rows():
                key = (3 if d in shared else 4, n, i, label, "")
                if best is None or key < best[0]:
                    best = (key, i, (label,))
    if best is None:
        raise DisclosureError("linked tables cannot be protected together: nothing left to hide")
    return best[1], best[2]
