"""The ``life_events`` table: dated events drawn from the agencies' records.

* ``BIRTH``: the person's own IDPH birth record (the earliest, if several): who was
  born in the state, whether or not a parent was linked;
* ``BIRTH_OF_CHILD``: for each parent in ``family_links``, the date of the child's
  birth record (month precision: the research zone keeps no birth day);
* ``PLACEMENT``: a DCFS placement's start;
* ``PRISON_ADMISSION`` / ``PRISON_RELEASE``: an IDOC stay's admission and release;
* ``GRADUATION`` / ``DROPOUT``: an ISBE exit status, dated 30 June ending that school year;
* ``DEATH``: the earliest IDPH death record of the person.

Identical (pid, event, date, agency) rows from duplicate records count once.
"""

from __future__ import annotations

import polars as pl

SCHEMA = {"pid": pl.String, "event": pl.String, "date": pl.Date, "agency": pl.String}


def _events(
    frame: pl.DataFrame | None, agency: str, event: pl.Expr, date: pl.Expr, keep: pl.Expr
) -> pl.DataFrame:
    if frame is None:
        return pl.DataFrame(schema=SCHEMA)
    return frame.filter(keep).select(
        "pid", event.alias("event"), date.alias("date"), pl.lit(agency).alias("agency")
    )


def child_births(idph: pl.DataFrame | pl.LazyFrame | None) -> pl.DataFrame:
    """``pid, date``: each person's earliest IDPH birth record (``idph`` may be lazy)."""
    if idph is None:
        return pl.DataFrame(schema={"pid": pl.String, "date": pl.Date})
    return (
        idph.lazy()
        .filter(pl.col("record_type") == "BIRTH")
        .group_by("pid")
        .agg(pl.col("event_date").min().alias("date"))
        .collect()
    )


def _births_of_children(
    base: dict[str, pl.DataFrame], family: pl.DataFrame, births: pl.DataFrame | None
) -> pl.DataFrame:
    if births is None:
        if base.get("idph") is None:
            return pl.DataFrame(schema=SCHEMA)
        births = child_births(base["idph"])
    return family.join(births, left_on="child_pid", right_on="pid", how="inner").select(
        pl.col("parent_pid").alias("pid"),
        pl.lit("BIRTH_OF_CHILD").alias("event"),
        "date",
        pl.lit("idph").alias("agency"),
    )


def _vital(idph: pl.DataFrame | None, record_type: str) -> pl.DataFrame:
    """The earliest IDPH record of ``record_type`` (BIRTH, DEATH) of each person."""
    if idph is None:
        return pl.DataFrame(schema=SCHEMA)
    return (
        idph.filter(pl.col("record_type") == record_type)
        .group_by("pid")
        .agg(pl.col("event_date").min().alias("date"))
        .select("pid", pl.lit(record_type).alias("event"), "date", pl.lit("idph").alias("agency"))
    )


def build_events(
    base: dict[str, pl.DataFrame], family: pl.DataFrame, births: pl.DataFrame | None = None
) -> pl.DataFrame:
    """All life events, deduplicated and sorted on (pid, date, event).

    ``births`` (:func:`child_births`) defaults to the births of ``base``; ``build`` in
    buckets passes every child's birth, as a parent's child may be in another bucket.
    """
    lit, col = pl.lit, pl.col
    exit_status = col("exit_status")
    june = pl.date(col("school_year") + 1, 6, 30)
    parts = [
        _births_of_children(base, family, births),
        _events(
            base.get("dcfs"),
            "dcfs",
            lit("PLACEMENT"),
            col("event_start"),
            col("event_type") == "PLACEMENT",
        ),
        _events(
            base.get("idoc"),
            "idoc",
            lit("PRISON_ADMISSION"),
            col("admit_date"),
            col("admit_date").is_not_null(),
        ),
        _events(
            base.get("idoc"),
            "idoc",
            lit("PRISON_RELEASE"),
            col("release_date"),
            col("release_date").is_not_null(),
        ),
        _events(
            base.get("isbe"),
            "isbe",
            exit_status.replace({"GRADUATED": "GRADUATION"}),
            june,
            exit_status.is_in(["GRADUATED", "DROPOUT"]),
        ),
        _vital(base.get("idph"), "BIRTH"),
        _vital(base.get("idph"), "DEATH"),
    ]
    return (
        pl.concat([p.cast(SCHEMA) for p in parts])
        .drop_nulls()
        .unique()
        .sort("pid", "date", "event", "agency")
    )
