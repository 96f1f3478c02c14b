"""Small valid deliveries generated from a real contract's raw model: every column's
value is built from its declared checks (regex, code set, date format and range,
minimum, width), so the tests follow the contracts as they change."""

from __future__ import annotations

import datetime
import re
from re import _constants as C
from re import _parser as sre

from enclave.contracts.base import Contract, Delimited

DAY0 = datetime.date(2001, 2, 3)


def sample(pattern: str, seed: int) -> str:
    """A string that full-matches ``pattern``, varying its digits with ``seed``."""
    out = _walk(sre.parse(pattern), seed)
    assert re.fullmatch(pattern, out), (pattern, out)
    return out


def _walk(items, seed: int) -> str:
    out = []
    for op, arg in items:
        if op is C.LITERAL:
            out.append(chr(arg))
        elif op is C.NOT_LITERAL:  # [^,]: any letter but that one
            out.append("B" if chr(arg) == "A" else "A")
        elif op is C.IN:
            out.append(_pick(arg, seed + len(out)))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            low, _, sub = arg
            out.extend(_walk(sub, seed + len(out) + k) for k in range(max(low, 1)))
        elif op is C.SUBPATTERN:
            out.append(_walk(arg[-1], seed))
        elif op is C.BRANCH:
            out.append(_walk(arg[1][0], seed))
        elif op is C.CATEGORY:
            out.append(_pick([(op, arg)], seed + len(out)))
    return "".join(out)


def _pick(choices, seed: int) -> str:
    op, arg = choices[0]
    if op is C.LITERAL:
        return chr(arg)
    if op is C.RANGE:
        return chr(arg[0] + seed % (arg[1] - arg[0] + 1))
    if arg is C.CATEGORY_DIGIT:
        return str(seed % 10)
    return "A"


def value(meta: dict, i: int) -> str:
    """A value of row ``i`` passing the checks declared in a column's metadata."""
    if "codes" in meta:
        return meta["codes"][i % len(meta["codes"])]
    if "date" in meta:
        text = (DAY0 + datetime.timedelta(days=37 * i)).strftime(meta["date"])
        return text.upper() if "%b" in meta["date"] else text
    if "pattern" in meta:
        return sample(meta["pattern"], i)
    if "minimum" in meta:
        return str(int(meta["minimum"]) + 10 * i + 1)
    return f"NAME{chr(65 + i % 26)}"


def rows(contract: Contract, n: int) -> list[list[str]]:
    schema = contract.raw.to_schema()
    return [
        [value(dict(schema.columns[c].metadata or {}), i) for c in contract.columns]
        for i in range(n)
    ]


def render_text(contract: Contract, table: list[list[str]]) -> str:
    """Lines in the contract's layout (header first when delimited), each ended by LF."""
    layout = contract.layout
    if isinstance(layout, Delimited):
        lines = [layout.delimiter.join(r) for r in [contract.columns, *table]]
    else:
        widths = contract.widths
        lines = ["".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in table]
    return "".join(line + "\n" for line in lines)


def render(contract: Contract, table: list[list[str]]) -> bytes:
    """A delivery's bytes, in the contract's layout and encoding."""
    return render_text(contract, table).encode(contract.layout.encoding)


def free_text_column(contract: Contract) -> str:
    """A column with no value check (a name), where any text is valid; else a whole-name
    column (IDVA's ``LAST, FIRST MIDDLE``), where any text with a comma after the surname is."""
    schema = contract.raw.to_schema()
    free = [c for c in contract.columns if set(schema.columns[c].metadata or {}) <= {"width"}]
    whole = [c for c in contract.columns if "LAST, FIRST" in schema.columns[c].description]
    return (free or whole)[0]
