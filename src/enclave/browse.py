"""``enclave.catalog()``: the data dictionary of what a project may read, in a notebook.

For each analytic table the project's approval names: what a row is, its columns with
their descriptions (from the pandera models that ``build`` validates against, so the
catalog cannot drift from the data), the agencies the data comes from (by name), and
its coverage: the years its dates span and its number of rows, rounded. Every table is
read through :func:`enclave.load`, so the catalog sees exactly what the project may
see, and its reads are audited like any other.

``enclave.catalog()`` shows every table; ``enclave.catalog("program_spells")`` one. The
project is ``ENCLAVE_PROJECT`` (set in the lab's kernel) unless given.

It is for working, not for publishing: a study that leaves a catalog in its outputs is
blocked by the output checker like any table not made by a safe helper.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

import polars as pl

from enclave.data import AccessError

#: what the catalog rounds row counts to: two significant figures
_FIGURES = 2


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    description: str


@dataclass(frozen=True)
class Entry:
    table: str
    summary: str
    columns: tuple[Column, ...]
    agencies: tuple[str, ...]
    years: tuple[int, int] | None
    rows: int


def _about(n: int) -> int:
    """``n`` to two significant figures (row counts are shown as approximate)."""
    if n < 100:
        return n
    scale = 10 ** (len(str(n)) - _FIGURES)
    return round(n / scale) * scale


@dataclass(frozen=True)
class Catalog:
    project: str
    entries: tuple[Entry, ...]

    def _coverage(self, e: Entry) -> str:
        years = f"{e.years[0]} to {e.years[1]}" if e.years else "no dates"
        return f"covers {years}; about {e.rows:,} rows"

    def _repr_html_(self) -> str:
        parts = [f"<h3>Data catalog: project {html.escape(self.project)}</h3>"]
        for e in self.entries:
            rows = "".join(
                f"<tr><td><code>{html.escape(c.name)}</code></td><td>{html.escape(c.dtype)}</td>"
                f"<td>{html.escape(c.description)}</td></tr>"
                for c in e.columns
            )
            parts.append(
                f"<h4><code>{html.escape(e.table)}</code></h4>"
                f"<p>{html.escape(e.summary)}<br><small>From: "
                f"{html.escape(', '.join(e.agencies) or 'all the project’s agencies')}; "
                f"{html.escape(self._coverage(e))}.</small></p>"
                f'<table class="enclave-catalog"><thead><tr><th>column</th><th>type</th>'
                f"<th>description</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        return "".join(parts)

    def __repr__(self) -> str:
        lines = [f"Data catalog: project {self.project}"]
        for e in self.entries:
            lines += ["", f"{e.table}: {e.summary}", f"  from: {', '.join(e.agencies)}"]
            lines.append(f"  {self._coverage(e)}")
            lines += [f"  {c.name} ({c.dtype}): {c.description}" for c in e.columns]
        return "\n".join(lines)


def _agencies(frame: pl.LazyFrame, names: dict[str, str], fallback: list[str]) -> tuple[str, ...]:
    if "agency" in frame.collect_schema():
        codes = frame.select(pl.col("agency").unique()).collect().get_column("agency").to_list()
    else:
        codes = fallback
    return tuple(sorted(names.get(c, c) for c in codes if c is not None))


def _years(frame: pl.LazyFrame) -> tuple[int, int] | None:
    schema = frame.collect_schema()
    dates = [c for c, t in schema.items() if t == pl.Date]
    if dates:
        span = frame.select(
            pl.min_horizontal(*[pl.col(c).min() for c in dates]).dt.year().alias("lo"),
            pl.max_horizontal(*[pl.col(c).max() for c in dates]).dt.year().alias("hi"),
        ).collect()
    elif "year" in schema:
        span = frame.select(lo=pl.col("year").min(), hi=pl.col("year").max()).collect()
    else:
        return None
    lo, hi = span.row(0)
    return None if lo is None else (int(lo), int(hi))


def catalog(table: str | None = None, project: str | None = None) -> Catalog:
    """The catalog of ``project`` (default ``ENCLAVE_PROJECT``): every table it may read,
    or only ``table``."""
    from enclave.analytic.schemas import MODELS
    from enclave.data import authorise_project, load
    from enclave.dictionary import describe
    from enclave.paths import Paths

    project = project or os.environ.get("ENCLAVE_PROJECT")
    if not project:
        raise AccessError("give the project: enclave.catalog(project=...) or ENCLAVE_PROJECT")
    access = authorise_project(project, Paths.from_env())
    tables = list(access.approval.tables)
    if table is not None:
        if table not in tables:
            raise AccessError(
                f"project {project}: table {table} is outside its approval"
                f" (approved: {', '.join(tables)})"
            )
        tables = [table]
    names = {d: access.terms.parties[access.terms.party_of(d)].name for d in access.terms.datasets}
    fallback = list(access.approval.datasets)
    entries = []
    for name in tables:
        frame = load(name, project=project)
        present = frame.collect_schema()
        doc = describe(MODELS[name], name)
        columns = tuple(
            Column(f.name, str(present[f.name]), f.description)
            for f in doc.fields
            if f.name in present
        )
        rows = frame.select(pl.len()).collect().item()
        entries.append(
            Entry(
                name,
                doc.summary,
                columns,
                _agencies(frame, names, fallback),
                _years(frame),
                _about(int(rows)),
            )
        )
    return Catalog(project, tuple(entries))
