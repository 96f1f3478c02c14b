"""Parent-child links from birth records.

Each birth record's named mother and father are identity records of their own
(``role`` MOTHER/FATHER), scored by the same model as everyone else but kept out of
person clustering (a parent record must never merge two persons). A parent record
links to the person of its strongest pair at or above ``family_threshold``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

SCHEMA = {
    "child_person_key": pl.String,
    "parent_person_key": pl.String,
    "role": pl.String,
    "match_probability": pl.Float64,
    "record_key": pl.String,
}


def links(
    parents: pl.DataFrame,
    identities: pl.DataFrame,
    pairs: pl.DataFrame,
    child_person_key: pl.Series,
    cluster: np.ndarray,
    cluster_key: pl.DataFrame,
    threshold: float,
) -> pl.DataFrame:
    """Birth records' parents -> (child person, parent person, role, probability).

    ``parents``: ``record_key``, ``role``, ``identity_id``, one row per named parent of
    a birth record; ``child_person_key``: the person key of each row's birth record;
    ``cluster``: the cluster of each identity id; ``cluster_key``: ``cluster``,
    ``parent_person_key`` (the person key its records carry; the smallest if they
    differ).
    """
    best = _best_person_identity(identities, pairs, threshold)
    linked = parents.with_columns(child_person_key.alias("child_person_key")).join(
        best, left_on="identity_id", right_on="parent_id"
    )
    linked = linked.with_columns(
        pl.Series("cluster", cluster[linked.get_column("person_id").to_numpy()]),
    )
    return (
        linked.join(cluster_key, on="cluster")
        .filter(pl.col("child_person_key") != pl.col("parent_person_key"))
        .select(*SCHEMA)
        .cast(SCHEMA)
        .sort("record_key", "role")
    )


def _best_person_identity(
    identities: pl.DataFrame, pairs: pl.DataFrame, threshold: float
) -> pl.DataFrame:
    """Parent identity -> its strongest person identity (ties: smallest id)."""
    role = identities.select("identity_id", "role")
    both = pl.concat(
        [
            pairs.select(pl.col("id_l").alias("a"), pl.col("id_r").alias("b"), "match_probability"),
            pairs.select(pl.col("id_r").alias("a"), pl.col("id_l").alias("b"), "match_probability"),
        ]
    ).filter(pl.col("match_probability") >= threshold)
    return (
        both.join(role.rename({"identity_id": "a", "role": "role_a"}), on="a")
        .join(role.rename({"identity_id": "b", "role": "role_b"}), on="b")
        .filter(pl.col("role_a").is_not_null() & pl.col("role_b").is_null())
        .sort(["a", "match_probability", "b"], descending=[False, True, False])
        .group_by("a", maintain_order=True)
        .first()
        .select(pl.col("a").alias("parent_id"), pl.col("b").alias("person_id"), "match_probability")
    )
