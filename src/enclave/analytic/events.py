"""The ``life_events`` table: dated events drawn from the agencies' records.

* ``BIRTH``: the person's own IDPH birth record (the earliest, if several): who was
  born in the state, whether or not a parent was linked;
* ``BIRTH_OF_CHILD``: for each parent in ``family_links``, the date of the child's
  birth record (month precision: the research zone keeps no birth day);
* ``DEATH``: the earliest IDPH death record of the person;
* and the events each contract's timeline declares (``LifeEvent``):
  ``PLACEMENT``: a DCFS placement's start;
  ``PRISON_ADMISSION`` / ``PRISON_RELEASE``: an IDOC stay's admission and release;
  ``GRADUATION`` / ``DROPOUT``: an ISBE exit status, dated 30 June ending that school year;
  ``YOUTH_ADMISSION`` / ``YOUTH_RELEASE``: a DJJ stay's admission and release.

Identical (pid, event, date, agency) rows from duplicate records count once.
"""

from __future__ import annotations

import polars as pl

from enclave import contracts

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
    parts = [
        _births_of_children(base, family, births),
        *(
            _events(base.get(agency), agency, pl.lit(event.code), event.date,
                    event.date.is_not_null() if event.where is None else event.where)
            for agency, contract in contracts.ALL.items()
            for event in contract.timeline.events
        ),
        _vital(base.get("idph"), "BIRTH"),
        _vital(base.get("idph"), "DEATH"),
    ]  # fmt: skip
    return (
        pl.concat([p.cast(SCHEMA) for p in parts])
        .drop_nulls()
        .unique()
        .sort("pid", "date", "event", "agency")
    )
