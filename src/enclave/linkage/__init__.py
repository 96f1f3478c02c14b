"""Person linkage in the trusted zone: identifier tables in, a crosswalk out.

``run`` is the edge (reads identifier files, writes ``crosswalk.parquet``,
``family.parquet`` and the evaluation side tables); :func:`link` is the pure core.
Rows are collapsed to distinct identity records before Splink sees them, and
mapped back afterwards: agencies repeat identical identifiers on many rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from enclave import io, log
from enclave.config import LinkageParams
from enclave.errors import InputError
from enclave.linkage import family, identity, model
from enclave.linkage.cluster import cluster_at
from enclave.linkage.keys import assign_keys

LOG = log.get("enclave.linkage")


@dataclass(frozen=True)
class LinkResult:
    crosswalk: pl.DataFrame  # record_key, person_key, match_probability
    family: pl.DataFrame  # child_person_key, parent_person_key, role, match_probability, record_key
    identity_map: pl.DataFrame  # record_key, role, identity_id, birth_year, ssn_head, ssn_tail
    pairs: pl.DataFrame  # id_l, id_r, match_probability (edges at or above the floor)


def run(params: LinkageParams, inputs: list[Path], out: Path, existing: Path | None) -> None:
    """Link the identifier files ``inputs`` and write the linkage zone ``out``."""
    frame = pl.concat([read_identifiers(p) for p in inputs], how="diagonal_relaxed")
    earlier = io.read_parquet(existing).collect() if existing is not None else None
    result = link(frame, params, earlier)
    with io.atomic_dir(out) as tmp:
        io.write_parquet(result.crosswalk, tmp / "crosswalk.parquet")
        io.write_parquet(result.family, tmp / "family.parquet")
        io.write_parquet(result.identity_map, tmp / "identity_map.parquet")
        io.write_parquet(result.pairs, tmp / "pairs.parquet")


def read_identifiers(path: Path) -> pl.LazyFrame:
    """One identifier file in the standard columns (parquet, or CSV with ISO dates; a
    directory means its ``identifiers.parquet``). Missing columns become null; a file
    without an ``agency`` column is named after its file stem."""
    path = Path(path)
    if path.is_dir():
        path = path / "identifiers.parquet"
    if not path.exists():
        raise InputError("link", path, "file not found")
    if path.suffix.lower() == ".csv":
        frame = pl.scan_csv(path, infer_schema=False)
    else:
        frame = pl.scan_parquet(path)
    names = frame.collect_schema().names()
    if "record_key" not in names:
        raise InputError("link", path, "no record_key column")
    if "agency" not in names:
        frame = frame.with_columns(agency=pl.lit(path.stem))
    schema = frame.collect_schema()
    # CSV dates arrive as ISO text (unparseable -> null); parquet dates are already dates
    texts = [c for c in ("dob", "mother_dob", "father_dob") if schema.get(c) == pl.String]
    return frame.with_columns(pl.col(c).str.to_date("%Y-%m-%d", strict=False) for c in texts)


def link(
    frame: pl.LazyFrame, params: LinkageParams, existing: pl.DataFrame | None = None
) -> LinkResult:
    """Pure core: standard identifier rows -> crosswalk, family links and scored pairs."""
    rows, identities = identity.build(frame)
    LOG.info("linking %d records as %d identity records", rows.height, identities.height)
    pairs = model.predict(identities, params) if identities.height > 1 else _no_pairs()
    persons = _person_clusters(identities, pairs, params.threshold)
    crosswalk = _crosswalk(rows, persons, existing)
    LOG.info(
        "%d records -> %d persons; %d scored pairs",
        crosswalk.height,
        crosswalk.get_column("person_key").n_unique(),
        pairs.height,
    )
    links = family.links(rows, identities, pairs, crosswalk, persons, params.family_threshold)
    attrs = guard_attributes(identities)
    identity_map = rows.join(attrs, on="identity_id").sort("record_key", "role")
    return LinkResult(crosswalk, links, identity_map, pairs)


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64}
    )


def guard_attributes(identities: pl.DataFrame) -> pl.DataFrame:
    """Per identity: birth year and opaque codes of the SSN's first five and last four
    digits (what the bridge guard compares; no identifier value leaves this function)."""
    return identities.select(
        "identity_id",
        "birth_year",
        pl.col("ssn").str.slice(0, 5).rank("dense").cast(pl.Int64).alias("ssn_head"),
        pl.col("ssn").str.slice(5, 4).rank("dense").cast(pl.Int64).alias("ssn_tail"),
    )


def person_pairs(identities: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Scored pairs between identity records of persons (a birth record's parents are
    scored too, but never join persons together)."""
    parent_ids = identities.filter(pl.col("role").is_not_null()).get_column("identity_id")
    return pairs.filter(
        ~pl.col("id_l").is_in(parent_ids.implode()) & ~pl.col("id_r").is_in(parent_ids.implode())
    )


def _person_clusters(
    identities: pl.DataFrame, pairs: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """identity_id -> cluster (smallest identity id of its component) and the strongest
    link holding it there (1.0 when alone)."""
    labels, edges = cluster_at(
        identities.height,
        person_pairs(identities, pairs),
        guard_attributes(identities),
        threshold,
    )
    strongest = (
        pl.concat(
            [
                edges.select(pl.col("id_l").alias("identity_id"), "match_probability"),
                edges.select(pl.col("id_r").alias("identity_id"), "match_probability"),
            ]
        )
        .group_by("identity_id")
        .agg(pl.col("match_probability").max())
    )
    return (
        identities.select("identity_id")
        .with_columns(cluster=pl.Series(labels))
        .join(strongest, on="identity_id", how="left")
        .with_columns(pl.col("match_probability").fill_null(1.0))
    )


def _crosswalk(
    rows: pl.DataFrame, persons: pl.DataFrame, existing: pl.DataFrame | None
) -> pl.DataFrame:
    """Every person record -> its person key and match probability."""
    members = rows.filter(pl.col("role").is_null()).join(persons, on="identity_id")
    keyed = assign_keys(members.select("record_key", "cluster"), existing)
    crosswalk = keyed.join(members.select("record_key", "match_probability"), on="record_key").sort(
        "record_key"
    )
    if existing is not None:
        # records of the earlier crosswalk absent from this run keep their rows unchanged
        kept = existing.join(crosswalk, on="record_key", how="anti").select(crosswalk.columns)
        crosswalk = pl.concat([crosswalk, kept]).sort("record_key")
    return crosswalk
