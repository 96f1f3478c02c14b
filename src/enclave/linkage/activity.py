"""When each identity record was seen, as evidence of the person's age.

Identifier rows carry ``seen``, the date their record observed them (the start of an
eligibility or benefit month, a wage quarter, a school year, an event). A record says
its person was alive, and old enough for it, at that date: nobody is in the records
of a program before birth, and nobody earns covered wages as a young child. So each
identity record gets ``born_by``, the latest birth year its records allow, and a link
between it and a record born later than that is implausible.

This is what separates namesakes that share nothing else: a school record of a child
and the wage records of an adult with the same name (no DOB on the wage side, no SSN
on the school side).
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

#: slack in years on ``born_by``: a day/month or one-digit DOB error moves a birth
#: year by one, and a school year that starts in the autumn straddles two years
SLACK_YEARS = 1


def born_by(frame: pl.LazyFrame, rows: pl.DataFrame, min_age: Mapping[str, int]) -> pl.DataFrame:
    """``identity_id`` -> ``born_by``: the latest birth year the identity's records
    allow (the year it was first seen at each agency, less that agency's minimum age
    from ``min_age``, 0 for the others). Identities never seen with a date are absent.

    ``frame``: identifier rows (``record_key``, ``agency``, ``seen``); ``rows``: the
    row -> identity map of :func:`enclave.linkage.identity.build`.
    """
    names = frame.collect_schema().names()
    if "seen" not in names:
        return pl.DataFrame(schema={"identity_id": pl.Int64, "born_by": pl.Int32})
    ages = pl.DataFrame(
        {"agency": list(min_age), "min_age": list(min_age.values())},
        schema={"agency": pl.String, "min_age": pl.Int32},
    )
    seen = (
        frame.select("record_key", "agency", pl.col("seen").dt.year().alias("year"))
        .filter(pl.col("year").is_not_null())
        .join(ages.lazy(), on="agency", how="left")
        .select("record_key", (pl.col("year") - pl.col("min_age").fill_null(0)).alias("by"))
    )
    people = rows.lazy().filter(pl.col("role").is_null()).select("record_key", "identity_id")
    return (
        people.join(seen, on="record_key")
        .group_by("identity_id")
        .agg(pl.col("by").min().cast(pl.Int32).alias("born_by"))
        .sort("identity_id")
        .collect(engine="streaming")
    )


def implausible(edges: pl.DataFrame, attrs: pl.DataFrame) -> pl.DataFrame:
    """The edges (``id_l``, ``id_r``) joining a record born after the other's
    ``born_by`` (with :data:`SLACK_YEARS`): e.g. a child's school record and wage
    records older than the child. ``attrs``: ``identity_id``, ``birth_year``,
    ``born_by``."""
    a = attrs.select("identity_id", "birth_year", "born_by")
    joined = (
        edges.select("id_l", "id_r")
        .join(
            a.rename({"identity_id": "id_l", "birth_year": "year_l", "born_by": "by_l"}), on="id_l"
        )
        .join(
            a.rename({"identity_id": "id_r", "birth_year": "year_r", "born_by": "by_r"}), on="id_r"
        )
    )
    late = (pl.col("year_l") > pl.col("by_r") + SLACK_YEARS) | (
        pl.col("year_r") > pl.col("by_l") + SLACK_YEARS
    )
    return joined.filter(late.fill_null(False)).select("id_l", "id_r")
