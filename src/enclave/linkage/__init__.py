"""Person linkage in the trusted zone: identifier tables in, a crosswalk out.

``run`` is the edge (reads identifier files, writes ``crosswalk.parquet``,
``family.parquet`` and the evaluation side tables); :func:`link` is the pure core.
Rows are collapsed to distinct identity records before Splink sees them, and
mapped back afterwards: agencies repeat identical identifiers on many rows.

The row-level outputs (crosswalk, identity map) are built by positional gathers
over the records in record-key order (:mod:`enclave.linkage.identity`), one at a
time, so ``run`` holds at most one of them in memory besides the records.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from enclave import failpoints, io, log
from enclave.config import LinkageParams
from enclave.linkage import backend, evidence, family, identity, incremental, model, priors
from enclave.linkage.cluster import cluster_at
from enclave.linkage.inputs import read_identifiers as read_identifiers  # the public reader
from enclave.linkage.inputs import read_inputs, report
from enclave.linkage.keys import assign_keys
from enclave.linkage.keys import cluster_keys as assign_cluster_keys
from enclave.progress import Phases

LOG = log.get("enclave.linkage")


@dataclass(frozen=True)
class LinkResult:
    crosswalk: pl.DataFrame  # record_key, person_key, match_probability, link_evidence
    family: pl.DataFrame  # child_person_key, parent_person_key, role, match_probability, record_key
    identity_map: pl.DataFrame  # record_key, role, identity_id, birth_year, ssn_head, ssn_tail
    pairs: pl.DataFrame  # id_l, id_r, match_probability (edges at or above the floor)
    apart: pl.DataFrame  # id_l, id_r: identity records one roster lists as two people


#: output files of the linkage zone, in the order :func:`outputs` yields them
OUTPUTS = ("crosswalk", "family", "pairs", "apart", "identity_map")


def run(
    params: LinkageParams,
    inputs: list[Path],
    out: Path,
    existing: Path | None,
    model_file: Path | None = None,
) -> None:
    """Link the identifier files ``inputs`` and write the linkage zone ``out``.

    Every input is checked before any linking (:mod:`enclave.linkage.inputs`); the
    zone's ``report.json`` lists the inputs and their unparsed dates. With
    ``model_file`` (a zone's ``model.json``) the records are scored with that trained
    model instead of one trained here. When the zone ``out`` holds an earlier run over
    the same inputs, new monthly deliveries aside, only those are linked, against it
    (:mod:`enclave.linkage.incremental`).
    """
    backend.require(params.backend)  # a missing engine is said first, not after minutes
    files = read_inputs(inputs)
    values = priors.read_model(model_file) if model_file is not None else None
    if existing is None and values is None:  # new monthly deliveries: linked alone
        prior = incremental.previous(Path(out), params, files)
        if prior is not None and incremental.link_month(params, files, prior, Path(out)):
            return
    frames = [f.frame for f in files]
    earlier = io.read_parquet(existing).collect() if existing is not None else None
    notes: dict = {}
    side: dict = {}
    # the inputs' digests for state.json, taken while the files are in the page cache
    # (just staged, and read here first): at the end of a 1M run they took 20 s, not 1
    with ThreadPoolExecutor(1) as hashing, io.atomic_dir(out) as tmp:
        digests = hashing.submit(lambda: {str(f.path): io.sha256_file(f.path) for f in files})
        for name, frame in outputs(frames, params, earlier, notes, side, values):
            if isinstance(frame, pl.DataFrame):
                io.write_parquet(frame, tmp / f"{name}.parquet")
            else:  # the identity map, part by part
                _write_parts(frame, tmp / f"{name}.parquet")
            del frame  # the next output is built only after this one is released
            failpoints.reached(f"link.{name}")
        side["model"] = notes.pop("model", None)
        if side["model"] is not None:
            start = time.perf_counter()
            incremental.keep(tmp, params, files, side, digests.result())
            LOG.debug("kept for the next month in %.1f s", time.perf_counter() - start)
        io.write_json(report(files) | notes, tmp / "report.json")


def _write_parts(parts: Iterator[pl.DataFrame], path: Path) -> None:
    """One file from ``parts``, each encoded while the next is made (a part of the
    identity map is 8M rows)."""
    io.write_parquet_parts(parts, path)


def link(
    frame: pl.LazyFrame | Sequence[pl.LazyFrame],
    params: LinkageParams,
    existing: pl.DataFrame | None = None,
) -> LinkResult:
    """Pure core: standard identifier rows (one frame, or one per file) -> crosswalk,
    family links and scored pairs."""
    frames = {
        name: output if isinstance(output, pl.DataFrame) else pl.concat(list(output))
        for name, output in outputs(frame, params, existing)
    }
    return LinkResult(**frames)


#: the phases of a linkage run, as its progress bar names them
PHASES = ("collapse", "train and score", "cluster", "family links", "write")


def outputs(
    frame: pl.LazyFrame | Sequence[pl.LazyFrame],
    params: LinkageParams,
    existing: pl.DataFrame | None = None,
    notes: dict | None = None,
    side: dict | None = None,
    values: dict | None = None,
) -> Iterator[tuple[str, pl.DataFrame | Iterator[pl.DataFrame]]]:
    """The linkage zone's frames, one at a time, in the order of :data:`OUTPUTS`.

    The identity map (a row per record and per named parent: 73M at a million
    persons) comes as an iterator of consecutive parts, each built as it is written.
    ``notes``, if given, receives what training did (``training``), for the report, and
    the trained model (``model``). ``side``, if given, receives ``identities``: every
    identity record with its person, evidence and guard attributes, for a monthly
    delivery linked later (:mod:`enclave.linkage.incremental`). ``values``: a trained
    model to score with (:func:`enclave.linkage.model.fit`), instead of training one.
    """
    start = time.perf_counter()
    phases = Phases("link", PHASES)
    phases.start("collapse")
    collapsed = identity.collapse(frame, params.min_age)
    identities = collapsed.identities
    LOG.info("linking %d records as %d identity records", collapsed.rows, identities.height)
    LOG.debug("collapsed in %.1f s", time.perf_counter() - start)
    phases.start("train and score")
    pairs = (
        model.predict(identities, params, notes, values) if identities.height > 1 else _no_pairs()
    )
    phases.start("cluster")
    LOG.debug("model trained and scored in %.1f s", time.perf_counter() - start)
    attrs = guard_attributes(identities, collapsed.born_by)
    cluster, strongest, kept = _person_clusters(
        identities, pairs, attrs, params.threshold, collapsed.apart
    )
    LOG.debug("clusters in %.1f s", time.perf_counter() - start)
    record_identity = collapsed.record_identity
    classes = evidence.identity_classes(
        cluster,
        kept,
        identities,
        np.bincount(record_identity.to_numpy(), minlength=identities.height),
    )
    LOG.debug("evidence classes in %.1f s", time.perf_counter() - start)
    # per identity: what each of its records carries into the crosswalk
    carried = [pl.Series("match_probability", strongest), evidence.as_classes(classes)]
    # 32 bits, as the identity ids: one per record
    record_cluster = pl.Series("cluster", cluster.astype(np.int32)).gather(record_identity)
    parent_pos = collapsed.parents.get_column("pos")
    if existing is None:
        # every key is fresh: one per cluster, from its smallest record key (its first
        # position); the records' keys are read back part by part as they are written
        cluster_key = _fresh_keys(record_cluster, collapsed.keys, identities.height)
        child_keys = cluster_key.gather(record_cluster.gather(parent_pos))
        labels = pl.Series("cluster", np.arange(identities.height, dtype=np.int64))
        cluster_keys = pl.DataFrame([labels, cluster_key])
        persons = cluster_key.len() - cluster_key.null_count()
        crosswalk = _crosswalk_parts(collapsed, record_cluster, cluster_key, carried)
    else:
        members = collapsed.records.with_columns(record_cluster).drop("identity_id")
        keyed = assign_keys(members, existing).with_columns(
            c.gather(record_identity) for c in carried
        )
        child_keys = keyed.get_column("person_key").gather(parent_pos)
        cluster_keys = (
            pl.DataFrame([record_cluster, keyed.get_column("person_key")])
            .group_by("cluster")
            .agg(pl.col("person_key").min())
            .cast({"cluster": pl.Int64})
        )
        crosswalk = _carry_over(keyed, existing)
        persons = crosswalk.get_column("person_key").n_unique()
        del members, keyed
    phases.start("family links")
    links = family.links(
        collapsed.parents,
        identities,
        pairs,
        child_keys,
        cluster,
        cluster_keys.rename({"person_key": "parent_person_key"}),
        params.family_threshold,
    )
    LOG.debug("clustered and keyed in %.1f s", time.perf_counter() - start)
    LOG.info(
        "%d records -> %d persons; %d scored pairs", len(collapsed.keys), persons, pairs.height
    )
    if side is not None:
        person = (
            pl.DataFrame({"cluster": cluster.astype(np.int64)})
            .join(cluster_keys, on="cluster", how="left", maintain_order="left")
            .get_column("person_key")
        )
        side["identities"] = identities.with_columns(person, *carried).join(
            attrs.drop("birth_year"), on="identity_id", how="left", maintain_order="left"
        )
    del record_cluster, cluster_keys, child_keys
    phases.start("write")
    yield "crosswalk", crosswalk
    del crosswalk
    yield "family", links
    yield "pairs", pairs
    yield "apart", collapsed.apart
    yield "identity_map", _identity_map_parts(collapsed, attrs)
    phases.close()
    LOG.debug("all outputs in %.1f s", time.perf_counter() - start)


def _fresh_keys(record_cluster: pl.Series, keys: identity.RecordKeys, n: int) -> pl.Series:
    """``person_key`` by cluster label (``0..n-1``; null for labels no record has): each
    cluster's new key, from its smallest record key, which is at its first position."""
    first = record_cluster.arg_unique().to_numpy()
    fresh = assign_cluster_keys(
        pl.DataFrame([record_cluster.gather(first), keys.gather(first).alias("record_key")])
    )
    return (
        pl.DataFrame({"cluster": np.arange(n, dtype=np.int32)})
        .join(fresh, on="cluster", how="left", maintain_order="left")
        .get_column("cluster_key")
        .alias("person_key")
    )


def _crosswalk_parts(
    collapsed: identity.Collapsed,
    record_cluster: pl.Series,
    cluster_key: pl.Series,
    carried: list[pl.Series],
    rows: int | None = None,
) -> Iterator[pl.DataFrame]:
    """The crosswalk ``rows`` records at a time, in key order: each record's key (read
    back), its cluster's person key, and what its identity carries."""
    for low, high in _parts(len(collapsed.keys), rows or PART_ROWS):
        ids = collapsed.record_identity.slice(low, high - low)
        yield pl.DataFrame(
            [
                collapsed.keys.slice(low, high).alias("record_key"),
                cluster_key.gather(record_cluster.slice(low, high - low)),
                *(c.gather(ids) for c in carried),
            ]
        )


def _parts(n: int, rows: int) -> Iterator[tuple[int, int]]:
    """``(low, high)`` of consecutive parts of ``rows`` records (one, empty, if ``n`` is 0)."""
    for low in range(0, max(n, 1), rows):
        yield low, min(low + rows, n)


def _no_pairs() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"id_l": pl.Int64, "id_r": pl.Int64, "match_probability": pl.Float64}
    )


def guard_attributes(identities: pl.DataFrame, born_by: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per identity, in identity order: birth year, ``born_by`` (the latest birth year
    its records allow, :mod:`enclave.linkage.activity`; null without dates seen) and
    opaque codes of the SSN's first five and last four digits and of the sex (what the
    guards compare; no identifier value leaves this function)."""
    attrs = identities.select(
        "identity_id",
        "birth_year",
        pl.col("ssn").str.slice(0, 5).rank("dense").cast(pl.Int64).alias("ssn_head"),
        pl.col("ssn").str.slice(5, 4).rank("dense").cast(pl.Int64).alias("ssn_tail"),
        pl.col("sex").rank("dense").cast(pl.Int64).alias("sex_code"),
    )
    if born_by is None:
        born_by = pl.DataFrame(schema={"identity_id": pl.Int64, "born_by": pl.Int32})
    return attrs.join(born_by, on="identity_id", how="left", maintain_order="left").select(
        "identity_id", "birth_year", "born_by", "ssn_head", "ssn_tail", "sex_code"
    )


def person_pairs(identities: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Scored pairs between identity records of persons (a birth record's parents are
    scored too, but never join persons together)."""
    parent_ids = identities.filter(pl.col("role").is_not_null()).get_column("identity_id")
    return pairs.filter(
        ~pl.col("id_l").is_in(parent_ids.implode()) & ~pl.col("id_r").is_in(parent_ids.implode())
    )


def _person_clusters(
    identities: pl.DataFrame,
    pairs: pl.DataFrame,
    attrs: pl.DataFrame,
    threshold: float,
    apart: pl.DataFrame | None = None,
) -> tuple[np.ndarray, np.ndarray, pl.DataFrame]:
    """Per identity id: its cluster (smallest identity id of its component) and the
    strongest link holding it there (1.0 when alone); and the links kept. ``attrs``
    from :func:`guard_attributes`; ``apart``: identities never in one cluster
    (:func:`enclave.linkage.cluster.keep_apart`)."""
    labels, edges = cluster_at(
        identities.height, person_pairs(identities, pairs), attrs, threshold, apart=apart
    )
    strongest = np.ones(identities.height, dtype=np.float64)
    best = (
        pl.concat(
            [
                edges.select(pl.col("id_l").alias("identity_id"), "match_probability"),
                edges.select(pl.col("id_r").alias("identity_id"), "match_probability"),
            ]
        )
        .group_by("identity_id")
        .agg(pl.col("match_probability").max())
    )
    strongest[best.get_column("identity_id").to_numpy()] = best.get_column(
        "match_probability"
    ).to_numpy()
    return labels, strongest, edges


def _carry_over(crosswalk: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """Records of the earlier crosswalk absent from this run keep their rows unchanged."""
    if "link_evidence" not in existing.columns:  # a crosswalk written before the column
        existing = existing.with_columns(pl.lit(None, evidence.EVIDENCE).alias("link_evidence"))
    kept = existing.join(crosswalk, on="record_key", how="anti").select(crosswalk.columns)
    return pl.concat([crosswalk, kept]).sort("record_key")


#: records per part of the crosswalk and of the identity map
PART_ROWS = 8_000_000


def _identity_map_parts(
    collapsed: identity.Collapsed, attrs: pl.DataFrame, rows: int = PART_ROWS
) -> Iterator[pl.DataFrame]:
    """Every person and parent row with its identity and the guards' attributes (so the
    evaluation re-clusters with what the link saw), ``rows`` records at a time: the
    parts, concatenated, are :func:`identity.with_roles` with the attributes."""
    attrs = attrs.drop("identity_id")
    keys, parents = collapsed.keys, collapsed.parents
    positions = parents.get_column("pos").to_numpy()
    for low, high in _parts(len(keys), rows):
        first, last = np.searchsorted(positions, [low, high], side="left")
        part = identity.merge_roles(
            pl.DataFrame(
                [
                    keys.slice(low, high).alias("record_key"),
                    collapsed.record_identity.slice(low, high - low),
                ]
            ),
            parents.slice(first, last - first).with_columns(pl.col("pos") - low),
        )
        ids = part.get_column("identity_id")
        yield part.with_columns(attrs.get_column(c).gather(ids) for c in attrs.columns)
