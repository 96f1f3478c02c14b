"""The ``family_links`` table: parent-child links, as the research zone carries them."""

from __future__ import annotations

import polars as pl


def build_family(family: pl.DataFrame) -> pl.DataFrame:
    """One row per (child, parent, role), keeping the strongest link; sorted."""
    return (
        family.group_by("child_pid", "parent_pid", "role")
        .agg(pl.col("match_probability").max())
        .sort("child_pid", "parent_pid", "role")
    )
