"""Analytic tables of the research zone, built from one project's base files.

``run`` reads ``data/research/<project>/base/`` and writes
``data/research/<project>/analytic/`` (docs/INTERFACES.md, "build -> analytic
tables"): ``persons``, ``program_spells``, ``person_quarters``, ``life_events`` and
``family_links``, each validated against its model in :mod:`enclave.analytic.schemas`.
"""

from __future__ import annotations

from pathlib import Path

import pandera.errors
import polars as pl

from enclave import io, log
from enclave.analytic.events import build_events
from enclave.analytic.family import build_family
from enclave.analytic.panel import build_panel
from enclave.analytic.persons import build_persons
from enclave.analytic.schemas import MODELS
from enclave.analytic.spells import program_spells
from enclave.config import AGENCIES, BuildParams
from enclave.errors import EnclaveError, InputError

LOG = log.get(__name__)


class SchemaViolation(EnclaveError):
    """An analytic table does not match its model (counts per check, no values)."""


def build(
    params: BuildParams,
    base: dict[str, pl.DataFrame],
    demographics: pl.DataFrame,
    family: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """All analytic tables from the research zone's base tables (pure)."""
    spells = program_spells(base, params.spell_gap_months)
    links = build_family(family)
    return {
        "persons": build_persons(demographics, base),
        "program_spells": spells,
        "person_quarters": build_panel(spells, base),
        "life_events": build_events(base, links),
        "family_links": links,
    }


def validate(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Validate a table against its model; failures are reported as counts per check."""
    try:
        return MODELS[name].validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        counts = {k: sum(v.values()) for k, v in exc.error_counts.items()}
        raise SchemaViolation(f"analytic table {name}: schema checks failed {counts}") from None


def run(params: BuildParams, base: Path, out: Path) -> None:
    """Read ``base``, build every table, validate, write ``out`` atomically."""
    base = Path(base)
    demographics_path = base / "demographics.parquet"
    if not demographics_path.exists():
        raise InputError("research", demographics_path, "missing")
    agencies = {
        a: pl.read_parquet(base / f"{a}.parquet")
        for a in AGENCIES
        if (base / f"{a}.parquet").exists()
    }
    family_path = base / "family_links.parquet"
    family = (
        pl.read_parquet(family_path) if family_path.exists() else MODELS["family_links"].empty()
    )
    tables = build(params, agencies, pl.read_parquet(demographics_path), family)
    with io.atomic_dir(Path(out)) as tmp:
        for name, frame in tables.items():
            io.write_parquet(validate(name, frame), tmp / f"{name}.parquet")
    LOG.info("analytic tables: %s", {n: t.height for n, t in tables.items()})
