"""The service-overlap measures computed from the synthetic world's truth.

For evaluations and tests only, never for a study: the same per-person agency
sets as :func:`enclave.studies.overlap.agencies_touched`, but with the true
person of every record (``data/truth/records.parquet``) in place of the linked
pseudonym, from the staged content tables. The difference between the two is
what linkage error (and de-identification) does to the study's answer.

Records are read in time the same way the analytic build reads them
(:func:`enclave.analytic.records.coverage`); a record still open (no end date)
overlaps every period from its start on. Vital records count for the person who
died, and a birth for each parent the record names.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from enclave.studies.overlap import Period, combine_agencies


def _coverage(agency: str):
    from enclave.analytic.records import coverage

    return coverage(agency)


def program_contacts(
    records: pl.LazyFrame, content: Mapping[str, pl.LazyFrame], period: Period
) -> pl.LazyFrame:
    """``(pid, agency, program)`` for every true person with a record overlapping the period.

    ``pid`` is the truth ``person_id`` as a string, so frames compare with the study's.
    """
    people = records.select("record_key", pid=pl.col("person_id").cast(pl.String))
    frames = []
    for agency, frame in sorted(content.items()):
        spans = _coverage(agency)
        if spans is None:
            continue
        program, start, end = spans
        frames.append(
            frame.select(
                "record_key",
                agency=pl.lit(agency),
                program=program,
                start=start,
                end=end,
            )
            .filter(
                pl.col("start") <= period.end,
                pl.col("end").is_null() | (pl.col("end") >= period.start),
            )
            .join(people, on="record_key")
            .select("pid", "agency", "program")
        )
    if not frames:
        return pl.LazyFrame(schema={"pid": pl.String, "agency": pl.String, "program": pl.String})
    return pl.concat(frames).unique()


def vital_contacts(records: pl.LazyFrame, vital: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """``(pid, agency)`` for deaths (the decedent) and births (each named parent) in the period."""
    within = vital.filter(pl.col("event_date").is_between(period.start, period.end)).select(
        "record_key", "record_type"
    )
    linked = within.join(records, on="record_key")
    deaths = linked.filter(pl.col("record_type") == "DEATH").select(pid="person_id")
    births = linked.filter(pl.col("record_type") == "BIRTH")
    parents = [births.select(pid=pl.col(c)) for c in ("mother_id", "father_id")]
    return (
        pl.concat([deaths, *parents])
        .drop_nulls("pid")
        .select(pid=pl.col("pid").cast(pl.String), agency=pl.lit("idph"))
        .unique()
    )


def agencies_touched(
    records: pl.LazyFrame, content: Mapping[str, pl.LazyFrame], period: Period
) -> pl.LazyFrame:
    """Per true person, the agencies touched in the period (same columns as the study's)."""
    contacts = [program_contacts(records, content, period).select("pid", "agency")]
    if "idph" in content:
        contacts.append(vital_contacts(records, content["idph"], period))
    return combine_agencies(pl.concat(contacts))


def snap_medicaid_counts(
    records: pl.LazyFrame, content: Mapping[str, pl.LazyFrame], period: Period
) -> tuple[int, int]:
    """(SNAP recipients in the period, of whom also on Medicaid in it), by true person."""
    contacts = program_contacts(records, content, period)
    snap = contacts.filter(pl.col("program") == "SNAP").select("pid").unique()
    medicaid = contacts.filter(pl.col("program") == "MEDICAID").select("pid").unique()
    both = snap.join(medicaid, on="pid", how="semi")
    return snap.select(pl.len()).collect().item(), both.select(pl.len()).collect().item()
