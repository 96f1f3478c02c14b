"""What each agency's research-zone record means in time: its reference date and the
span of time it covers, as its contract's ``timeline`` declares them. Shared by
``deidentify`` (a person's latest county) and the analytic builders (spells, panel,
events), so both read a record the same way.

Column names are the staged content's (docs/INTERFACES.md), which the research
zone keeps; only ``zip`` becomes ``county_fips``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from enclave import contracts
from enclave.contracts.base import LINK_EVIDENCE, Timeline


def _timeline(agency: str) -> Timeline:
    timeline = contracts.get(agency).timeline
    if timeline is None:  # every registered contract declares one (tests/spec)
        raise KeyError(f"contract {agency!r} declares no timeline")
    return timeline


#: content columns of each agency after ``record_key`` and ``agency`` (INTERFACES.md),
#: from each contract's content model
CONTENT_COLUMNS: dict[str, tuple[str, ...]] = {
    agency: contract.content_columns for agency, contract in contracts.ALL.items()
}


def reference_date(agency: str) -> pl.Expr:
    """The date a record of ``agency`` is about (its start), aliased ``date``: the
    contract's ``timeline.date``."""
    return _timeline(agency).date.alias("date")


def coverage(agency: str) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(program, start, end) a record covers; ``end`` null means still open (the
    contract's timeline). Monthly records cover their month, wage records their
    quarter, a school year July to June (so consecutive years join into one spell), an
    investigation its start day when it has no end. ``None`` for an agency whose
    records cover no time (``idph``: events only)."""
    timeline = _timeline(agency)
    if timeline.program is None or timeline.start is None or timeline.end is None:
        return None
    return timeline.program, timeline.start, timeline.end


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
