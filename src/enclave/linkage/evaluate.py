"""Linkage accuracy against the synthetic world's truth (a separate stage, so that
``link`` never reads the truth).

Pairwise metrics never materialise record pairs: the pairs inside a set of ``n``
records number ``n(n-1)/2``, so true positives are counted over the intersections
of predicted clusters and true persons, predicted pairs over clusters and true pairs
over persons. Only counts and rates are reported, never a row value.

Records are not held one per row either: a single streamed pass counts them per
*cell*, the records alike in everything a metric looks at (:func:`record_cells`;
7M records at 100k persons are ~490k cells), and every metric takes those counts as
weights. The metric functions also take records one per row (no ``weight``), which
is how the tests state their definitions.

Exact clusters are also measured against the *resolvable truth*
(:func:`resolvable_components`): each person's records split where nothing but a name
joins them, since a join by name alone is not made (a wrong person in someone's history
is worse than a split).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io, partfiles
from enclave.linkage.cluster import (
    Prepared,
    _plausible,
    bridge_frame,
    cluster_at,
    connected_components,
)
from enclave.linkage.standardise import valid_ssn
from enclave.paths import delivered

#: thresholds of the precision-recall curve (``reports/linkage_pr.csv``)
PR_THRESHOLDS: tuple[float, ...] = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 0.999)
#: columns of the curve: pairwise, then cluster precision, recall and F1
PR_COLUMNS: tuple[str, ...] = (
    "threshold",
    "precision",
    "recall",
    "f1",
    "cluster_precision",
    "cluster_recall",
    "cluster_f1",
)
#: what the metrics read of a linked record: its cluster, its truth, its agency and
#: the staged identifiers the hard cases and the resolvable truth compare
CELL_KEYS: tuple[str, ...] = (
    "person_key",
    "person_id",
    "agency",
    "last_name",
    "dob",
    "ssn",
    "ssn_last4",
)
#: staged identifier columns the cells take
STAGED_COLUMNS: tuple[str, ...] = ("record_key", "last_name", "dob", "ssn", "ssn_last4")


def run(linkage: Path, staged: Path, truth: Path, report: Path, plots: Path) -> None:
    """Read the linkage zone, staged identifiers and truth; write the metrics and PR curve."""
    records = io.read_parquet(truth / "records.parquet")
    identity_map = partfiles.rows(linkage, "identity_map").scan()  # whole, or months as parts
    cells, truth_cells = _file_cells(linkage, staged, records, identity_map)
    metrics = evaluate_cells(
        cells,
        io.read_parquet(linkage / "family.parquet").collect(),
        _parent_rows(records),
        io.read_parquet(truth / "persons.parquet").collect(),
    )
    del cells
    pairs = partfiles.rows(linkage, "pairs").scan().collect()
    apart = linkage / "apart.parquet"
    curve = pr_curve_of(
        identity_map, pairs, truth_cells, pl.read_parquet(apart) if apart.exists() else None
    )
    io.write_json(metrics, report)
    plots.parent.mkdir(parents=True, exist_ok=True)
    with io.atomic_file(plots) as tmp:
        curve.write_csv(tmp)


# --------------------------------------------------------------------------- reading


def _scan_staged(staged: Path) -> pl.LazyFrame:
    """The staged identifier columns of every agency (each delivery), in file order."""
    folders = sorted(p.parent for p in staged.glob("*/identifiers.parquet"))
    files = [f for folder in folders for f in delivered(folder, "identifiers.parquet")]
    if not files:
        schema = dict.fromkeys(STAGED_COLUMNS, pl.String) | {"dob": pl.Date}
        return pl.LazyFrame(schema=schema)
    return pl.concat([io.read_parquet(f).select(STAGED_COLUMNS) for f in files])


def _people(identity_map: pl.LazyFrame) -> pl.LazyFrame:
    """The identity map's rows of the person each record is about (not its parents)."""
    return identity_map.filter(pl.col("role").is_null())


def _parent_rows(records: pl.LazyFrame) -> pl.DataFrame:
    """The truth rows naming a parent (birth records), all :func:`family_metrics` reads."""
    named = [c for c in ("mother_id", "father_id") if c in records.collect_schema()]
    if not named:
        return records.select("record_key").head(0).collect()
    has_parent = pl.any_horizontal(pl.col(named).is_not_null())
    return records.select("record_key", *named).filter(has_parent).collect()


def _file_cells(
    linkage: Path, staged: Path, records: pl.LazyFrame, identity_map: pl.LazyFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(:func:`record_cells` of the stage's files, :func:`identity_truth` of them):
    read side by side where they can be (:func:`_side_by_side_cells`), else joined on
    ``record_key``."""
    crosswalk = partfiles.rows(linkage, "crosswalk").scan().select("record_key", "person_key")
    identifiers = _scan_staged(staged)
    people = _people(identity_map).select("record_key", "identity_id")
    cells = _side_by_side_cells(crosswalk, identifiers, people, records)
    if cells is not None:
        return cells, _sum_cells(cells, ["identity_id", "person_id"])
    cells = record_cells(crosswalk, records, identifiers)
    return cells, identity_truth(identity_map, records)


#: 64-bit hashes of ``record_key`` (polars' ``hash`` with two seeds): the join key and
#: the check of :func:`_side_by_side_cells`
KEY_HASH = pl.col("record_key").hash(0x5EED)
CHECK_HASH = pl.col("record_key").hash(0xC0FFEE)


#: truth records per pass of :func:`_side_by_side_cells`: a pass holds its share of the
#: truth as the join's hash table and counts its own persons' cells, so memory follows
#: this, not the world (100k persons: 7M records, one pass; 1M: 74M, two). At 1M, two
#: passes took 271 s against eight passes' 335 s, at the same peak (4.1 GiB), since
#: each pass reads every linked record again
RECORDS_PER_PASS = 40_000_000


def _side_by_side_cells(
    crosswalk: pl.LazyFrame,
    identifiers: pl.LazyFrame,
    people: pl.LazyFrame,
    records: pl.LazyFrame,
    join_key: pl.Expr = KEY_HASH,
    per_pass: int = RECORDS_PER_PASS,
) -> pl.DataFrame | None:
    """:func:`record_cells` by ``identity_id`` too, streamed; None where the stream
    cannot give them.

    ``link`` writes the crosswalk and the identity map's person rows (``people``) one
    per staged record, in record-key order, as the staged ``identifiers`` are: so the
    three are read side by side, not joined, once their keys are checked alike row for
    row (else None). The truth is joined on a hash of ``record_key`` (``join_key``):
    millions of string keys cost seconds and a gigabyte to join, an integer a fraction.
    A second hash rides along, and every joined row is checked: if two different keys
    met in the first hash, None (a chance of about one in 2^128 per pair of keys that
    then met in both). Records without truth are not counted, as in the join on the
    key itself.

    Past ``per_pass`` truth records, the persons are split into passes (by a hash of
    ``person_id``); each pass reads every linked record and keeps its persons'.
    """
    if not _aligned(crosswalk, identifiers, people):
        return None
    linked = pl.concat(
        [crosswalk, identifiers.drop("record_key"), people.drop("record_key")], how="horizontal"
    ).with_columns(_key=join_key, _linked_check=CHECK_HASH)
    truth = records.select(
        _key=join_key,
        _check=CHECK_HASH,
        agency=pl.col("agency").cast(pl.Categorical),
        person_id=pl.col("person_id"),
    )
    passes = max(1, -(-records.select(pl.len()).collect().item() // per_pass))
    share = pl.col("person_id").hash(0x5A17) % passes
    cells = pl.concat([_truth_pass(linked, truth.filter(share == p)) for p in range(passes)])
    if cells.get_column("_met").sum():
        return None
    return cells.drop("_met").with_columns(pl.col("agency").cast(pl.String))


def _truth_pass(linked: pl.LazyFrame, truth: pl.LazyFrame) -> pl.DataFrame:
    """Cells of the linked records with ``truth`` (``_met``: rows whose check failed)."""
    # the truth is held as the hash table: narrow, where the linked side streams its
    # string columns by
    joined = linked.join(truth, on="_key", build_side="force_right")
    met = (pl.col("_check") != pl.col("_linked_check")).sum().alias("_met")
    counted = joined.group_by(*CELL_KEYS, "identity_id").agg(
        pl.len().cast(pl.Int64).alias("len"), met
    )
    return counted.collect(engine="streaming")


def _aligned(*frames: pl.LazyFrame) -> bool:
    """Whether the frames hold the same non-null ``record_key`` column, row for row."""
    heights = pl.collect_all([f.select(pl.len()) for f in frames])
    if len({h.item() for h in heights}) > 1:
        return False
    keys = [f.select(pl.col("record_key").alias(f"key{i}")) for i, f in enumerate(frames)]
    same = pl.all_horizontal(pl.col(f"key{i}") == pl.col("key0") for i in range(1, len(keys)))
    stitched = pl.concat(keys, how="horizontal")
    return bool(stitched.select(same.fill_null(False).all()).collect(engine="streaming").item())


def _with_truth(linked: pl.LazyFrame, records: pl.LazyFrame) -> pl.LazyFrame:
    """Linked records with their true person and agency (records without truth drop)."""
    return linked.join(records.select("record_key", "agency", "person_id"), on="record_key")


def _count(frame: pl.LazyFrame, keys: list[str]) -> pl.DataFrame:
    """Rows counted per distinct ``keys`` (``len``), streamed."""
    counted = frame.group_by(keys).agg(pl.len().cast(pl.Int64).alias("len"))
    return counted.collect(engine="streaming")


def _sum_cells(cells: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Counted cells summed to coarser ``keys``."""
    return cells.group_by(keys).agg(pl.col("len").sum())


def record_cells(
    crosswalk: pl.LazyFrame, records: pl.LazyFrame, identifiers: pl.LazyFrame
) -> pl.DataFrame:
    """Linked records counted per cell of :data:`CELL_KEYS` (``len``).

    ``crosswalk``: ``record_key``, ``person_key``; ``records``: the truth's
    ``record_key``, ``agency``, ``person_id``; ``identifiers``: staged
    :data:`STAGED_COLUMNS` (a record missing there has null identifiers). Records
    without truth are not counted.
    """
    linked = _with_truth(crosswalk.select("record_key", "person_key"), records)
    staged = identifiers.select(STAGED_COLUMNS)
    return _count(linked.join(staged, on="record_key", how="left"), list(CELL_KEYS))


def identity_truth(identity_map: pl.LazyFrame, records: pl.LazyFrame) -> pl.DataFrame:
    """Records counted per (``identity_id``, ``person_id``) cell (``len``): the PR
    curve's truth, as its clusters are unions of identities."""
    people = _people(identity_map).select("record_key", "identity_id")
    truth = people.join(records.select("record_key", "person_id"), on="record_key")
    return _count(truth, ["identity_id", "person_id"])


# --------------------------------------------------------------------------- counting


def _size(weight: str | None) -> pl.Expr:
    """Records in a group: its rows, or the sum of ``weight`` when rows are counted cells."""
    return pl.len() if weight is None else pl.col(weight).sum()


def _pairs(frame: pl.DataFrame, keys: list[str], weight: str | None = None) -> int:
    """Number of record pairs sharing ``keys`` (sum of n(n-1)/2 over groups); with
    ``weight``, each row stands for that many records (pre-counted cells)."""
    if frame.is_empty():
        return 0
    n = frame.group_by(keys).agg(_size(weight).alias("n")).get_column("n").cast(pl.Int64)
    return int((n * (n - 1) // 2).sum())


def _prf(tp: int, predicted: int, actual: int) -> dict[str, float]:
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6)}


def pairwise(
    joined: pl.DataFrame, cluster: str = "person_key", weight: str | None = None
) -> dict[str, float]:
    """Pairwise precision/recall/F1 of ``cluster`` against ``person_id`` (``weight``: a
    column of record counts when rows are pre-counted cells, see :func:`_pairs`)."""
    tp = _pairs(joined, [cluster, "person_id"], weight)
    true_pairs = _pairs(joined, ["person_id"], weight)
    predicted = _pairs(joined, [cluster], weight)
    return _prf(tp, predicted, true_pairs) | {
        "true_pairs": true_pairs,
        "predicted_pairs": predicted,
    }


def cluster_metrics(
    joined: pl.DataFrame, cluster: str = "person_key", weight: str | None = None
) -> dict[str, float]:
    """A predicted cluster is right when it holds exactly one true person's records
    (``weight``: a column of record counts when rows are pre-counted cells)."""
    exact, predicted, actual = _exact_clusters(joined, cluster, "person_id", weight)
    return _prf(exact, predicted, actual) | {
        "predicted_clusters": predicted,
        "true_persons": actual,
    }


def _exact_clusters(
    joined: pl.DataFrame, cluster: str, truth: str, weight: str | None = None
) -> tuple[int, int, int]:
    """(clusters equal to a truth cluster, clusters, truth clusters): a cluster and a
    truth cluster are equal when their intersection is the whole of both."""
    size = _size(weight)
    sizes = joined.group_by(cluster, truth).agg(size.alias("len"))
    n_key = sizes.group_by(cluster).agg(pl.col("len").sum().alias("n_key"))
    n_pid = sizes.group_by(truth).agg(pl.col("len").sum().alias("n_pid"))
    exact = (
        sizes.join(n_key, on=cluster)
        .join(n_pid, on=truth)
        .filter((pl.col("len") == pl.col("n_key")) & (pl.col("len") == pl.col("n_pid")))
        .height
    )
    return exact, n_key.height, n_pid.height


def bcubed(
    joined: pl.DataFrame, cluster: str = "person_key", weight: str | None = None
) -> dict[str, float]:
    """B-cubed precision and recall: per record, the share of its predicted cluster that
    is its own person, and the share of its person that is in its cluster, averaged
    over records. Where the exact-cluster measure counts a person with one stray record
    as wholly wrong, this counts the stray record (and its share of the others' view).

    With ``n`` records of one person in one cluster, the cell contributes ``n * n / size``,
    so no record pair is formed (``weight``: a column of record counts when rows are
    pre-counted cells)."""
    if joined.is_empty():
        return _prf(0, 0, 0)
    cells = joined.group_by(cluster, "person_id").agg(_size(weight).alias("n"))
    cells = cells.with_columns(
        pl.col("n").sum().over(cluster).alias("in_cluster"),
        pl.col("n").sum().over("person_id").alias("in_person"),
    )
    total = cells.get_column("n").sum()
    square = pl.col("n").cast(pl.Float64) ** 2
    precision, recall = cells.select(
        ((square / pl.col("in_cluster")).sum() / total).alias("precision"),
        ((square / pl.col("in_person")).sum() / total).alias("recall"),
    ).row(0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 6), "recall": round(recall, 6), "f1": round(f1, 6)}


# --------------------------------------------------------------------------- resolvable truth


def strong_identifiers(frame: pl.DataFrame) -> pl.DataFrame:
    """``ssn`` and ``ssn4`` as the linkage compares them (``standardise``): the SSN when
    it could have been issued (:func:`~enclave.linkage.standardise.valid_ssn`), and its
    last four digits, else the partial SSN's. A last four that is not four digits is
    null: an empty or cut value shares nothing with another record.

    The regular expressions run over distinct values only: millions of records carry a
    few hundred thousand numbers."""
    ssn = valid_ssn(pl.col("ssn"))
    ssn4 = pl.coalesce(ssn.str.slice(5, 4), pl.col("ssn_last4").str.replace_all(r"\D", ""))
    values = (
        frame.select("ssn", "ssn_last4")
        .unique()
        .with_columns(std_ssn=ssn, ssn4=pl.when(ssn4.str.len_chars() == 4).then(ssn4))
    )
    return (
        frame.join(values, on=["ssn", "ssn_last4"], how="left", nulls_equal=True)
        .drop("ssn", "ssn_last4")
        .rename({"std_ssn": "ssn"})
    )


def resolvable_components(frame: pl.DataFrame, joined_by: str | None = None) -> pl.DataFrame:
    """Each record's resolvable component: ``record_key``, ``person_id``, ``component``.

    ``frame`` holds one row per record: ``record_key``, ``person_id`` (the truth),
    ``ssn``, ``ssn_last4`` and ``dob`` as staged. Two records of one person are directly
    resolvable when they share the valid SSN, the last four digits (when a side lacks
    the full SSN: two different SSNs ending alike are two numbers) or the date of
    birth; a component is what a chain of such pairs connects. A record sharing none of
    them with the person's others (a school record beside SSN-only wage records) is a
    component of its own: only its name could join it.

    With ``joined_by`` (a predicted cluster column), records of one person in one
    cluster are connected too: the *coarsened* truth, against which a right join made on
    weaker evidence is neither a miss nor a hit. No join across persons is added.

    ``component`` is the frame position of the component's first record.

    >>> f = pl.DataFrame({"record_key": ["a", "b", "c"], "person_id": [1, 1, 1],
    ...     "ssn": ["212345678", None, None], "ssn_last4": [None, "5678", None],
    ...     "dob": [None, None, None]}, schema_overrides={"dob": pl.Date})
    >>> resolvable_components(f).get_column("component").to_list()
    [0, 0, 2]
    """
    cols = ["person_id", "ssn", "ssn_last4", "dob", *([joined_by] if joined_by else [])]
    labels = _components(strong_identifiers(frame.select(cols)), joined_by)
    return frame.select("record_key", "person_id").with_columns(component=labels)


def _components(strong: pl.DataFrame, joined_by: str | None = None) -> pl.Series:
    """Component label of each row of :func:`strong_identifiers` output.

    No record pair is formed (a person's records sharing one value can number
    thousands): each group sharing a value is a star onto its first record, which
    connects the same records as all its pairs."""
    nodes = strong.with_row_index("node")
    # a shared last four counts only where a record of the group lacks the full SSN;
    # every record of such a group then reaches that record, so the whole group joins
    last4 = nodes.filter(pl.col("ssn").is_null().any().over("person_id", "ssn4"))
    stars = [_star(nodes, "ssn"), _star(last4, "ssn4"), _star(nodes, "dob")]
    if joined_by:
        stars.append(_star(nodes, joined_by))
    edges = pl.concat(stars)
    labels = connected_components(
        nodes.height, edges.get_column("node").to_numpy(), edges.get_column("hub").to_numpy()
    )
    return pl.Series("component", labels, dtype=pl.Int64)


def _star(nodes: pl.DataFrame, key: str) -> pl.DataFrame:
    """Edges from each record with ``key`` to the first record of its person sharing it."""
    return (
        nodes.filter(pl.col(key).is_not_null())
        .select("node", hub=pl.col("node").min().over("person_id", key))
        .filter(pl.col("node") != pl.col("hub"))
    )


def resolvable_cluster_metrics(
    joined: pl.DataFrame, cluster: str = "person_key", weight: str | None = None
) -> dict:
    """Exact clusters against the coarsened resolvable truth (:func:`resolvable_components`):
    precision is the share of predicted clusters equal to a truth cluster, recall the
    share of truth clusters equal to a predicted cluster.

    A person whose records the prediction keeps whole counts as right here too; a person
    kept apart exactly where the records cannot decide is now right rather than split;
    a resolvable component split, or a cluster holding two persons, is wrong as before.
    The counts say how far the two truths differ: ``persons_split`` persons have more
    than one component, and the prediction joined ``components_joined`` components
    within a person on weaker evidence (right joins, neither rewarded nor penalised).

    Same as :func:`resolvable_components` per record, on counted cells (:func:`_cells`;
    ``weight``: a column of record counts when rows are pre-counted cells already).
    """
    cells = _cells(joined, cluster, weight)
    cells = cells.with_columns(
        plain=_components(cells), coarse=_components(cells, joined_by=cluster)
    )
    exact, predicted, actual = _exact_clusters(cells, cluster, "coarse", weight="len")
    per_person = cells.group_by("person_id").agg(pl.col("plain").n_unique().alias("n"))
    components = int(per_person.get_column("n").sum())
    return _prf(exact, predicted, actual) | {
        "exact_clusters": exact,
        "predicted_clusters": predicted,
        "truth_clusters": actual,
        "persons": per_person.height,
        "persons_split": int((per_person.get_column("n") > 1).sum()),
        "components": components,
        "components_joined": components - actual,
    }


def _cells(joined: pl.DataFrame, cluster: str, weight: str | None = None) -> pl.DataFrame:
    """Records counted per (person, SSN, last four, DOB, cluster), standardised.

    Records alike in all of these share a value, so they are resolvable together and
    one node stands for them all (7M records at 100k persons are ~220k cells). Records
    with none of the three share nothing, so each stays a cell of its own (``len`` 1).
    """
    keys = ["person_id", "ssn", "ssn_last4", "dob", cluster]
    cells = strong_identifiers(joined.group_by(keys).agg(_size(weight).alias("len")))
    bare = pl.all_horizontal(pl.col("ssn", "ssn4", "dob").is_null())
    one = pl.lit(1, dtype=cells.schema["len"])
    apart = cells.filter(bare).with_columns(len=pl.int_ranges("len")).explode("len")
    return pl.concat([cells.filter(~bare), apart.with_columns(len=one)])


def by_agency_pair(joined: pl.DataFrame, weight: str | None = None) -> dict[str, dict[str, float]]:
    """Pairwise metrics restricted to record pairs between two agencies (or within one),
    with the counts behind them (aging and child welfare share hardly a person: a
    precision of 0 there is one false pair, not a failed agency).

    ``weight``: a column of record counts when rows are pre-counted cells."""
    cells = joined.group_by("person_key", "person_id", "agency").agg(_size(weight).alias("len"))
    agencies = sorted(cells.get_column("agency").unique().to_list())
    tp, predicted, actual = (_agency_pairs(cells, keys, agencies) for keys in CROSS_KEYS)
    out = {}
    for i, a in enumerate(agencies):
        for j in range(i, len(agencies)):
            counts = int(tp[i, j]), int(predicted[i, j]), int(actual[i, j])
            out[f"{a}-{agencies[j]}"] = _prf(*counts) | {
                "true_pairs": counts[2],
                "predicted_pairs": counts[1],
            }
    return out


#: keys of the true positive, predicted and true pair counts
CROSS_KEYS = (["person_key", "person_id"], ["person_key"], ["person_id"])


def _agency_pairs(cells: pl.DataFrame, keys: list[str], agencies: list[str]) -> np.ndarray:
    """Record pairs sharing ``keys``, by agency: entry ``[a, b]`` counts the pairs of an
    ``agencies[a]`` record and an ``agencies[b]`` record, the diagonal those within one.

    With ``m[g, a]`` records of group ``g`` at agency ``a``, the pairs across two
    agencies are the sum over groups of ``m[g, a] * m[g, b]`` (``m.T @ m``), and within
    one ``m[g, a] * (m[g, a] - 1) / 2``: one table for every agency pair at once."""
    wide = cells.pivot(on="agency", index=keys, values="len", aggregate_function="sum")
    m = wide.select(pl.col(agencies).fill_null(0)).to_numpy().astype(np.int64)
    both = m.T @ m
    np.fill_diagonal(both, (np.diag(both) - m.sum(axis=0)) // 2)
    return both


# --------------------------------------------------------------------------- hard cases


def kept_apart(crosswalk_truth: pl.DataFrame, pairs: pl.DataFrame) -> dict[str, float]:
    """Share of person pairs (``a``, ``b``, both with records) never in one cluster.

    ``crosswalk_truth``: ``person_id``, ``person_key``, one row per record or per cell."""
    keys = crosswalk_truth.select("person_id", "person_key").unique()
    pairs = pairs.select("a", "b").with_row_index("pair")
    both = pairs.join(keys.select(a="person_id"), on="a", how="semi").join(
        keys.select(b="person_id"), on="b", how="semi"
    )
    if both.is_empty():
        return {"pairs": 0, "kept_apart": 1.0}
    a_keys = both.join(keys.rename({"person_id": "a"}), on="a")
    shared = a_keys.join(keys.rename({"person_id": "b"}), on=["b", "person_key"], how="semi")
    together = shared.get_column("pair").n_unique()
    return {"pairs": both.height, "kept_apart": round(1 - together / both.height, 6)}


def twin_pairs(persons: pl.DataFrame) -> pl.DataFrame:
    return persons.filter(
        pl.col("twin_id").is_not_null() & (pl.col("person_id") < pl.col("twin_id"))
    ).select(pl.col("person_id").alias("a"), pl.col("twin_id").alias("b"))


def junior_senior_pairs(persons: pl.DataFrame) -> pl.DataFrame:
    """A son with a suffix and his father when they share first and last name."""
    father = persons.select(
        pl.col("person_id").alias("b"),
        pl.col("first_name").alias("f"),
        pl.col("last_name").alias("l"),
    )
    return (
        persons.filter(pl.col("suffix").is_not_null() & pl.col("father_id").is_not_null())
        .join(father, left_on="father_id", right_on="b")
        .filter((pl.col("first_name") == pl.col("f")) & (pl.col("last_name") == pl.col("l")))
        .select(pl.col("person_id").alias("a"), pl.col("father_id").alias("b"))
    )


def surname_change_recall(joined: pl.DataFrame, weight: str | None = None) -> dict[str, float]:
    """Pairs of one person's records with different staged surnames: share linked
    (``weight``: a column of record counts when rows are pre-counted cells)."""
    sub = joined.filter(pl.col("last_name").is_not_null())
    sub = sub.with_columns(
        last=pl.col("last_name").str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    )
    actual = _pairs(sub, ["person_id"], weight) - _pairs(sub, ["person_id", "last"], weight)
    found = _pairs(sub, ["person_id", "person_key"], weight) - _pairs(
        sub, ["person_id", "person_key", "last"], weight
    )
    return {"pairs": actual, "recall": round(found / actual, 6) if actual else 1.0}


def ides_without_dob(joined: pl.DataFrame, weight: str | None = None) -> dict[str, float]:
    """IDES records without DOB whose person has other agencies' records: share linked
    to at least one of them (``weight``: a column of record counts when rows are
    pre-counted cells)."""
    other = (
        joined.filter(pl.col("agency") != "ides")
        .select("person_id", "person_key")
        .unique()
        .with_columns(linked=pl.lit(True))
    )
    target = joined.filter((pl.col("agency") == "ides") & pl.col("dob").is_null()).join(
        other.select("person_id").unique(), on="person_id", how="semi"
    )
    if target.is_empty():
        return {"records": 0, "linked": 1.0}
    checked = target.with_columns(_n=pl.lit(1) if weight is None else pl.col(weight)).join(
        other, on=["person_id", "person_key"], how="left"
    )
    n = pl.col("_n")
    records, linked = checked.select(n.sum(), n.filter(pl.col("linked")).sum().alias("in")).row(0)
    return {"records": records, "linked": round(linked / records, 6)}


def family_metrics(
    family: pl.DataFrame, records: pl.DataFrame, joined: pl.DataFrame, weight: str | None = None
) -> dict[str, dict[str, float]]:
    """Family links against the parents each birth record names (by role); ``records``:
    the truth's ``record_key``, ``mother_id``, ``father_id`` (rows naming neither are
    not read), ``joined``: records (or cells, with ``weight``) with their clusters."""
    if "mother_id" not in records.columns:
        return {}
    # the true person behind a parent person key: the person most of its records belong to
    owner = (
        joined.group_by("person_key", "person_id")
        .agg(_size(weight).alias("len"))
        .sort(["person_key", "len", "person_id"], descending=[False, True, False])
        .group_by("person_key", maintain_order=True)
        .first()
        .select(
            pl.col("person_key").alias("parent_person_key"), pl.col("person_id").alias("linked_id")
        )
    )
    linkable = joined.select("person_id").unique()
    out = {}
    for role, col in (("MOTHER", "mother_id"), ("FATHER", "father_id")):
        named = records.filter(pl.col(col).is_not_null()).select(
            "record_key", pl.col(col).alias("true_id")
        )
        predicted = family.filter(pl.col("role") == role).join(
            owner, on="parent_person_key", how="left"
        )
        checked = predicted.join(named, on="record_key", how="left")
        correct = checked.filter(pl.col("linked_id") == pl.col("true_id")).height
        reachable = named.join(linkable, left_on="true_id", right_on="person_id").height
        out[role.lower()] = _prf(correct, predicted.height, reachable) | {
            "predicted": predicted.height,
            "named_and_linkable": reachable,
        }
    return out


# --------------------------------------------------------------------------- report


def evaluate(
    crosswalk: pl.DataFrame,
    family: pl.DataFrame,
    records: pl.DataFrame,
    persons: pl.DataFrame,
    identifiers: pl.DataFrame,
    surnames: pl.DataFrame | None = None,
) -> dict:
    """All linkage metrics as one JSON-ready mapping (counts and rates only).

    ``identifiers``: the staged :data:`STAGED_COLUMNS`; ``surnames`` is not read."""
    cells = record_cells(crosswalk.lazy(), records.lazy(), identifiers.lazy())
    return evaluate_cells(cells, family, records, persons)


def evaluate_cells(
    cells: pl.DataFrame, family: pl.DataFrame, records: pl.DataFrame, persons: pl.DataFrame
) -> dict:
    """:func:`evaluate` of linked records already counted (:func:`record_cells`);
    ``records``: the truth rows naming parents (or all of them)."""
    return {
        "records": int(cells.get_column("len").sum()),
        "pairwise": pairwise(cells, weight="len"),
        "cluster": cluster_metrics(cells, weight="len"),
        "bcubed": bcubed(cells, weight="len"),
        "resolvable": resolvable_cluster_metrics(cells, weight="len"),
        "by_agency_pair": by_agency_pair(cells, weight="len"),
        "hard_cases": {
            "twins": kept_apart(cells, twin_pairs(persons)),
            "junior_senior": kept_apart(cells, junior_senior_pairs(persons)),
            "surname_change": surname_change_recall(cells, weight="len"),
            "ides_without_dob": ides_without_dob(cells, weight="len"),
        },
        "family": family_metrics(family, records, cells, weight="len"),
    }


def pr_curve(
    identity_map: pl.DataFrame,
    pairs: pl.DataFrame,
    records: pl.DataFrame,
    apart: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Pairwise precision and recall when clustering at each of :data:`PR_THRESHOLDS`
    (with the link's cannot-links ``apart``, if any)."""
    truth = identity_truth(identity_map.lazy(), records.lazy())
    return pr_curve_of(identity_map.lazy(), pairs, truth, apart)


def pr_curve_of(
    identity_map: pl.LazyFrame,
    pairs: pl.DataFrame,
    truth: pl.DataFrame,
    apart: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """:func:`pr_curve` with the records already counted (:func:`identity_truth`)."""
    n, attrs, pairs = _curve_graph(identity_map, pairs)
    prepared = prepare_contested(pairs, attrs)  # built once for every threshold
    cells = _CurveTruth.of(truth)
    rows = []
    for t in PR_THRESHOLDS:
        labels, _ = cluster_at(n, pairs, attrs, t, prepared, apart)
        pair_counts, cluster_counts = cells.counts(labels)
        clusters = _prf(*cluster_counts)
        rows.append(
            {"threshold": t, **_prf(*pair_counts)}
            | {f"cluster_{m}": clusters[m] for m in ("precision", "recall", "f1")}
        )
    return pl.DataFrame(rows).select(PR_COLUMNS)


def _curve_graph(
    identity_map: pl.LazyFrame, pairs: pl.DataFrame
) -> tuple[int, pl.DataFrame, pl.DataFrame]:
    """(identities, their guard attributes, the scored pairs between person identities)."""
    guards = [
        c
        for c in ("birth_year", "born_by", "ssn_head", "ssn_tail", "sex_code")
        if c in identity_map.collect_schema()
    ]
    parents, attrs, top = pl.collect_all(
        [
            identity_map.filter(pl.col("role").is_not_null()).select("identity_id"),
            # one row per identity (its records carry its attributes alike)
            identity_map.select("identity_id", *guards).filter(
                pl.col("identity_id").is_first_distinct()
            ),
            identity_map.select(pl.col("identity_id").max()),
        ]
    )
    parent_ids = parents.get_column("identity_id").implode()
    pairs = pairs.filter(~pl.col("id_l").is_in(parent_ids) & ~pl.col("id_r").is_in(parent_ids))
    return int(top.item() or 0) + 1, attrs, pairs


#: what a bridge guard (:func:`~enclave.linkage.cluster.drop_ambiguous_bridges`) fixes
#: from a record's strongest link and compares its other links with
GUARDED: tuple[str, ...] = ("birth_year", "ssn_head", "sex_code")


def prepare_contested(pairs: pl.DataFrame, attrs: pl.DataFrame) -> Prepared:
    """:func:`~enclave.linkage.cluster.prepare` for :func:`~enclave.linkage.cluster.cluster_at`
    at many thresholds, with the bridge frame of the *contested* records only: those
    whose links disagree on a guarded attribute (:data:`GUARDED`).

    Each guard works record by record and drops a link only where it differs from the
    record's strongest link, so a record whose links agree drops nothing at any
    threshold; at 100k persons one record in ten is contested, and the bridge frame is
    built and filtered per threshold for those alone. The bridge frame of a subset of
    links is the whole frame filtered, in the same order
    (:func:`~enclave.linkage.cluster.bridge_frame`), so the guards see each contested
    record's links as they would in the whole frame.
    """
    plausible = _plausible(pairs, attrs)  # as prepare drops the implausible links
    contested = _contested(plausible, attrs).implode()
    incident = plausible.filter(pl.col("id_l").is_in(contested) | pl.col("id_r").is_in(contested))
    # a filter keeps the frame's order, which the guards read (strongest link first)
    both = bridge_frame(incident, attrs).filter(pl.col("v").is_in(contested))
    return Prepared(plausible, both)


def _contested(edges: pl.DataFrame, attrs: pl.DataFrame) -> pl.Series:
    """The records (``identity_id``) whose links reach records that differ in a
    :data:`GUARDED` attribute."""
    guarded = [c for c in GUARDED if c in attrs.columns]
    links = edges.lazy()
    ends = pl.concat([links.select(v="id_l", w="id_r"), links.select(v="id_r", w="id_l")])
    seen = ends.join(
        attrs.lazy().select(pl.col("identity_id").alias("w"), *guarded), on="w", how="left"
    )
    # two values differ where the least and the greatest do (nulls aside)
    differ = [(pl.col(c).min() != pl.col(c).max()).fill_null(False) for c in guarded]
    records = seen.group_by("v").agg(pl.any_horizontal(differ).alias("contested"))
    return records.filter("contested").select("v").collect(engine="streaming").get_column("v")


@dataclass(frozen=True)
class _CurveTruth:
    """The curve's truth (:func:`identity_truth`) as arrays, for the pair and cluster
    counts at each threshold without a frame per threshold: per cell its identity,
    person (a dense code) and records; per person code its records."""

    identity: np.ndarray
    person: np.ndarray
    records: np.ndarray
    person_records: np.ndarray

    @classmethod
    def of(cls, truth: pl.DataFrame) -> _CurveTruth:
        # codes 1.. for persons, 0 for a null person_id (grouped as one, as polars does)
        person = truth.get_column("person_id").rank("dense").fill_null(0).to_numpy()
        person = person.astype(np.int64)
        records = truth.get_column("len").to_numpy().astype(np.int64)
        person_records = np.zeros(int(person.max(initial=0)) + 1, dtype=np.int64)
        np.add.at(person_records, person, records)
        identity = truth.get_column("identity_id").to_numpy().astype(np.int64)
        return cls(identity, person, records, person_records)

    def counts(self, labels: np.ndarray) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """((true positive, predicted, true pairs), (exact, predicted, true clusters)) of
        clustering each identity ``i`` into ``labels[i]``: what :func:`pairwise` and
        :func:`cluster_metrics` count from the cells labelled.

        Nearly every cluster holds one person, and is then a single (cluster, person)
        cell: only the clusters holding several are split into cells, so no sort of
        every cell per threshold."""
        cluster = labels[self.identity]
        in_cluster = _sums(cluster, self.records, labels.size)
        low = np.full(labels.size, np.iinfo(np.int64).max)
        high = np.full(labels.size, -1)
        np.minimum.at(low, cluster, self.person)
        np.maximum.at(high, cluster, self.person)
        one = (in_cluster > 0) & (low == high)
        mixed = ~one[cluster]
        _, cell_of = np.unique(
            cluster[mixed] * self.person_records.size + self.person[mixed], return_inverse=True
        )
        in_mixed = _sums(cell_of, self.records[mixed], int(cell_of.max(initial=-1)) + 1)
        # a cell of a mixed cluster is never the whole cluster, nor one of no person
        # (code 0: :func:`_exact_clusters` joins on the person, and a null joins none)
        whole = one & (low > 0) & (in_cluster == self.person_records[np.where(one, low, 0)])
        pairs = (
            _pair_sum(in_cluster[one]) + _pair_sum(in_mixed),
            _pair_sum(in_cluster),
            _pair_sum(self.person_records),
        )
        clusters = int(np.count_nonzero(in_cluster))
        persons = int(np.count_nonzero(self.person_records))
        return pairs, (int(np.count_nonzero(whole)), clusters, persons)


def _sums(group: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    out = np.zeros(groups, dtype=np.int64)
    np.add.at(out, group, values)
    return out


def _pair_sum(sizes: np.ndarray) -> int:
    """Pairs within groups of these sizes."""
    return int((sizes * (sizes - 1) // 2).sum())
