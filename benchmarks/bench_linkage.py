"""Person linkage at scale: time and peak memory of ``enclave.linkage.link`` and its
accuracy, side by side with a plain Splink configuration (exact name, DOB and SSN
comparisons, no standardisation) on the same data, each in a fresh process.

    python -m benchmarks.bench_linkage 20000            # planted identifier tables
    python -m benchmarks.bench_linkage --world ROOT     # a world already through validate

``main()`` defaults to 100k planted persons. Target: 1M persons within 10 min on 2
cores. Results go to benchmarks/results/linkage.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.common import measure, write
from enclave.config import AGENCIES, LinkageParams


def _load(persons: int, world: str | None) -> tuple[pl.LazyFrame, pl.DataFrame, pl.DataFrame]:
    """(identifier rows, truth records, truth persons) from a world on disk or planted."""
    if world is None:
        from enclave.linkage.planted import planted

        identifiers, records, people = planted(persons, seed=11)
        return identifiers.lazy(), records, people
    from enclave.linkage import read_identifiers

    root = Path(world)
    frames = [read_identifiers(root / "data" / "staged" / a) for a in AGENCIES]
    records = pl.read_parquet(root / "data" / "truth" / "records.parquet")
    people = pl.read_parquet(root / "data" / "truth" / "persons.parquet")
    return pl.concat(frames, how="diagonal_relaxed"), records, people


def _accuracy(crosswalk: pl.DataFrame, records: pl.DataFrame) -> dict[str, Any]:
    from enclave.linkage.evaluate import cluster_metrics, pairwise

    joined = crosswalk.join(records.select("record_key", "person_id"), on="record_key")
    return {"pairwise": pairwise(joined), "cluster": cluster_metrics(joined)}


def _enclave(persons: int, world: str | None) -> dict[str, Any]:
    from enclave.linkage import link
    from enclave.linkage.evaluate import kept_apart, twin_pairs

    frame, records, people = _load(persons, world)
    start = time.perf_counter()  # includes reading the identifier files (lazy frame)
    result = link(frame, LinkageParams())
    seconds = time.perf_counter() - start
    joined = result.crosswalk.join(records.select("record_key", "person_id"), on="record_key")
    return {
        "link_seconds": round(seconds, 2),
        "records": result.crosswalk.height,
        "identity_records": int(result.identity_map.get_column("identity_id").n_unique()),
        "scored_pairs": result.pairs.height,
        "twins_kept_apart": kept_apart(joined, twin_pairs(people))["kept_apart"],
        **_accuracy(result.crosswalk, records),
    }


def _plain(persons: int, world: str | None) -> dict[str, Any]:
    """Splink with exact comparisons on raw values (exact duplicate rows collapsed, as
    any Splink user would), same training steps and threshold."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from enclave.linkage.backend import make_db_api
    from enclave.linkage.keys import assign_keys

    params = LinkageParams()
    cols = ["first_name", "last_name", "dob", "ssn"]
    frame, records, _ = _load(persons, world)
    rows = frame.select("record_key", *cols).collect()
    start = time.perf_counter()
    distinct = rows.select(cols).unique(maintain_order=True).with_row_index("unique_id")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[cl.ExactMatch(c) for c in cols],
        blocking_rules_to_generate_predictions=[
            block_on("ssn"),
            block_on("dob"),
            block_on("first_name", "last_name"),
        ],
    )
    db_api = make_db_api(params.backend, params.threads)
    linker = Linker(db_api.register(distinct), settings, log_level=None)
    t = linker.training
    t.estimate_probability_two_random_records_match([block_on("ssn", "dob")], recall=0.8)
    t.estimate_u_using_random_sampling(max_pairs=params.u_max_pairs, seed=params.seed)
    for rule in (block_on("ssn"), block_on("dob"), block_on("first_name", "last_name")):
        t.estimate_parameters_using_expectation_maximisation(rule, max_pairs=params.em_max_pairs)
    scored = linker.inference.predict(threshold_match_probability=params.threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        scored, threshold_match_probability=params.threshold
    )
    labels = pl.from_arrow(
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").to_arrow_table()
    )
    members = (
        rows.join(distinct, on=cols, how="left", nulls_equal=True)
        .join(labels.cast({"unique_id": pl.UInt32}), on="unique_id")
        .select("record_key", pl.col("cluster_id").cast(pl.String).alias("cluster"))
    )
    crosswalk = assign_keys(members)
    seconds = time.perf_counter() - start
    return {
        "link_seconds": round(seconds, 2),
        "records": crosswalk.height,
        **_accuracy(crosswalk, records),
    }


def main(persons: int = 100_000, world: str | None = None) -> dict[str, Any]:
    """Benchmark both configurations on ``persons`` planted persons (or ``world``)."""
    results = {
        "data": world or f"planted {persons} persons",
        "enclave": measure(_enclave, persons, world),
        "plain_splink": measure(_plain, persons, world),
    }
    write("linkage", results)
    print(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("persons", nargs="?", type=int, default=100_000)
    parser.add_argument("--world", default=None, help="root of a world through validate")
    args = parser.parse_args()
    main(args.persons, args.world)
