"""Certificates: how a safe helper's output says which rules it passed, so that the output
checker (:mod:`enclave.disclosure.checker`) can recognise it and check it again.

Every object a safe helper returns (:class:`SafeOutput`) carries a :class:`Certificate`:
the table it publishes, exactly as published (suppressed values are None), the rules
applied and the checks passed, and the table's definition (measure, population,
period) for the release ledger. The certificate travels with the output:

- in a notebook, as an extra representation (:data:`MIME`) beside the HTML and text
  that are shown, so the executed notebook holds both;
- beside a CSV file, as ``<file>.cert.json``;
- inside a PNG file, as a text chunk named :data:`PNG_KEY`.

A certificate is not a proof: a researcher's code could forge one. The checker trusts
nothing in it: it derives the rules from the agreement itself, checks the published
values against them, attacks the linked tables by linear programming, and checks that
every number shown beside the certificate is one the certificate publishes.

A safe object cannot be built except by the helpers of this package: the constructor
asks for a private token (:func:`mint`), and a missing one is a :class:`DisclosureError`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from enclave.disclosure.rules import DisclosureError

#: the notebook representation that carries a certificate
MIME = "application/vnd.enclave.safe+json"
#: the PNG text chunk that carries a figure's certificate
PNG_KEY = "enclave-safe"
#: the sidecar suffix of a table file's certificate
SIDECAR = ".cert.json"

_TOKEN = object()

#: numbers as they appear in text: 1,234 / 12.5 / 0.3% / -4 (a sign is kept apart)
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def mint() -> object:
    """The token that safe objects are built with (helpers of this package only)."""
    return _TOKEN


def _check_token(token: object, what: str) -> None:
    if token is not _TOKEN:
        raise DisclosureError(
            f"{what} is built only by the disclosure helpers (protect_1d, protect_2d, "
            "magnitude_table, proportions, survival_table, bar_chart, ...), never by hand"
        )


@dataclass(frozen=True)
class Certificate:
    """What a safe output publishes and which rules it passed."""

    #: counts, magnitude, rates, survival, figure or text
    kind: str
    title: str
    #: the dimension columns of ``rows``
    dims: tuple[str, ...]
    #: all columns of ``rows``: the dimensions, then the published values
    columns: tuple[str, ...]
    #: the published table, row by row; a suppressed value is None
    rows: tuple[tuple[Any, ...], ...]
    #: the rules applied: min_cell, rounding, min_group, dominance, p_percent, parties
    rules: dict[str, Any]
    #: the checks the helper made, by name (e.g. "min_cell", "secondary_suppression")
    passed: tuple[str, ...]
    #: measure, population and period: what the ledger compares across releases
    definition: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "dims": list(self.dims),
            "columns": list(self.columns),
            "rows": [list(r) for r in self.rows],
            "rules": self.rules,
            "passed": list(self.passed),
            "definition": self.definition,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Certificate:
        """Read a certificate back; a malformed one is a :class:`DisclosureError`."""
        try:
            return cls(
                kind=str(data["kind"]),
                title=str(data.get("title", "")),
                dims=tuple(data["dims"]),
                columns=tuple(data["columns"]),
                rows=tuple(tuple(r) for r in data["rows"]),
                rules=dict(data["rules"]),
                passed=tuple(data["passed"]),
                definition=dict(data.get("definition", {})),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DisclosureError(f"malformed certificate ({type(exc).__name__})") from None

    def column(self, name: str) -> list[Any]:
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def tokens(self) -> set[str]:
        """Every number the certificate accounts for, as written in text (no commas)."""
        words = [self.title]
        for row in self.rows:
            words.extend(format_value(v) for v in row)
            words.extend(str(v) for v in row)
        found = {t.replace(",", "") for w in words for t in NUMBER.findall(w)}
        # the rules as notes state them: "fewer than 11", "rounded to the nearest 5"
        return found | {d for v in self.rules.values() for d in re.findall(r"\d+", str(v))}


def format_value(value: Any, marker: str = "[c]") -> str:
    """How a published value is shown: counts with thousands separators, shares and
    other fractions to one decimal place (percentages) or three significant figures."""
    if value is None:
        return marker
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 1 else f"{value:.3g}"
    return str(value)


class SafeOutput:
    """The shared face of every safe helper's result: a certificate, and the notebook,
    HTML and text representations that carry it."""

    @property
    def certificate(self) -> Certificate:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return html_table(self.certificate)

    def __repr__(self) -> str:
        return plain_table(self.certificate)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {
            "text/plain": repr(self),
            "text/html": self._repr_html_(),
            MIME: self.certificate.to_json(),
        }


def _cells(cert: Certificate, marker: str) -> list[list[str]]:
    return [[format_value(v, marker) for v in row] for row in cert.rows]


def plain_table(cert: Certificate, marker: str = "[c]") -> str:
    """A fixed-width text table of the published rows (no shapes, no row counts)."""
    body = _cells(cert, marker)
    widths = [max(len(c), *(len(r[i]) for r in body)) for i, c in enumerate(cert.columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cert.columns, widths, strict=True))]
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join([cert.title, *lines] if cert.title else lines)


def html_table(cert: Certificate, note: str = "", marker: str = "[c]") -> str:
    """An HTML table of the published rows, with its title as caption and a note."""
    dims = set(cert.dims)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cert.columns)
    body = []
    for row in _cells(cert, marker):
        tds = (
            f'<td class="{"dim" if col in dims else "value"}">{html.escape(val)}</td>'
            for col, val in zip(cert.columns, row, strict=True)
        )
        body.append(f"<tr>{''.join(tds)}</tr>")
    caption = f"<caption>{html.escape(cert.title)}</caption>" if cert.title else ""
    foot = f"<p><small>{html.escape(note)}</small></p>" if note else ""
    return (
        f'<table class="safe-table">{caption}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{foot}"
    )


def rules_record(rules: Any, parties: Iterable[str], **applied: Any) -> dict[str, Any]:
    """The rules a helper applied, as the certificate records them."""
    record = {k: getattr(rules, k) for k in ("min_cell", "min_group", "rounding")}
    record.update(applied)
    record["parties"] = sorted(parties)
    return record


def definition(measure: str, population: str, period: str) -> dict[str, str]:
    return {"measure": measure, "population": population, "period": period}


def png_metadata(cert: Certificate) -> dict[str, str | None]:
    """PNG metadata carrying the certificate (and no software version, for stable bytes)."""
    return {"Software": None, PNG_KEY: json.dumps(cert.to_json(), sort_keys=True)}


def png_bundle(png: bytes, cert: Certificate, alt: str) -> dict[str, Any]:
    return {
        "image/png": base64.b64encode(png).decode("ascii"),
        "text/plain": alt,
        MIME: cert.to_json(),
    }


def tuples(rows: Sequence[Sequence[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(r) for r in rows)
