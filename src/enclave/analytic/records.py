"""What each agency's research-zone record means in time: its reference date and the
span of time it covers. Shared by ``deidentify`` (a person's latest county) and the
analytic builders (spells, panel, events), so both read a record the same way.

Column names are the staged content's (docs/INTERFACES.md), which the research
zone keeps; only ``zip`` becomes ``county_fips``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from enclave.contracts.base import LINK_EVIDENCE

#: content columns of each agency after ``record_key`` and ``agency`` (INTERFACES.md)
CONTENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "hfs": ("elig_start", "elig_end", "elig_category", "zip"),
    "idhs": ("benefit_month", "program", "case_id", "relationship", "zip"),
    "aging": ("service_start", "service_end", "service_type", "zip"),
    "dcfs": (
        "event_type",
        "event_start",
        "event_end",
        "finding",
        "placement_type",
        "county_fips",
    ),
    "isbe": ("school_year", "grade", "exit_status", "county_fips"),
    "ides": ("year", "quarter", "employer_id", "wages"),
    "idoc": ("admit_date", "release_date", "offense_class", "county_fips"),
    "idph": ("record_type", "event_date", "county_fips", "plurality"),
}

#: first month of the school year a record's ``school_year`` (fall year) stands for
SCHOOL_YEAR_START_MONTH = 7


def _quarter_start() -> pl.Expr:
    return pl.date(pl.col("year"), (pl.col("quarter").cast(pl.Int32) - 1) * 3 + 1, 1)


def _quarter_end(start: pl.Expr) -> pl.Expr:
    """The last day of the quarter ``start`` begins: the day before the next quarter.

    Date arithmetic in months, per row, cost most of reading wage records. ``start``
    is null or valid (an invalid quarter fails it), so the quarter is 1-4 here.
    """
    quarter = pl.col("quarter").cast(pl.Int32)
    following = pl.date(pl.col("year") + quarter // 4, quarter * 3 % 12 + 1, 1)
    return pl.when(start.is_null()).then(None).otherwise(following - pl.duration(days=1))


def _school_year_start() -> pl.Expr:
    return pl.date(pl.col("school_year"), SCHOOL_YEAR_START_MONTH, 1)


def reference_date(agency: str) -> pl.Expr:
    """The date a record of ``agency`` is about (its start), aliased ``date``."""
    expr = {
        "hfs": pl.col("elig_start"),
        "idhs": pl.col("benefit_month"),
        "aging": pl.col("service_start"),
        "dcfs": pl.col("event_start"),
        "isbe": _school_year_start(),
        "ides": _quarter_start(),
        "idoc": pl.col("admit_date"),
        "idph": pl.col("event_date"),
    }[agency]
    return expr.alias("date")


def _month_end(start: pl.Expr) -> pl.Expr:
    return start.dt.month_end()


def coverage(agency: str) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(program, start, end) a record covers; ``end`` null means still open.

    Monthly records cover their month, wage records their quarter, a school year
    July to June (so consecutive years join into one spell), an investigation its
    start day when it has no end. ``idph`` covers nothing (events only).
    """
    lit = pl.lit
    if agency == "hfs":
        return lit("MEDICAID"), pl.col("elig_start"), pl.col("elig_end")
    if agency == "idhs":
        return pl.col("program"), pl.col("benefit_month"), _month_end(pl.col("benefit_month"))
    if agency == "aging":
        return lit("CCP"), pl.col("service_start"), pl.col("service_end")
    if agency == "dcfs":
        investigation = pl.col("event_type") == "INVESTIGATION"
        end = pl.when(investigation).then(pl.coalesce(pl.col("event_end"), pl.col("event_start")))
        return (
            pl.format("DCFS_{}", pl.col("event_type")),
            pl.col("event_start"),
            end.otherwise(pl.col("event_end")),
        )
    if agency == "isbe":
        start = _school_year_start()
        return lit("SCHOOL"), start, start.dt.offset_by("12mo").dt.offset_by("-1d")
    if agency == "ides":
        start = _quarter_start()
        return lit("EMPLOYMENT"), start, _quarter_end(start)
    if agency == "idoc":
        return lit("PRISON"), pl.col("admit_date"), pl.col("release_date")
    return None


def dated_counties(records: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """``pid, date, county_fips`` of every record that names a county."""
    dated = [
        frame.select("pid", reference_date(agency), "county_fips")
        for agency, frame in records.items()
        if "county_fips" in frame.columns
    ]
    if not dated:
        return pl.DataFrame(schema={"pid": pl.String, "date": pl.Date, "county_fips": pl.String})
    return pl.concat(dated).drop_nulls(["county_fips", "date"])


def latest_county(records: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per pid, the county of the latest-dated record that has one (ties: largest code).

    Sorted on pid. Each person's latest records are kept, then the largest code of
    them: sorting every record on pid, date and code cost several times that.
    """
    latest = pl.col("date") == pl.col("date").max().over("pid")
    return (
        dated_counties(records)
        .filter(latest)
        .group_by("pid")
        .agg(pl.col("county_fips").max())
        .sort("pid")
    )


def link_evidence(frame: pl.DataFrame | pl.LazyFrame) -> pl.Expr:
    """The frame's ``link_evidence``, or null where it has none (an inline test table:
    no record counts as name-only); the research zone's files always carry it."""
    names = frame.collect_schema().names() if isinstance(frame, pl.LazyFrame) else frame.columns
    if "link_evidence" in names:
        return pl.col("link_evidence")
    return pl.lit(None, LINK_EVIDENCE).alias("link_evidence")


def in_period(agency: str, period: tuple[date, date]) -> pl.Expr:
    """Records of ``agency`` whose span meets ``period`` (first and last day): a span
    from its reference date to its coverage end (an open span runs on; an event, and a
    record of an agency that covers no time, is its date). A record that only partly
    falls in the period is kept whole."""
    first, last = period
    start = reference_date(agency)
    cover = coverage(agency)
    end = start if cover is None else pl.coalesce(cover[2], pl.lit(date.max))
    return (start <= pl.lit(last)) & (end >= pl.lit(first))
