"""Linkage accuracy against the synthetic world's truth (a separate stage, so that
``link`` never reads the truth).

Pairwise metrics never materialise record pairs: the pairs inside a set of ``n``
records number ``n(n-1)/2``, so true positives are counted over the intersections
of predicted clusters and true persons, predicted pairs over clusters and true pairs
over persons. Only counts and rates are reported, never a row value.

Exact clusters are also measured against the *resolvable truth*
(:func:`resolvable_components`): each person's records split where nothing but a name
joins them, since a join by name alone is not made (a wrong person in someone's history
is worse than a split).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from enclave import io
from enclave.linkage.cluster import cluster_at, connected_components, prepare
from enclave.linkage.standardise import valid_ssn

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


def run(linkage: Path, staged: Path, truth: Path, report: Path, plots: Path) -> None:
    """Read the linkage zone, staged identifiers and truth; write the metrics and PR curve."""
    crosswalk = io.read_parquet(linkage / "crosswalk.parquet").collect()
    family = io.read_parquet(linkage / "family.parquet").collect()
    records = io.read_parquet(truth / "records.parquet").collect()
    persons = io.read_parquet(truth / "persons.parquet").collect()
    surnames = _read_optional(truth / "surnames.parquet")
    # identifiers passed, not kept: their millions of rows are freed before the PR curve
    metrics = evaluate(crosswalk, family, records, persons, _read_staged(staged), surnames)
    curve = pr_curve(
        io.read_parquet(linkage / "identity_map.parquet").collect(),
        io.read_parquet(linkage / "pairs.parquet").collect(),
        records,
    )
    io.write_json(metrics, report)
    plots.parent.mkdir(parents=True, exist_ok=True)
    with io.atomic_file(plots) as tmp:
        curve.write_csv(tmp)


def _read_optional(path: Path) -> pl.DataFrame | None:
    return io.read_parquet(path).collect() if path.exists() else None


def _read_staged(staged: Path) -> pl.DataFrame:
    """Staged identifier columns the hard cases (agency, surname, DOB) and the resolvable
    truth (SSN, last four, DOB) need."""
    files = sorted(staged.glob("*/identifiers.parquet"))
    cols = ["record_key", "agency", "last_name", "dob", "ssn", "ssn_last4"]
    if not files:
        return pl.DataFrame(schema=dict.fromkeys(cols, pl.String) | {"dob": pl.Date})
    return pl.concat([pl.read_parquet(f, columns=cols) for f in files])


# --------------------------------------------------------------------------- counting


def _pairs(frame: pl.DataFrame, keys: list[str], weight: str | None = None) -> int:
    """Number of record pairs sharing ``keys`` (sum of n(n-1)/2 over groups); with
    ``weight``, each row stands for that many records (pre-counted cells)."""
    if frame.is_empty():
        return 0
    size = pl.len() if weight is None else pl.col(weight).sum()
    n = frame.group_by(keys).agg(size.alias("n")).get_column("n").cast(pl.Int64)
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
    size = pl.len() if weight is None else pl.col(weight).sum()
    sizes = joined.group_by(cluster, truth).agg(size.alias("len"))
    n_key = joined.group_by(cluster).agg(size.alias("n_key"))
    n_pid = joined.group_by(truth).agg(size.alias("n_pid"))
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
    size = pl.len() if weight is None else pl.col(weight).sum()
    cells = joined.group_by(cluster, "person_id").agg(size.alias("n"))
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


def resolvable_cluster_metrics(joined: pl.DataFrame, cluster: str = "person_key") -> dict:
    """Exact clusters against the coarsened resolvable truth (:func:`resolvable_components`):
    precision is the share of predicted clusters equal to a truth cluster, recall the
    share of truth clusters equal to a predicted cluster.

    A person whose records the prediction keeps whole counts as right here too; a person
    kept apart exactly where the records cannot decide is now right rather than split;
    a resolvable component split, or a cluster holding two persons, is wrong as before.
    The counts say how far the two truths differ: ``persons_split`` persons have more
    than one component, and the prediction joined ``components_joined`` components
    within a person on weaker evidence (right joins, neither rewarded nor penalised).

    Same as :func:`resolvable_components` per record, on counted cells (:func:`_cells`).
    """
    cells = _cells(joined, cluster)
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


def _cells(joined: pl.DataFrame, cluster: str) -> pl.DataFrame:
    """Records counted per (person, SSN, last four, DOB, cluster), standardised.

    Records alike in all of these share a value, so they are resolvable together and
    one node stands for them all (7M records at 100k persons are ~220k cells). Records
    with none of the three share nothing, so each stays a cell of its own (``len`` 1).
    """
    keys = ["person_id", "ssn", "ssn_last4", "dob", cluster]
    cells = strong_identifiers(joined.group_by(keys).len())
    bare = pl.all_horizontal(pl.col("ssn", "ssn4", "dob").is_null())
    one = pl.lit(1, dtype=cells.schema["len"])
    apart = cells.filter(bare).with_columns(len=pl.int_ranges("len")).explode("len")
    return pl.concat([cells.filter(~bare), apart.with_columns(len=one)])


def by_agency_pair(joined: pl.DataFrame) -> dict[str, dict[str, float]]:
    """Pairwise metrics restricted to record pairs between two agencies (or within one)."""
    out = {}
    # records counted once per (cluster, person, agency) cell: every agency pair below
    # then works on the cells, far fewer than the records
    cells = joined.group_by("person_key", "person_id", "agency").len()
    agencies = sorted(cells.get_column("agency").unique().to_list())
    for i, a in enumerate(agencies):
        for b in agencies[i:]:
            out[f"{a}-{b}"] = _cross(cells, a, b)
    return out


def _cross(cells: pl.DataFrame, a: str, b: str) -> dict[str, float]:
    """Pairwise metrics of the record pairs between agencies ``a`` and ``b``, with the
    counts behind them (aging and child welfare share hardly a person: a precision of
    0 there is one false pair, not a failed agency)."""
    if a == b:
        sub = cells.filter(pl.col("agency") == a)
        counts = [_pairs(sub, keys, "len") for keys in CROSS_KEYS]
    else:
        counts = [_cross_pairs(cells, a, b, keys) for keys in CROSS_KEYS]
    tp, predicted, actual = counts
    return _prf(tp, predicted, actual) | {"true_pairs": actual, "predicted_pairs": predicted}


#: keys of the true positive, predicted and true pair counts
CROSS_KEYS = (["person_key", "person_id"], ["person_key"], ["person_id"])


def _cross_pairs(cells: pl.DataFrame, a: str, b: str, keys: list[str]) -> int:
    """Pairs of an ``a`` record and a ``b`` record sharing ``keys``."""
    counts = (
        cells.filter(pl.col("agency").is_in([a, b]))
        .group_by([*keys, "agency"])
        .agg(pl.col("len").sum())
        .pivot(on="agency", index=keys, values="len")
    )
    if a not in counts.columns or b not in counts.columns:
        return 0
    return int((counts.get_column(a).fill_null(0) * counts.get_column(b).fill_null(0)).sum())


# --------------------------------------------------------------------------- hard cases


def kept_apart(crosswalk_truth: pl.DataFrame, pairs: pl.DataFrame) -> dict[str, float]:
    """Share of person pairs (``a``, ``b``, both with records) never in one cluster."""
    keys = crosswalk_truth.select("person_id", "person_key").unique()
    both = pairs.join(keys.rename({"person_id": "a"}).group_by("a").agg("person_key"), on="a").join(
        keys.rename({"person_id": "b"}).group_by("b").agg(pl.col("person_key").alias("kb")), on="b"
    )
    if both.is_empty():
        return {"pairs": 0, "kept_apart": 1.0}
    shared = both.select(
        pl.col("person_key").list.set_intersection("kb").list.len().gt(0).alias("shared")
    ).get_column("shared")
    return {"pairs": both.height, "kept_apart": round(1 - shared.mean(), 6)}


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


def surname_change_recall(joined: pl.DataFrame) -> dict[str, float]:
    """Pairs of one person's records with different staged surnames: share linked."""
    sub = joined.filter(pl.col("last_name").is_not_null())
    sub = sub.with_columns(
        last=pl.col("last_name").str.to_uppercase().str.replace_all(r"[^A-Z]", "")
    )
    actual = _pairs(sub, ["person_id"]) - _pairs(sub, ["person_id", "last"])
    found = _pairs(sub, ["person_id", "person_key"]) - _pairs(
        sub, ["person_id", "person_key", "last"]
    )
    return {"pairs": actual, "recall": round(found / actual, 6) if actual else 1.0}


def ides_without_dob(joined: pl.DataFrame) -> dict[str, float]:
    """IDES records without DOB whose person has other agencies' records: share linked
    to at least one of them."""
    other = (
        joined.filter(pl.col("agency") != "ides")
        .group_by("person_id", "person_key")
        .len()
        .rename({"len": "n_other"})
    )
    has_other = joined.filter(pl.col("agency") != "ides").select("person_id").unique()
    target = joined.filter((pl.col("agency") == "ides") & pl.col("dob").is_null()).join(
        has_other, on="person_id"
    )
    if target.is_empty():
        return {"records": 0, "linked": 1.0}
    linked = target.join(other, on=["person_id", "person_key"], how="left").get_column("n_other")
    return {"records": target.height, "linked": round(linked.is_not_null().mean(), 6)}


def family_metrics(
    family: pl.DataFrame, records: pl.DataFrame, joined: pl.DataFrame
) -> dict[str, dict[str, float]]:
    """Family links against the parents each birth record names (by role)."""
    if "mother_id" not in records.columns:
        return {}
    # the true person behind a parent person key: the person most of its records belong to
    owner = (
        joined.group_by("person_key", "person_id")
        .len()
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
    """All linkage metrics as one JSON-ready mapping (counts and rates only)."""
    joined = (
        crosswalk.select("record_key", "person_key")
        .join(records.select("record_key", "agency", "person_id"), on="record_key")
        .join(
            identifiers.select("record_key", "last_name", "dob", "ssn", "ssn_last4"),
            on="record_key",
            how="left",
        )
    )
    return {
        "records": joined.height,
        "pairwise": pairwise(joined),
        "cluster": cluster_metrics(joined),
        "bcubed": bcubed(joined),
        "resolvable": resolvable_cluster_metrics(joined),
        "by_agency_pair": by_agency_pair(joined),
        "hard_cases": {
            "twins": kept_apart(joined, twin_pairs(persons)),
            "junior_senior": kept_apart(joined, junior_senior_pairs(persons)),
            "surname_change": surname_change_recall(joined),
            "ides_without_dob": ides_without_dob(joined),
        },
        "family": family_metrics(family, records, joined),
    }


def pr_curve(
    identity_map: pl.DataFrame, pairs: pl.DataFrame, records: pl.DataFrame
) -> pl.DataFrame:
    """Pairwise precision and recall when clustering at each of :data:`PR_THRESHOLDS`."""
    people = identity_map.filter(pl.col("role").is_null())
    parents = identity_map.filter(pl.col("role").is_not_null()).get_column("identity_id").implode()
    pairs = pairs.filter(~pl.col("id_l").is_in(parents) & ~pl.col("id_r").is_in(parents))
    n = int(identity_map.get_column("identity_id").max() or 0) + 1
    guards = [
        c
        for c in ("birth_year", "born_by", "ssn_head", "ssn_tail", "sex_code")
        if c in identity_map
    ]
    attrs = identity_map.select("identity_id", *guards).unique("identity_id")
    # records counted per (identity, person) cell: clusters are unions of identities
    truth = (
        people.join(records.select("record_key", "person_id"), on="record_key")
        .group_by("identity_id", "person_id")
        .len()
    )
    rows = []
    prepared = prepare(pairs, attrs)  # the guards' frames, built once for every threshold
    for t in PR_THRESHOLDS:
        labels, _ = cluster_at(n, pairs, attrs, t, prepared)
        joined = truth.with_columns(cluster=pl.Series(labels)[truth.get_column("identity_id")])
        clusters = cluster_metrics(joined, cluster="cluster", weight="len")
        rows.append(
            {"threshold": t, **pairwise(joined, cluster="cluster", weight="len")}
            | {f"cluster_{m}": clusters[m] for m in ("precision", "recall", "f1")}
        )
    return pl.DataFrame(rows).select(PR_COLUMNS)
