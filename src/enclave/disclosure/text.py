"""Sentences with numbers in them, made only from published cells of protected tables.

A number a notebook prints itself is blocked by the output checker; a sentence that
quotes a share or a count goes through here, so it carries a certificate of the cells
it was computed from (:class:`SafeText`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from enclave.disclosure import safe
from enclave.disclosure.rules import DisclosureError
from enclave.disclosure.safe import Certificate, SafeOutput
from enclave.disclosure.suppression import TOTAL, SafeTable


@dataclass(frozen=True)
class SafeText(SafeOutput):
    """A Markdown sentence and the certificate of the numbers in it."""

    markdown: str
    cert: Certificate
    token: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        safe._check_token(self.token, "a SafeText")

    @property
    def certificate(self) -> Certificate:
        return self.cert

    def _repr_markdown_(self) -> str:
        return self.markdown

    def _repr_html_(self) -> None:  # type: ignore[override]
        # IPython would add the certificate's table as HTML, shown instead of the sentence
        return None

    def __repr__(self) -> str:
        return self.markdown

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {
            "text/markdown": self.markdown,
            "text/plain": self.markdown,
            safe.MIME: self.cert.to_json(),
        }


def share_sentence(table: SafeTable, level: str, label: str) -> SafeText:
    """The published share of ``level`` in a protected one-way table, as Markdown.

    The share is the published count over the published total, both already through
    the table's rules; a share whose group is below the minimum group size for a rate
    (the agreement's ``min_group``) is not given.
    """
    if len(table.dims) != 1:
        raise DisclosureError("a share sentence reads a one-way table")
    (dim,) = table.dims
    part, total = table.value(**{dim: level}), table.value(**{dim: TOTAL})
    min_group = int(table.rules.get("min_group", table.min_cell))
    pct = None
    if part is not None and total and total >= min_group:
        pct = round(100 * part / total, 1)
    if total == 0:
        text = f"**{label}:** nobody in the period, so there is no share to give."
        pct = part = None
    elif pct is None:
        text = f"**{label}:** suppressed (the counts behind it are too small to publish)."
        part = total = None
    else:
        text = f"**{label}:** {pct:.1f}% of {total:,} persons."
    cert = Certificate(
        kind="text",
        title=label,
        dims=("label",),
        columns=("label", "persons", "events", "share_pct"),
        rows=((label, total, part, pct),),
        rules=table.rules,
        passed=(*table.passed, "min_group"),
        definition=table.definition,
    )
    return SafeText(text, cert, safe.mint())
