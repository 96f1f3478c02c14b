"""Ingestion at scale: how long validating an HFS delivery of ``rows`` rows takes, phase
by phase, and pandera's overhead against the same checks written as plain polars
expressions, side by side in one run; and ``enclave validate`` on the same delivery as
a file, in a fresh process, streaming it in ``ingest.batch_rows`` batches (its wall
time and peak memory).

    python -m benchmarks.bench_ingest 1000000   # -> benchmarks/results/ingest.json

``main()`` defaults to the acceptance size, 10 million rows (target: <= 60 s on 2 cores).

The delivery is generated vectorised (numpy + polars, seeded), with 0.1% of rows
broken on purpose so the failure paths are exercised too.
"""

from __future__ import annotations

import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.common import write
from enclave.config import IngestParams
from enclave.contracts import get
from enclave.contracts.base import date_regex, parse_date
from enclave.ingest import ingest, record_keys, standardise, value_failures

AGENCY = "hfs"
SEED = 20261128
BAD_SHARE = 0.001


def delivery(rows: int, seed: int = SEED) -> bytes:
    """An HFS delivery of ``rows`` rows (header included), as the contract describes it."""
    rng = np.random.default_rng(seed)
    contract = get(AGENCY)
    meta = {n: dict(c.metadata or {}) for n, c in contract.raw.to_schema().columns.items()}
    i = pl.int_range(0, rows, eager=True)

    def digits(n: int, offset: int) -> pl.Series:
        return ((i * 7919 + offset) % 10**n).cast(pl.String).str.zfill(n)

    names = np.array(["ANN", "BOB", "CARLOS", "DEE", "EVA", "FINN", "GUS", "HANA"])

    def codes(col: str) -> pl.Series:
        allowed = np.array(meta[col]["codes"])
        return pl.Series(allowed[rng.integers(0, len(allowed), rows)])

    day0 = np.datetime64("1990-01-01")
    birth = day0 - rng.integers(0, 30000, rows).astype("timedelta64[D]")
    begin = day0 + rng.integers(0, 12000, rows).astype("timedelta64[D]")
    end = begin + rng.integers(0, 900, rows).astype("timedelta64[D]")
    frame = pl.DataFrame(
        {
            "RECIP_ID": (i + 10**8).cast(pl.String),
            "SSN": digits(9, 123),
            "FIRST_NM": pl.Series(names[rng.integers(0, len(names), rows)]),
            "MID_INIT": pl.Series(np.array(list("ABCDEFGH"))[rng.integers(0, 8, rows)]),
            "LAST_NM": pl.Series(names[rng.integers(0, len(names), rows)]),
            "NAME_SFX": pl.Series([None] * rows, dtype=pl.String),
            "BIRTH_DT": pl.Series(birth).dt.strftime("%Y%m%d"),
            "SEX_CD": codes("SEX_CD"),
            "ZIP5": digits(5, 60000),
            "ELIG_BEGIN_DT": pl.Series(begin).dt.strftime("%Y%m%d"),
            "ELIG_END_DT": pl.Series(end).dt.strftime("%Y%m%d"),
            "ELIG_CAT": codes("ELIG_CAT"),
        }
    )
    bad = pl.Series(rng.random(rows) < BAD_SHARE)
    frame = frame.with_columns(
        BIRTH_DT=pl.when(bad).then(pl.lit("19801341")).otherwise(pl.col("BIRTH_DT")),
        SEX_CD=pl.when(bad).then(pl.lit("Q")).otherwise(pl.col("SEX_CD")),
    )
    assert frame.columns == contract.columns
    return frame.write_csv().encode("utf-8")


def plain_polars_failures(raw: pl.DataFrame) -> pl.DataFrame:
    """The raw model's checks as polars expressions: ``row``, ``reason`` per failure."""
    contract = get(AGENCY)
    schema = contract.raw.to_schema()
    checks: dict[str, pl.Expr] = {}
    for name, column in schema.columns.items():
        c, meta = pl.col(name), column.metadata or {}
        if not column.nullable:
            checks[f"not_nullable:{name}"] = c.is_not_null()
        if "pattern" in meta:
            checks[f"format:{name}"] = c.is_null() | c.str.contains(meta["pattern"])
        if "codes" in meta:
            checks[f"code:{name}"] = c.is_null() | c.is_in(meta["codes"])
        if "date" in meta:
            lo, hi = (datetime.date.fromisoformat(x) for x in meta["date_range"])
            shape = date_regex(meta["date"])
            checks[f"date_format:{name}"] = c.is_null() | c.str.contains(shape)
            checks[f"date_value:{name}"] = (
                c.is_null()
                | ~c.str.contains(shape)
                | parse_date(c, meta["date"]).is_between(lo, hi).fill_null(False)
            )
    grain = list(contract.grain_key)
    if grain:
        cols = [pl.col(n).fill_null("\x00") for n in contract.columns]
        per_grain = pl.len().over([pl.col(n).fill_null("\x00") for n in grain])
        checks["grain_unique:row"] = per_grain == pl.len().over(cols)
    flags = raw.select("row", *(e.fill_null(False).alias(k) for k, e in checks.items()))
    failing = flags.filter(~pl.all_horizontal(pl.exclude("row")))
    long = failing.unpivot(index="row", variable_name="reason", value_name="ok")
    return long.filter(~pl.col("ok")).select("row", "reason")


def stream(data: bytes) -> dict:
    """``enclave validate`` on ``data`` written to a landing file, in a fresh process:
    wall seconds and the process's peak memory (it streams the file in batches)."""
    params = Path(__file__).parents[1] / "params.yaml"
    with tempfile.TemporaryDirectory(prefix="bench_ingest.") as tmp:
        root = Path(tmp)
        landing = root / "landing"
        landing.mkdir()
        (landing / get(AGENCY).filename).write_bytes(data)
        args = ["validate", AGENCY, "--params", str(params), "--landing", str(landing)]
        for name in ("staged", "quarantine"):
            args += [f"--{name}", str(root / name)]
        args += ["--report", str(root / "report.json")]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "enclave", *args], check=True)
        seconds = time.perf_counter() - start
        report = json.loads((root / "report.json").read_text())
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 3),
        "peak_rss_mib": round(peak, 1),
        "rows_staged": report["rows_staged"],
    }


def timed(func, *args):
    start = time.perf_counter()
    out = func(*args)
    return out, round(time.perf_counter() - start, 3)


def main(rows: int = 10_000_000) -> dict:
    """Time each phase once at ``rows`` rows and write benchmarks/results/ingest.json."""
    contract, params = get(AGENCY), IngestParams()
    data, t_generate = timed(delivery, rows)
    streamed = stream(data)
    result, t_total = timed(ingest, contract, data, params)
    # the parsed raw rows again, to time the validators alone on identical input
    from enclave.delivery import decode, split_lines
    from enclave.ingest import parse_delimited

    def parse():
        text = decode(data, contract.layout.encoding, RuntimeError)
        lines, _ = split_lines(text, RuntimeError)
        return parse_delimited(lines.slice(1), contract.columns, ",")

    raw, t_parse = timed(parse)
    (pandera_bad, _), t_pandera = timed(value_failures, contract.raw, raw, contract.columns)
    plain_bad, t_plain = timed(plain_polars_failures, raw)
    keyed = raw.with_columns(record_key=record_keys(AGENCY, pl.col("row")))
    _, t_staged = timed(standardise, contract, keyed)
    same = pandera_bad.sort("row", "reason").equals(plain_bad.sort("row", "reason"))
    out = {
        "agency": AGENCY,
        "rows": rows,
        "bytes": len(data),
        "cores": os.cpu_count(),
        "polars_threads": pl.thread_pool_size(),
        "seconds": {
            "generate_delivery": t_generate,
            "ingest_total": t_total,
            "parse": t_parse,
            "raw_checks_pandera": t_pandera,
            "raw_checks_plain_polars": t_plain,
            "standardise_and_staged_checks": t_staged,
        },
        "pandera_over_plain_polars": round(t_pandera / t_plain, 2) if t_plain else None,
        "failures_pandera": pandera_bad.height,
        "failures_plain_polars": plain_bad.height,
        "same_failures": same,
        "rows_staged": result.report["rows_staged"],
        "rows_quarantined": result.report["rows_quarantined"],
    }
    out["validate_stream"] = streamed
    out["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    write("ingest", out)
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000), indent=2))
