"""Invariants of ingestion on arbitrarily damaged deliveries: it either refuses the
file with an InputError or accounts for every row exactly once, with reasons."""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# the toy contracts live with the spec tests
sys.path.insert(0, str(Path(__file__).parents[1] / "spec"))
from ingest_toys import HEADER, PARAMS, ROWS, TOY, WIDE, WIDE_ROWS

from enclave.contracts.base import StagedIdentifiers
from enclave.contracts.ides import IdesContent
from enclave.errors import InputError
from enclave.ingest import _batch_schema, ingest, record_keys

DAMAGE = st.sampled_from(
    ["cut", "delimiter", "quote", "quote_field", "cr", "blank", "repeat", "pad", "keep"]
)


def _damage(line: str, how: str, where: int) -> str:
    at = where % (len(line) + 1)
    return {
        "cut": line[:at],
        "delimiter": line[:at] + "," + line[at:],
        "quote": line[:at] + '"' + line[at:],
        "quote_field": '"' + line.replace('"', '""') + '"',
        "cr": line[:at] + "\r" + line[at:],
        "blank": "",
        "pad": line + " ",
        "repeat": line,
        "keep": line,
    }[how]


def _delivery(base: list[str], ops: list[tuple[int, str, int]]) -> list[str]:
    lines = list(base)
    for i, how, where in ops:
        i %= len(lines)
        lines[i] = _damage(lines[i], how, where)
        if how == "repeat":
            lines.insert(i, lines[i])
    return lines


OPS = st.lists(st.tuples(st.integers(0, 50), DAMAGE, st.integers(0, 80)), max_size=8)


def _check(contract, data: bytes) -> None:
    try:
        result = ingest(contract, data, PARAMS)
    except InputError as exc:
        assert exc.fault and exc.agency == contract.agency
        return
    report, q = result.report, result.quarantine
    n = report["rows_read"]
    keys = {f"{contract.agency}-{i:09d}" for i in range(1, n + 1)}
    staged = set(result.identifiers["record_key"])
    assert staged | set(q["record_key"]) == keys and staged.isdisjoint(q["record_key"])
    assert (q["reasons"].list.len() > 0).all()
    assert sum(report["reasons"].values()) == q["reasons"].list.len().sum()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, eol=st.sampled_from(["\n", "\r\n"]))
def test_delimited_rows_are_never_lost(ops, eol):
    lines = [HEADER, *_delivery(ROWS, ops)]
    _check(TOY, eol.join(lines).encode("utf-8"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS)
def test_fixed_width_rows_are_never_lost(ops):
    _check(WIDE, "\n".join(_delivery(WIDE_ROWS, ops)).encode("ascii"))


@settings(max_examples=100, deadline=None)
@given(
    rows=st.sets(st.integers(1, 10**10), min_size=1, max_size=60),
    month=st.none() | st.sampled_from(["2024-12", "2025-01"]),
)
def test_record_keys_are_unique_by_construction(rows, month):
    """What lets a batch skip pandera's uniqueness check of ``record_key``: distinct row
    numbers always give distinct keys (past nine digits too), so the staged models'
    ``unique`` holds without hashing every key again."""
    numbers = pl.DataFrame({"row": sorted(rows)}, schema={"row": pl.UInt64})
    keys = numbers.select(record_keys("ides", pl.col("row"), month)).to_series()
    assert keys.n_unique() == len(rows)
    for model in (StagedIdentifiers, IdesContent):
        full, batch = model.to_schema(), _batch_schema(model)
        assert full.columns["record_key"].unique and not batch.columns["record_key"].unique
        # every other column and check is the model's own
        assert _shape(batch.update_column("record_key", unique=True)) == _shape(full)


def _shape(schema) -> tuple:
    """What a schema checks: per column its type, nullability, uniqueness and checks;
    and its frame-level checks."""
    columns = {
        name: (str(c.dtype), c.nullable, c.unique, [k.name for k in c.checks])
        for name, c in schema.columns.items()
    }
    return columns, [k.name for k in schema.checks]
