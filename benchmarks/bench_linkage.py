"""Person linkage at scale: time and peak memory of ``enclave link`` and its accuracy,
side by side with a plain Splink configuration (exact name, DOB and SSN comparisons,
no standardisation) on the same data, each in a fresh process.

    python -m benchmarks.bench_linkage 20000            # planted identifier tables
    python -m benchmarks.bench_linkage --world ROOT     # a world already through validate
    python -m benchmarks.bench_linkage --world ROOT --only enclave

``main()`` defaults to 100k planted persons. Target: 1M persons within 10 min on 2
cores. Results go to benchmarks/results/linkage.json, one entry per data set (the
key names the size), so a 1M run keeps the 100k figures.

The enclave side runs what ``enclave link`` runs (read the identifier files, link,
write the four output files into a temporary directory); ``link_seconds`` and
``link_peak_rss_mib`` are measured when the files are written, before the accuracy
is computed from the written crosswalk (the process's overall peak, which includes
that evaluation, is ``peak_rss_mib``).
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import polars as pl

from benchmarks.common import RESULTS, measure, write
from enclave.config import AGENCIES, LinkageParams


def _identifier_files(persons: int, world: str | None, tmp: Path) -> list[Path]:
    """The identifier files to link: a world's staged agencies, or planted tables."""
    if world is not None:
        return [Path(world) / "data" / "staged" / a for a in AGENCIES]
    from enclave.testing.planted import planted

    identifiers, _, _ = planted(persons, seed=11)
    path = tmp / "identifiers.parquet"
    identifiers.write_parquet(path)
    return [path]


def _truth(persons: int, world: str | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(truth records ``record_key``, ``person_id``; truth persons)."""
    if world is None:
        from enclave.testing.planted import planted

        _, records, people = planted(persons, seed=11)
        return records.select("record_key", "person_id"), people
    root = Path(world) / "data" / "truth"
    records = pl.read_parquet(root / "records.parquet", columns=["record_key", "person_id"])
    return records, pl.read_parquet(root / "persons.parquet")


def _cells(crosswalk: pl.LazyFrame, records: pl.LazyFrame) -> pl.DataFrame:
    """(``person_key``, ``person_id``, ``n`` records) cells, counted streaming: the
    metrics below take pre-counted cells, so 72M records never sit joined in memory."""
    return (
        crosswalk.select("record_key", "person_key")
        .join(records.select("record_key", "person_id"), on="record_key")
        .group_by("person_key", "person_id")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .collect(engine="streaming")
    )


def _accuracy(cells: pl.DataFrame) -> dict[str, Any]:
    from enclave.linkage.evaluate import bcubed, cluster_metrics, pairwise

    return {
        "pairwise": pairwise(cells, weight="n"),
        "cluster": cluster_metrics(cells, weight="n"),
        "bcubed": bcubed(cells, weight="n"),
    }


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _enclave(persons: int, world: str | None) -> dict[str, Any]:
    from enclave.linkage import run
    from enclave.linkage.evaluate import kept_apart, twin_pairs

    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as tmp:
        files = _identifier_files(persons, world, Path(tmp))
        start = time.perf_counter()
        run(LinkageParams(), inputs=files, out=Path(tmp) / "linkage", existing=None)
        seconds = time.perf_counter() - start
        peak = _peak_mib()
        zone = Path(tmp) / "linkage"
        crosswalk = pl.scan_parquet(zone / "crosswalk.parquet")
        identity_map = pl.scan_parquet(zone / "identity_map.parquet")
        identity_records = identity_map.select(pl.col("identity_id").max() + 1).collect().item()
        scored = pl.scan_parquet(zone / "pairs.parquet").select(pl.len()).collect().item()
        records_n = crosswalk.select(pl.len()).collect().item()
        records, people = _truth(persons, world)
        cells = _cells(crosswalk, records.lazy())
    del records
    return {
        "link_seconds": round(seconds, 2),
        "link_peak_rss_mib": peak,
        "records": int(records_n),
        "identity_records": int(identity_records),
        "scored_pairs": int(scored),
        "twins_kept_apart": kept_apart(cells, twin_pairs(people))["kept_apart"],
        **_accuracy(cells),
    }


def _plain(persons: int, world: str | None) -> dict[str, Any]:
    """Splink with exact comparisons on raw values (exact duplicate rows collapsed, as
    any Splink user would), same training steps and threshold."""
    import splink.comparison_library as cl
    from splink import Linker, SettingsCreator, block_on

    from enclave.linkage import read_identifiers
    from enclave.linkage.backend import make_db_api
    from enclave.linkage.keys import assign_keys

    params = LinkageParams()
    cols = ["first_name", "last_name", "dob", "ssn"]
    with tempfile.TemporaryDirectory(prefix="bench-linkage-") as tmp:
        files = _identifier_files(persons, world, Path(tmp))
        start = time.perf_counter()
        frame = pl.concat([read_identifiers(f) for f in files], how="diagonal_relaxed")
        rows = frame.select("record_key", *cols).collect()
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
    scored_pairs = scored.as_duckdbpyrelation().aggregate("count(*)").fetchall()[0][0]
    del linker, clusters, scored, db_api
    members = (
        rows.join(distinct, on=cols, how="left", nulls_equal=True)
        .join(labels.cast({"unique_id": pl.UInt32}), on="unique_id")
        .select("record_key", pl.col("cluster_id").cast(pl.String).alias("cluster"))
    )
    del rows
    crosswalk = assign_keys(members)
    seconds = time.perf_counter() - start
    peak = _peak_mib()
    records, _ = _truth(persons, world)
    return {
        "link_seconds": round(seconds, 2),
        "link_peak_rss_mib": peak,
        "records": crosswalk.height,
        "identity_records": distinct.height,
        "scored_pairs": int(scored_pairs),
        **_accuracy(_cells(crosswalk.lazy(), records.lazy())),
    }


def _label(persons: int, world: str | None) -> str:
    """The results key of a data set: its size in persons."""
    if world is not None:
        persons = (
            pl.scan_parquet(Path(world) / "data" / "truth" / "persons.parquet")
            .select(pl.len())
            .collect()
            .item()
        )
    return f"persons_{persons}"


def _earlier() -> dict[str, Any]:
    """Results already written, by data set (an old single-run file becomes one entry)."""
    path = RESULTS / "linkage.json"
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    old.pop("machine", None)
    if "enclave" in old:  # the single-run layout written before results were keyed by size
        return {"persons_100000": old}
    return old


def main(
    persons: int = 100_000, world: str | None = None, only: tuple[str, ...] = ("enclave", "plain")
) -> dict[str, Any]:
    """Benchmark both configurations on ``persons`` planted persons (or ``world``)."""
    entry: dict[str, Any] = {"data": world or f"planted {persons} persons"}
    if "enclave" in only:
        entry["enclave"] = measure(_enclave, persons, world)
    if "plain" in only:
        entry["plain_splink"] = measure(_plain, persons, world)
    results = _earlier()
    label = _label(persons, world)
    results[label] = {**results.get(label, {}), **entry}
    write("linkage", results)
    print(json.dumps(entry, indent=2))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("persons", nargs="?", type=int, default=100_000)
    parser.add_argument("--world", default=None, help="root of a world through validate")
    parser.add_argument(
        "--only", choices=["enclave", "plain"], action="append", help="run one side only"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log the link's phases")
    args = parser.parse_args()
    if args.verbose:
        import logging

        from enclave import log

        log.setup(logging.DEBUG)
        for name in ("splink", "duckdb", "numba", "urllib3"):
            logging.getLogger(name).setLevel(logging.WARNING)
    main(args.persons, args.world, tuple(args.only or ("enclave", "plain")))
