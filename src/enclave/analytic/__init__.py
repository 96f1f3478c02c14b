"""Analytic tables of the research zone, built from one project's base files.

``run`` reads ``data/research/<project>/base/`` and writes
``data/research/<project>/analytic/`` (docs/INTERFACES.md, "build -> analytic
tables"): ``persons``, ``program_spells``, ``person_quarters``, ``life_events``,
``family_links``, ``school_years`` and ``coverage``, each validated against its model
in :mod:`enclave.analytic.schemas`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandera.errors
import polars as pl

from enclave import failpoints, io, log
from enclave.analytic.events import build_events, child_births
from enclave.analytic.family import build_family
from enclave.analytic.panel import build_panel
from enclave.analytic.persons import build_persons
from enclave.analytic.schemas import MODELS
from enclave.analytic.school import build_coverage, build_school_years
from enclave.analytic.spells import observation_end, program_records, program_spells
from enclave.config import AGENCIES, BuildParams
from enclave.errors import EnclaveError, InputError
from enclave.parallel import BackgroundWrites, ordered_map
from enclave.progress import steps

LOG = log.get(__name__)


class SchemaViolation(EnclaveError):
    """An analytic table does not match its model (counts per check, no values)."""


def build(
    params: BuildParams,
    base: dict[str, pl.DataFrame],
    demographics: pl.DataFrame,
    family: pl.DataFrame,
    window_end: date | None = None,
    births: pl.DataFrame | None = None,
    coverage: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """All analytic tables from the research zone's base tables (pure).

    ``window_end``, ``births`` and ``coverage`` default to what ``base`` itself gives;
    :func:`run` passes them computed over all persons when it builds one bucket of
    persons.
    A base table without ``link_evidence`` (an inline table) counts no record as
    name-only (:func:`enclave.analytic.records.link_evidence`); :func:`run` refuses
    such a file.
    """
    spells = program_spells(base, params.spell_gap_months, window_end)
    links = build_family(family)
    return {
        "persons": build_persons(demographics, base),
        "program_spells": spells,
        "person_quarters": build_panel(spells, base),
        "life_events": build_events(base, links, births),
        "family_links": links,
        "school_years": build_school_years(base.get("isbe")),
        "coverage": (
            build_coverage(program_records(base), base.get("idph"))
            if coverage is None
            else coverage
        ),
    }


def validate(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Validate a table against its model; failures are reported as counts per check."""
    try:
        return MODELS[name].validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        counts = {k: sum(v.values()) for k, v in exc.error_counts.items()}
        raise SchemaViolation(f"analytic table {name}: schema checks failed {counts}") from None


def pid_buckets(count: int) -> list[tuple[str | None, str | None]]:
    """``count`` (1, 16 or 256) consecutive ranges ``[low, high)`` of hex pids, in order.

    A pid is hex, so its leading characters split persons into buckets whose
    concatenation in order is sorted on pid. ``None`` is an open end.
    """
    if count not in (1, 16, 256):
        raise ValueError("bucket count must be 1, 16 or 256")
    if count == 1:
        return [(None, None)]
    width = 1 if count == 16 else 2
    bounds = [f"{i:0{width}x}" for i in range(count)]
    return [(low, high) for low, high in zip([None, *bounds[1:]], [*bounds[1:], None], strict=True)]


def in_bucket(column: str, bucket: tuple[str | None, str | None]) -> pl.Expr:
    """Rows whose ``column`` lies in ``bucket`` (a range predicate parquet can prune on)."""
    low, high = bucket
    keep = pl.lit(True)
    if low is not None:
        keep = keep & (pl.col(column) >= low)
    if high is not None:
        keep = keep & (pl.col(column) < high)
    return keep


def run(
    params: BuildParams,
    base: Path,
    out: Path,
    buckets: int = 16,
    tables: tuple[str, ...] | None = None,
    columns: dict[str, tuple[str, ...]] | None = None,
) -> None:
    """Read ``base``, build every table, validate, write ``out`` atomically.

    Persons are built in ``buckets`` ranges of pid, two at a time, and each table is
    streamed to its file: memory follows two buckets, not the project. Every table is
    per person except family links and coverage, written whole, and two global inputs
    are computed first over all files: the end of observation (where open spells stop)
    and children's births (a parent's ``BIRTH_OF_CHILD`` event). The files equal those
    of one in-memory :func:`build`.

    ``tables`` and ``columns`` (a project's approval): only those tables are written,
    and of a table named in ``columns``, only ``pid`` and those columns.
    """
    base = Path(base)
    demographics_path = base / "demographics.parquet"
    if not demographics_path.exists():
        raise InputError("research", demographics_path, "missing")
    scans = {
        a: pl.scan_parquet(base / f"{a}.parquet")
        for a in AGENCIES
        if (base / f"{a}.parquet").exists()
    }
    for agency, scan in scans.items():
        if "link_evidence" not in scan.collect_schema().names():
            raise InputError(
                "research",
                base / f"{agency}.parquet",
                "no link_evidence column",
                "written by an older deidentify: run deidentify again",
            )
    family_path = base / "family_links.parquet"
    family = (
        pl.read_parquet(family_path) if family_path.exists() else MODELS["family_links"].empty()
    )
    demographics = pl.read_parquet(demographics_path)
    records = program_records(scans)
    window_end = observation_end(scans, records)
    births = child_births(scans.get("idph"))
    links = validate("family_links", build_family(family))
    covered = validate("coverage", build_coverage(records, scans.get("idph")))
    rows = {"family_links": links.height, "coverage": covered.height}

    # buckets are built two at a time (ordered_map), and written in order
    def bucket_tables(bucket: tuple[str | None, str | None]) -> dict[str, pl.DataFrame]:
        part = {a: scan.filter(in_bucket("pid", bucket)).collect() for a, scan in scans.items()}
        tables = build(
            params,
            part,
            demographics.filter(in_bucket("pid", bucket)),
            links.filter(in_bucket("parent_pid", bucket)),
            window_end,
            births,
            covered,
        )
        del tables["family_links"], tables["coverage"]
        return {name: validate(name, frame) for name, frame in tables.items()}

    wanted = set(MODELS) if tables is None else set(tables)

    def approved(name: str, frame: pl.DataFrame) -> pl.DataFrame:
        kept = (columns or {}).get(name)
        if kept is None:
            return frame
        return frame.select(c for c in frame.columns if c == "pid" or c in kept)

    with io.atomic_dir(Path(out)) as tmp:
        for name, whole in (("family_links", links), ("coverage", covered)):
            if name in wanted:
                io.write_parquet(approved(name, whole), tmp / f"{name}.parquet")
        sinks = {}
        try:
            # a bucket's four tables may wait while the next bucket is built
            with BackgroundWrites(depth=4) as writes:
                parts = ordered_map(bucket_tables, pid_buckets(buckets))
                for part in steps(parts, f"build {out.parent.name}", buckets, "bucket"):
                    for name, frame in part.items():
                        if name not in wanted:
                            continue
                        frame = approved(name, frame)
                        if name not in sinks:
                            sinks[name] = io.ParquetSink(tmp / f"{name}.parquet", frame.schema)
                        writes.write(sinks[name], frame)
                    failpoints.reached("build.bucket")
        finally:
            for sink in sinks.values():
                sink.close()
        failpoints.reached("build.written")
        rows |= {name: sink.rows for name, sink in sinks.items()}
    LOG.info("analytic tables: %s", rows)
