"""The data dictionary, generated from the code that enforces it.

Every table the enclave holds is described by a pandera model: each agency's delivery
(the contract's raw model), the standard identifier table, each agency's staged
content, and the analytic tables (``enclave.analytic.schemas.MODELS``, when present).
The catalog reads those models, so it cannot drift from what validation checks.
``enclave catalog --out docs/catalog`` writes ``index.md`` and ``index.html``.

More models are documented by passing them: ``build(extra={"Section": {"name": Model}})``.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandera.polars as pa

from enclave import io
from enclave.contracts.base import Contract, Delimited, StagedIdentifiers

#: modules whose ``MODELS`` dict (title -> model) is added, if the module exists
EXTRA_MODULES = {"Analytic tables": "enclave.analytic.schemas"}


@dataclass(frozen=True)
class FieldDoc:
    name: str
    dtype: str
    nullable: bool
    checks: str
    description: str


@dataclass(frozen=True)
class TableDoc:
    """One documented table: a title, facts about it (file, layout...) and its fields."""

    title: str
    summary: str
    facts: tuple[tuple[str, str], ...]
    fields: tuple[FieldDoc, ...]
    frame_checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    title: str
    tables: tuple[TableDoc, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- reading models


def describe(model: type[pa.DataFrameModel], title: str, facts: Iterable = ()) -> TableDoc:
    """A model's fields, types, nullability, checks and descriptions."""
    schema = model.to_schema()
    fields = tuple(
        FieldDoc(
            name=name,
            dtype=str(column.dtype),
            nullable=bool(column.nullable),
            checks=_checks(column),
            description=column.description or "",
        )
        for name, column in schema.columns.items()
    )
    summary = " ".join((model.__doc__ or "").strip().split("\n\n")[0].split())
    frame = tuple(sorted({c.name or "check" for c in schema.checks}))
    return TableDoc(title, summary, tuple(facts), fields, frame)


#: metadata keys that the contracts turn into named checks, rendered from the metadata
_META = {
    "width": lambda v: f"width {v}",
    "pattern": lambda v: f"matches {v}",
    "codes": lambda v: "one of " + ", ".join(map(str, v)),
    "date": lambda v: f"date {v}",
    "date_range": lambda v: f"in {v[0]}..{v[1]}",
    "minimum": lambda v: f"number >= {v:g}",
}
_EXPLAINED = {"width", "format", "code", "date_format", "date_value", "numeric", "range"}


def _checks(column: Any) -> str:
    """Readable checks: built-in ones with their arguments, contract ones from metadata."""
    meta = column.metadata or {}
    parts = [render(meta[key]) for key, render in _META.items() if key in meta]
    for check in column.checks:
        if check.statistics:
            args = ", ".join(f"{k}={_arg(v)}" for k, v in check.statistics.items() if v is not True)
            parts.append(f"{check.name}({args})")
        elif check.name not in _EXPLAINED or not meta:
            parts.append(check.name or "custom check")
    if column.unique:
        parts.append("unique")
    return "; ".join(dict.fromkeys(parts))


def _arg(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(map(str, sorted(value, key=str)))
    return str(value)


def contract_tables(contract: Contract) -> tuple[TableDoc, TableDoc]:
    """The delivery (raw model) and the staged content of one agency."""
    layout = contract.layout
    if isinstance(layout, Delimited):
        delimiter = "tab" if layout.delimiter == "\t" else f"`{layout.delimiter}`"
        line_ends = ", CRLF line ends" if layout.eol == "\r\n" else ""
        shape = f"delimited {delimiter}, header row, {layout.encoding}{line_ends}"
    else:
        shape = f"fixed-width, no header, {layout.encoding}, {sum(contract.widths)} characters"
    facts = (
        ("agency", contract.agency_name),
        ("extract", contract.extract),
        ("file", f"`{contract.filename}`"),
        ("layout", shape),
        ("grain", contract.grain),
        *(
            (("grain key", ", ".join(contract.grain_key)),)
            if getattr(contract, "grain_key", ())
            else ()
        ),
        ("staged as", f"`data/staged/{contract.agency}/`"),
    )
    raw = describe(contract.raw, f"{contract.agency}: delivery `{contract.filename}`", facts)
    content = describe(contract.content, f"{contract.agency}: staged content")
    return raw, content


def build(
    contracts: Mapping[str, Contract] | None = None,
    extra: Mapping[str, Mapping[str, type[pa.DataFrameModel]]] | None = None,
) -> list[Section]:
    """The catalog's sections: identifiers, one per agency, then any extra model groups."""
    if contracts is None:
        from enclave.contracts import ALL as contracts
    sections = [Section("Standard identifier table", (describe(StagedIdentifiers, "identifiers"),))]
    for contract in contracts.values():
        sections.append(
            Section(f"{contract.agency}: {contract.extract}", contract_tables(contract))
        )
    groups = dict(_extra_models() if extra is None else extra)
    for title, models in groups.items():
        sections.append(Section(title, tuple(describe(m, n) for n, m in models.items())))
    return sections


def _extra_models() -> dict[str, dict[str, type[pa.DataFrameModel]]]:
    found = {}
    for title, module in EXTRA_MODULES.items():
        try:
            models = importlib.import_module(module).MODELS
        except (ImportError, AttributeError):
            continue
        found[title] = dict(models)
    return found


# --------------------------------------------------------------------------- rendering

HEAD = ("field", "type", "nullable", "checks", "description")


def _row(f: FieldDoc) -> tuple[str, ...]:
    return (f.name, f.dtype, "yes" if f.nullable else "no", f.checks, f.description)


def to_markdown(sections: list[Section]) -> str:
    """The catalog as GitHub-flavoured Markdown."""
    out = ["# Data catalog", "", "Generated by `enclave catalog` from the pandera models.", ""]
    out += [f"- [{s.title}](#{_anchor(s.title)})" for s in sections] + [""]
    for section in sections:
        out += [f'<a id="{_anchor(section.title)}"></a>', f"## {section.title}", ""]
        for table in section.tables:
            out += [f"### {table.title}", ""]
            out += [table.summary, ""] if table.summary else []
            out += [f"- **{k}**: {v}" for k, v in table.facts] + ([""] if table.facts else [])
            out += ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
            out += [
                "| " + " | ".join(_md(c, i) for i, c in enumerate(_row(f))) + " |"
                for f in table.fields
            ]
            if table.frame_checks:
                out += ["", "Table checks: " + ", ".join(f"`{c}`" for c in table.frame_checks)]
            out.append("")
    return "\n".join(out)


def _md(cell: str, index: int) -> str:
    """A table cell: names and checks as code spans, other text with < > escaped."""
    cell = cell.replace("|", "\\|").replace("\n", " ")
    if index in (0, 3) and cell:
        return f"`{cell}`"
    return cell.replace("<", "&lt;").replace(">", "&gt;")


def _anchor(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def to_html(sections: list[Section]) -> str:
    """The catalog as one self-contained HTML page."""
    e = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>Data catalog</title>',
        "<style>body{font-family:sans-serif;max-width:75em;margin:auto}"
        "table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left;vertical-align:top}"
        "code{font-size:.9em}</style></head><body>",
        "<h1>Data catalog</h1><p>Generated by <code>enclave catalog</code> from the pandera"
        " models.</p><ul>",
        *[f'<li><a href="#{_anchor(s.title)}">{e(s.title)}</a></li>' for s in sections],
        "</ul>",
    ]
    for section in sections:
        out.append(f'<h2 id="{_anchor(section.title)}">{e(section.title)}</h2>')
        for table in section.tables:
            out.append(f"<h3>{_inline_code(table.title)}</h3>")
            if table.summary:
                out.append(f"<p>{e(table.summary)}</p>")
            if table.facts:
                items = "".join(
                    f"<li><b>{e(k)}</b>: {_inline_code(v)}</li>" for k, v in table.facts
                )
                out.append(f"<ul>{items}</ul>")
            out.append("<table><tr>" + "".join(f"<th>{h}</th>" for h in HEAD) + "</tr>")
            for f in table.fields:
                cells = [f"<code>{e(f.name)}</code>", *(e(c) for c in _row(f)[1:])]
                out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            out.append("</table>")
            if table.frame_checks:
                checks = ", ".join(f"<code>{e(c)}</code>" for c in table.frame_checks)
                out.append(f"<p>Table checks: {checks}</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _inline_code(text: str) -> str:
    """Escape text, turning Markdown `code` spans into <code>."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def run(out: Path) -> list[Section]:
    """Write ``index.md`` and ``index.html`` to ``out`` (replaced atomically)."""
    sections = build()
    with io.atomic_dir(Path(out)) as tmp:
        (tmp / "index.md").write_text(to_markdown(sections), encoding="utf-8")
        (tmp / "index.html").write_text(to_html(sections), encoding="utf-8")
    return sections
