"""Linkage generalisation: the default configuration on data sets unlike the default
world, side by side with a plain Splink model on the same data, each in a fresh process.

    python -m benchmarks.bench_generalisation                 # 20,000 persons per data set
    python -m benchmarks.bench_generalisation 3000 --only other_names

The data sets (:mod:`enclave.testing.worlds`) have their own populations and error
models: two files without any SSN, one file to deduplicate with heavy typos and twins,
and names from other cultures. The enclave side is :func:`enclave.linkage.link` with
``LinkageParams()``, untouched; the plain side (:func:`plain_splink`) is Splink's
library comparisons on values only upper-cased, adapted to each data set's columns.
Accuracy is pairwise, B-cubed and exact-cluster, against the generator's truth.
``link_seconds`` times the link alone (not the generation, not the scoring).

Results go to benchmarks/results/generalisation.json, one entry per size
(``persons_<n>``), then per data set; a Markdown table is printed.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import polars as pl

from benchmarks.common import RESULTS, measure, write
from enclave.config import LinkageParams
from enclave.testing.worlds import WORLDS

#: seed of each data set's generator
SEEDS = {"no_ssn_two_files": 101, "dedupe_heavy_typos": 202, "other_names": 303}
#: the names the plain model compares (upper case only: no accent folding, no nicknames)
NAMES = ("first_name", "last_name")
#: columns the plain model compares exactly, where a data set carries them
EXACT = ("sex", "zip", "ssn", "ssn_last4")
SIDES = ("enclave", "plain_splink")


def _present(rows: pl.DataFrame) -> list[str]:
    """The compared columns this data set carries with any value."""
    columns = [*NAMES, "dob", *EXACT]
    return [
        c for c in columns if c in rows.columns and rows.get_column(c).null_count() < rows.height
    ]


def _settings(columns: list[str]):
    """Splink settings for the columns at hand: names (exact with term frequencies, then
    Jaro-Winkler), DOB (exact, one edit, a month, a year, ten years), exact on the rest;
    blocking on names, DOB, and SSN, last four or surname + ZIP where present."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [cl.NameComparison(c) for c in NAMES]
    comparisons.append(cl.DateOfBirthComparison("dob", input_is_string=False))
    comparisons += [cl.ExactMatch(c) for c in EXACT if c in columns]
    blocking = [block_on(*NAMES), block_on("dob")]
    blocking += [block_on(c) for c in ("ssn", "ssn_last4") if c in columns]
    if "zip" in columns:
        blocking.append(block_on("last_name", "zip"))
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
    )


def plain_splink(frames: list[pl.DataFrame], params: LinkageParams) -> pl.DataFrame:
    """A plain Splink model on the sources: ``record_key``, ``cluster``.

    Exact duplicate rows are collapsed first, as any Splink user would. Training: the
    prior from names + DOB (and SSN + DOB where there is an SSN) at 80% recall, u by
    random sampling, m by EM blocked on DOB and on first + last name; clusters at
    ``params.threshold``. Names are upper-cased and trimmed, nothing more.
    """
    from splink import Linker, block_on

    from enclave.linkage.backend import close, make_db_api

    rows = pl.concat(frames, how="diagonal_relaxed")
    columns = _present(rows)
    rows = rows.select("record_key", *columns).with_columns(
        pl.col(c).str.to_uppercase().str.strip_chars() for c in NAMES
    )
    distinct = rows.select(columns).unique(maintain_order=True).with_row_index("unique_id")
    db_api = make_db_api(params.backend, params.threads)
    linker = Linker(db_api.register(distinct), _settings(columns), log_level=None)
    training = linker.training
    prior_rules = [block_on(*NAMES, "dob")]
    if "ssn" in columns:
        prior_rules.append(block_on("ssn", "dob"))
    training.estimate_probability_two_random_records_match(prior_rules, recall=0.8)
    training.estimate_u_using_random_sampling(max_pairs=params.u_max_pairs, seed=params.seed)
    for rule in (block_on("dob"), block_on(*NAMES)):
        training.estimate_parameters_using_expectation_maximisation(
            rule, max_pairs=params.em_max_pairs
        )
    scored = linker.inference.predict(threshold_match_probability=params.threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        scored, threshold_match_probability=params.threshold
    )
    labels = pl.from_arrow(
        clusters.as_duckdbpyrelation().select("unique_id, cluster_id").to_arrow_table()
    )
    close(db_api)
    return (
        rows.join(distinct, on=columns, how="left", nulls_equal=True)
        .join(labels.cast({"unique_id": pl.UInt32}), on="unique_id")
        .select("record_key", pl.col("cluster_id").cast(pl.String).alias("cluster"))
    )


def enclave_link(frames: list[pl.DataFrame], params: LinkageParams) -> pl.DataFrame:
    """:func:`enclave.linkage.link` on the sources: ``record_key``, ``cluster``."""
    from enclave.linkage import link

    result = link([f.lazy() for f in frames], params)
    return result.crosswalk.select("record_key", pl.col("person_key").alias("cluster"))


def scores(clusters: pl.DataFrame, truth: pl.DataFrame) -> dict[str, Any]:
    """Pairwise, B-cubed and exact-cluster metrics of ``clusters`` against ``truth``."""
    from enclave.linkage.evaluate import bcubed, cluster_metrics, pairwise

    joined = clusters.join(truth, on="record_key")
    return {
        "pairwise": pairwise(joined, cluster="cluster"),
        "bcubed": bcubed(joined, cluster="cluster"),
        "cluster": cluster_metrics(joined, cluster="cluster"),
    }


def _side(dataset: str, persons: int, side: str) -> dict[str, Any]:
    """One side on one data set (run in a fresh process by :func:`measure`)."""
    world = WORLDS[dataset](persons, SEEDS[dataset])
    start = time.perf_counter()
    run = enclave_link if side == "enclave" else plain_splink
    clusters = run(world.frames, LinkageParams())
    seconds = time.perf_counter() - start
    return {
        "link_seconds": round(seconds, 2),
        "records": clusters.height,
        "sources": len(world.frames),
        "true_persons": world.truth.get_column("person_id").n_unique(),
        **scores(clusters, world.truth),
    }


def table(entry: dict[str, Any]) -> str:
    """A Markdown table of one size's results: a row per data set and side."""
    head = (
        "| data set | side | records | link s | pairwise P | pairwise R | pairwise F1 "
        "| B-cubed F1 | cluster F1 |\n|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for dataset in [d for d in WORLDS if d in entry]:
        for side in [s for s in SIDES if s in entry[dataset]]:
            m = entry[dataset][side]["extra"]
            pw = m["pairwise"]
            lines.append(
                f"| {dataset} | {side} | {m['records']:,} | {m['link_seconds']} "
                f"| {pw['precision']:.4f} | {pw['recall']:.4f} | {pw['f1']:.4f} "
                f"| {m['bcubed']['f1']:.4f} | {m['cluster']['f1']:.4f} |"
            )
    return "\n".join(lines)


def _earlier() -> dict[str, Any]:
    path = RESULTS / "generalisation.json"
    if not path.exists():
        return {}
    old = json.loads(path.read_text())
    old.pop("machine", None)
    return old


def main(
    persons: int = 20_000, only: tuple[str, ...] = tuple(WORLDS), sides: tuple[str, ...] = SIDES
) -> dict[str, Any]:
    """Both sides on each data set of ``persons`` persons; results merged into the file."""
    entry: dict[str, Any] = {}
    for dataset in only:
        entry[dataset] = {side: measure(_side, dataset, persons, side) for side in sides}
    results = _earlier()
    label = f"persons_{persons}"
    previous = results.get(label, {})
    results[label] = previous | {d: previous.get(d, {}) | s for d, s in entry.items()}
    write("generalisation", results)
    print(table(results[label]))
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("persons", nargs="?", type=int, default=20_000)
    parser.add_argument("--only", choices=list(WORLDS), action="append", help="one data set")
    parser.add_argument("--side", choices=list(SIDES), action="append", help="one side only")
    args = parser.parse_args()
    main(args.persons, tuple(args.only or WORLDS), tuple(args.side or SIDES))
