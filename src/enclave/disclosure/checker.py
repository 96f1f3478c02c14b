"""The output checker: ``enclave outputs check <dir>`` reads everything a study wrote and
blocks what could identify someone. It does not trust the researcher.

What it reads, file by file:

- an executed notebook (``*.ipynb``): every output of every code cell (printed text,
  HTML, text and Markdown representations, images, errors);
- tables (``*.csv``), each with the certificate its safe helper wrote beside it
  (``<file>.csv.cert.json``);
- figures (``*.png``), with the certificate in their text chunk;
- ``report.html`` beside a notebook is that notebook without code, made by the study
  runner after the kernel ended: it is not read again. Any other file is blocked.

An output that carries a certificate (:mod:`enclave.disclosure.safe`) was made by a
safe helper. The checker still re-checks it against the rules *it* derives from the
agreement (the strictest of every party whose data the study's project holds), never
against the rules the certificate says it applied:

- ``small_count``: a published count in (0, min_cell);
- ``unrounded_count``: a count that is not a multiple of the rounding base in force;
- ``small_group_statistic``: a mean, share, percentile or survival estimate published for
  a group of fewer than min_group persons (or whose group size is not published);
- ``rule_lowered``: the certificate applied a looser rule than the agreement's;
- ``disclosed_cell``: a suppressed count that the published tables of the same persons
  pin to one value, found by linear programming over all of them together
  (:mod:`enclave.disclosure.attack`);
- ``not_in_certificate``: a number shown beside the certificate that it does not publish
  (the display was altered, or the certificate forged for other numbers).

Anything else is uncertified, and blocked with what was found in it:

- ``uncertified_table``: an HTML table, a data frame's text, or a CSV file without a
  certificate;
- ``uncertified_figure``: an image without a certificate;
- ``small_count``: a whole number from 1 to min_cell - 1 in text;
- ``uncertified_number``: any other number in text (a mean, a share, a maximum, a count),
  except a year (1900-2100) and zero: numbers leave through the safe helpers;
- ``exact_date``: a full date (a date of birth looks like one), except the study's own
  period parameters;
- ``pseudonym``: a value shaped like a pseudonym (16 hexadecimal digits, or a piece of
  one as a wrapped table shows it) or a column named like a person key;
- ``person_rows``: a table with a row per person (a person-key column, or pseudonyms);
- ``file_type``: a file that is not a notebook, a CSV table or a PNG figure.

Findings name the file, the cell (notebook cell and output number, or table row and
column) and the reason code; they never quote a value from the output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polars as pl

from enclave.disclosure import attack, rounding, safe
from enclave.disclosure.safe import Certificate

#: columns holding counts of persons (or records) in certificates and tables
COUNT_COLUMNS = frozenset(
    {"n", "persons", "events", "non_events", "at_risk", "censored", "observed", "count"}
)
#: columns giving the size of the group behind a statistic, most specific first
GROUP_COLUMNS = ("at_risk", "persons", "n")
#: dimension-like and label columns a figure certificate adds
LABEL_COLUMNS = frozenset({"source", "label", "group", "time", "q", "quantile"})

PSEUDONYM = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{10,}(?![0-9a-fA-F])")
DATE = re.compile(r"(?<!\d)(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?!\d)")
PERSON_COLUMN = re.compile(r"^(pid|person_?(id|key)|pseudonym|ssn|record_?id|.*_pid)$", re.I)
#: a data frame's text representation (polars, pandas)
FRAME_TEXT = re.compile(r"shape: \(\d|[┌╞│]|\[\d+ rows x \d+ columns\]|^\s*\d+\s+\S+\s+\S+", re.M)

#: what the checker reads, by file suffix
READABLE = (".ipynb", ".csv", ".png")


@dataclass(frozen=True)
class Finding:
    """One reason to block: where, why (a reason code), and what it means."""

    file: str
    where: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.code}: {self.message}"


@dataclass
class Report:
    """What the checker found in one directory."""

    directory: str
    rules: dict[str, Any]
    files: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: the certificates of everything published, for the airlock and the ledger
    certificates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": self.directory,
            "passed": self.passed,
            "rules": self.rules,
            "files": self.files,
            "findings": [asdict(f) for f in self.findings],
            "certificates": self.certificates,
        }


@dataclass
class _Context:
    rules: Any  # DisclosureRules
    allowed_dates: frozenset[str]
    report: Report
    #: (file, where, certificate) of every certified count table, for the joint attack
    counted: list[tuple[str, str, Certificate]] = field(default_factory=list)

    def flag(self, file: str, where: str, code: str, message: str) -> None:
        finding = Finding(file, where, code, message)
        if finding not in self.report.findings:
            self.report.findings.append(finding)


def check(directory: Path, rules: Any, *, allowed_dates: Iterable[str] = ()) -> Report:
    """Check every file under ``directory`` against ``rules`` (``DisclosureRules``)."""
    from enclave.disclosure.rules import DisclosureError

    directory = Path(directory)
    if not directory.is_dir():
        raise DisclosureError(f"{directory}: no such output folder to check")
    report = Report(str(directory), _rules_json(rules))
    ctx = _Context(rules, frozenset(allowed_dates), report)
    files = sorted(p for p in directory.rglob("*") if p.is_file())
    notebooks = {p.parent for p in files if p.suffix == ".ipynb"}
    for path in files:
        name = path.relative_to(directory).as_posix()
        if path.name.endswith(safe.SIDECAR):
            if not path.with_name(path.name[: -len(safe.SIDECAR)]).is_file():
                ctx.flag(name, "file", "file_type", "a certificate without its table")
            continue
        if path.name == "report.html" and path.parent in notebooks:
            report.files.append({"file": name, "kind": "report", "read": False})
            continue
        before = len(report.certificates)
        if path.suffix == ".ipynb":
            _check_notebook(ctx, path, name)
        elif path.suffix == ".csv":
            _check_csv(ctx, path, name)
        elif path.suffix == ".png":
            _check_png(ctx, path, name)
        else:
            ctx.flag(name, "file", "file_type", "only notebooks, CSV tables and PNG figures")
        kind = path.suffix.lstrip(".") or "other"
        certified = len(report.certificates) - before
        report.files.append({"file": name, "kind": kind, "certified": certified})
    _attack(ctx)
    return report


def _rules_json(rules: Any) -> dict[str, Any]:
    import dataclasses

    return dataclasses.asdict(rules) if dataclasses.is_dataclass(rules) else dict(rules)


# --------------------------------------------------------------------------- notebooks

_TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")


def _check_notebook(ctx: _Context, path: Path, name: str) -> None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        ctx.flag(name, "file", "file_type", "not a readable notebook")
        return
    number = 0
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        number += 1
        for i, output in enumerate(cell.get("outputs", []), start=1):
            where = f"cell {number} (id {cell.get('id', '?')}), output {i}"
            _check_output(ctx, name, where, output)


def _check_output(ctx: _Context, name: str, where: str, output: dict) -> None:
    kind = output.get("output_type")
    if kind == "stream":
        _check_text(ctx, name, where, _join(output.get("text", "")), html=False)
        return
    if kind == "error":
        text = " ".join([output.get("ename", ""), output.get("evalue", "")])
        _check_text(ctx, name, where, text, html=False)
        return
    data = output.get("data", {})
    if safe.MIME in data:
        _check_certified_output(ctx, name, where, data)
        return
    for mime, value in sorted(data.items()):
        if mime.startswith("image/"):
            ctx.flag(name, where, "uncertified_figure", "an image not drawn by a safe helper")
        elif mime in _TEXT_TYPES or mime.startswith("text/"):
            text = _join(value)
            is_html = mime == "text/html"
            if is_html and "<table" in text.lower():
                ctx.flag(name, where, "uncertified_table", "an HTML table not from a safe helper")
            elif not is_html and FRAME_TEXT.search(text):
                ctx.flag(name, where, "uncertified_table", "a data frame not from a safe helper")
            _check_text(ctx, name, where, text, html=is_html)
        elif mime == "application/json" or mime.endswith("+json"):
            _check_text(ctx, name, where, json.dumps(value), html=False)


def _check_certified_output(ctx: _Context, name: str, where: str, data: dict) -> None:
    cert = _certificate(ctx, name, where, data[safe.MIME])
    if cert is None:
        return
    allowed = cert.tokens()
    for mime, value in data.items():
        if mime == safe.MIME or mime.startswith("image/"):
            continue
        text = _visible(_join(value)) if mime == "text/html" else _join(value)
        if _numbers(text) - allowed:
            ctx.flag(name, where, "not_in_certificate", f"{mime} shows numbers it does not certify")
        _check_identifiers(ctx, name, where, text)


def _join(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _visible(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    return " ".join(parser.parts)


def _numbers(text: str) -> set[str]:
    return {t.replace(",", "") for t in safe.NUMBER.findall(text)}


# --------------------------------------------------------------------------- text


def _check_text(ctx: _Context, name: str, where: str, text: str, *, html: bool) -> None:
    if html:
        text = _visible(text)
    text = DATE.sub(lambda m: "" if m.group(0) in ctx.allowed_dates else "\0DATE\0", text)
    if "\0DATE\0" in text:
        ctx.flag(name, where, "exact_date", "a full date (a date of birth looks like one)")
        text = text.replace("\0DATE\0", " ")
    _check_identifiers(ctx, name, where, text)
    small = other = False
    for token in _numbers(PSEUDONYM.sub(" ", text)):
        value = float(token)
        if value.is_integer() and 1 <= value < ctx.rules.min_cell:
            small = True
        elif not (value == 0 or (value.is_integer() and 1900 <= value <= 2100)):
            other = True
    if small:
        ctx.flag(
            name, where, "small_count", f"a number below the minimum cell {ctx.rules.min_cell}"
        )
    if other:
        ctx.flag(name, where, "uncertified_number", "a number shown outside a safe helper")


def _check_identifiers(ctx: _Context, name: str, where: str, text: str) -> None:
    if PSEUDONYM.search(text):
        ctx.flag(name, where, "pseudonym", "a value shaped like a pseudonym")


# --------------------------------------------------------------------------- files


def _check_csv(ctx: _Context, path: Path, name: str) -> None:
    try:
        frame = pl.read_csv(path, infer_schema_length=0)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError):
        ctx.flag(name, "file", "file_type", "not a readable CSV table")
        return
    sidecar = path.with_name(path.name + safe.SIDECAR)
    if sidecar.is_file():
        try:
            raw = json.loads(sidecar.read_text(encoding="utf-8"))
        except ValueError:
            raw = {}
        cert = _certificate(ctx, name, "certificate", raw)
        if cert is not None and not _csv_matches(frame, cert):
            ctx.flag(name, "table", "not_in_certificate", "the table differs from its certificate")
        return
    ctx.flag(name, "table", "uncertified_table", "a CSV table without a safe helper's certificate")
    persons = [c for c in frame.columns if PERSON_COLUMN.match(c)]
    for column in frame.columns:
        values = frame.get_column(column).drop_nulls().to_list()
        where = f"column {column}"
        if column in persons or any(PSEUDONYM.search(v) for v in values):
            ctx.flag(name, where, "person_rows", "a row per person (a person key or pseudonyms)")
        if any(DATE.search(v) and v not in ctx.allowed_dates for v in values):
            ctx.flag(name, where, "exact_date", "full dates (a date of birth looks like one)")
        counts = [_as_number(v) for v in values]
        if all(c is not None and c.is_integer() for c in counts) and any(
            1 <= c < ctx.rules.min_cell for c in counts
        ):
            ctx.flag(name, where, "small_count", f"counts below {ctx.rules.min_cell}")


def _csv_matches(frame: pl.DataFrame, cert: Certificate) -> bool:
    """Every certified column of the CSV holds exactly the certificate's values."""
    for i, column in enumerate(cert.columns):
        if column not in frame.columns:
            return False
        shown = frame.get_column(column).to_list()
        expected = ["" if r[i] is None else r[i] for r in cert.rows]
        if len(shown) != len(expected):
            return False
        for got, want in zip(shown, expected, strict=True):
            got = "" if got is None else got
            if got != str(want) and not _same_number(got, want):
                return False
    return True


def _same_number(text: str, value: Any) -> bool:
    try:
        return float(text) == float(value)
    except (TypeError, ValueError):
        return False


def _check_png(ctx: _Context, path: Path, name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            text = dict(getattr(image, "text", {}))
    except (OSError, UnidentifiedImageError):
        ctx.flag(name, "file", "file_type", "not a readable PNG figure")
        return
    if safe.PNG_KEY not in text:
        ctx.flag(name, "figure", "uncertified_figure", "a figure not drawn by a safe helper")
        return
    try:
        raw = json.loads(text[safe.PNG_KEY])
    except ValueError:
        raw = {}
    _certificate(ctx, name, "figure", raw)


# --------------------------------------------------------------------------- certificates


def _certificate(ctx: _Context, name: str, where: str, raw: Any) -> Certificate | None:
    """Read and re-check a certificate; record it for the ledger and the joint attack."""
    from enclave.disclosure.rules import DisclosureError

    try:
        cert = Certificate.from_json(raw if isinstance(raw, dict) else {})
    except DisclosureError:
        ctx.flag(name, where, "uncertified_table", "a malformed certificate")
        return None
    ctx.report.certificates.append({"file": name, "where": where, **cert.to_json()})
    _check_rules_applied(ctx, name, where, cert)
    for column in cert.columns:
        if column in cert.dims or column in LABEL_COLUMNS:
            continue
        values = cert.column(column)
        if column in COUNT_COLUMNS:
            _check_counts(ctx, name, f"{where}, column {column}", values)
        else:
            _check_statistics(ctx, name, f"{where}, column {column}", cert, values)
    if cert.kind == "counts" and "n" in cert.columns:
        ctx.counted.append((name, where, cert))
    return cert


def _check_rules_applied(ctx: _Context, name: str, where: str, cert: Certificate) -> None:
    from enclave.governance.agreement import ROUNDING_ORDER

    applied = cert.rules
    lowered = []
    if int(applied.get("min_cell", 0) or 0) < ctx.rules.min_cell:
        lowered.append("min_cell")
    if _statistics(cert) and int(applied.get("min_group", 0) or 0) < ctx.rules.min_group:
        lowered.append("min_group")
    used = applied.get("rounding", "none")
    if used not in ROUNDING_ORDER or ROUNDING_ORDER.index(used) < ROUNDING_ORDER.index(
        ctx.rules.rounding
    ):
        lowered.append("rounding")
    if lowered:
        ctx.flag(name, where, "rule_lowered", f"looser than the agreement: {', '.join(lowered)}")


def _statistics(cert: Certificate) -> list[str]:
    """The columns of a certificate that hold statistics (not labels, not counts)."""
    skip = {*cert.dims, *LABEL_COLUMNS, *COUNT_COLUMNS}
    return [c for c in cert.columns if c not in skip]


def _check_counts(ctx: _Context, name: str, where: str, values: Sequence[Any]) -> None:
    base = rounding.BASE[ctx.rules.rounding]
    for row, value in enumerate(values, start=1):
        if value is None:
            continue
        number = _as_number(value)
        if number is None:
            ctx.flag(name, f"{where}, row {row}", "uncertified_table", "a count that is no number")
        elif 0 < number < ctx.rules.min_cell:
            ctx.flag(
                name,
                f"{where}, row {row}",
                "small_count",
                f"below the minimum {ctx.rules.min_cell}",
            )
        elif base > 1 and number % base:
            ctx.flag(name, f"{where}, row {row}", "unrounded_count", f"not rounded to base {base}")


def _check_statistics(
    ctx: _Context, name: str, where: str, cert: Certificate, values: Sequence[Any]
) -> None:
    size_column = next((c for c in GROUP_COLUMNS if c in cert.columns), None)
    sizes = cert.column(size_column) if size_column else [None] * len(values)
    for row, (value, size) in enumerate(zip(values, sizes, strict=True), start=1):
        if value is None or _as_number(value) is None:
            continue
        group = _as_number(size) if size is not None else None
        if group is None or group < ctx.rules.min_group:
            ctx.flag(
                name,
                f"{where}, row {row}",
                "small_group_statistic",
                f"a statistic of fewer than {ctx.rules.min_group} persons, or of unknown size",
            )


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).replace(",", ""))
    except ValueError:
        return None


# --------------------------------------------------------------------------- joint attack


def _attack(ctx: _Context) -> None:
    """Attack every certified count table jointly; tables of one population are linked."""
    tables: list[attack.PublishedTable] = []
    seen: dict[tuple, str] = {}
    for name, where, cert in ctx.counted:
        key = (cert.dims, cert.rows, json.dumps(cert.definition, sort_keys=True))
        if key in seen:  # the same table shown and saved: attack it once
            continue
        label = f"{name}: {where}"
        seen[key] = label
        cells = {tuple(str(v) for v in r[: len(cert.dims)]): _cell(r[-1]) for r in cert.rows}
        slack = rounding.SLACK.get(str(cert.rules.get("rounding", "none")), (0, 0))
        population = cert.definition.get("population", "")
        if population:
            population = f"{population}|{cert.definition.get('period', '')}"
        tables.append(attack.PublishedTable(label, tuple(cert.dims), cells, slack, population))
    if not tables:
        return
    try:
        found = attack.disclosed(tables)
    except ValueError:
        ctx.flag("(all tables)", "joint attack", "not_in_certificate", "inconsistent tables")
        return
    for d in found:
        name, _, where = d.table.partition(": ")
        cell = ", ".join(d.cell)
        ctx.flag(name, f"{where}, cell ({cell})", "disclosed_cell", "follows from other tables")


def _cell(value: Any) -> int | None:
    number = _as_number(value) if value is not None else None
    return None if number is None else int(number)


def iter_findings(report: Report) -> Iterator[str]:
    for finding in report.findings:
        yield str(finding)
