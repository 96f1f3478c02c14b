"""De-identification: staged content + crosswalk -> one project's research zone.

For each approved project (docs/INTERFACES.md, "deidentify -> research zone"):

* ``person_key`` becomes ``pid``, a keyed pseudonym that differs per project;
  ``record_key`` becomes ``record_pid``; ``case_id`` and ``employer_id`` are keyed
  too, each under its own derivation label (``enclave.deid.pseudonym``).
* No direct identifier goes in: names, SSNs, addresses, agency ids and free text
  stay in the staged identifiers; content ``zip`` becomes ``county_fips``.
* Demographics come from the identifiers, by consensus over a person's records: the
  most common date of birth and sex (ties to the earliest date / alphabetically first).
* Quasi-identifiers (birth year-month, sex, latest county) are made k-anonymous by
  the rule in :func:`k_anonymise`; the class-size distribution before and after goes
  to the risk report.
* A birth record's own date is a date of birth: it is cut to the month (to the year
  where the person's birth month is withheld). With ``keep_service_dates: false``
  every content date is cut to its month.
* Every file written passes the leak scan (``enclave.deid.leakscan``) before the output
  directory is moved into place.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

from enclave import failpoints, geography, io, log, partfiles
from enclave.analytic.records import CONTENT_COLUMNS, in_period, latest_county
from enclave.config import AGENCIES, DeidParams
from enclave.contracts.base import LINK_EVIDENCE
from enclave.deid import kept
from enclave.deid import stream as deid_stream
from enclave.deid.leakscan import LeakReference
from enclave.deid.pseudonym import (
    keyed_record_ids,
    keyed_record_numbers,
    project_key,
    pseudonymise,
    record_ids_of_numbers,
    resolve_master_key,
)
from enclave.errors import InputError
from enclave.paths import delivered
from enclave.progress import Phases
from enclave.scratch import Scratch

LOG = log.get(__name__)
#: content columns holding agency record ids, keyed like pseudonyms under their own label
KEYED_COLUMNS = ("case_id", "employer_id")
QUASI_IDENTIFIERS = ("birth_year", "birth_month", "sex", "county_fips")
#: class sizes reported in the risk report: the bucket's lower bound -> label
SIZE_BUCKETS = ((1, "1"), (2, "2"), (3, "3"), (4, "4"), (5, "5-9"), (10, "10-19"), (20, "20+"))


@dataclass(frozen=True)
class ProjectKeys:
    """The keys of one project, one per purpose, all derived from the master secret."""

    person: bytes
    record: bytes
    columns: dict[str, bytes]

    @classmethod
    def derive(cls, master: bytes, project: str) -> ProjectKeys:
        return cls(
            person=project_key(master, project, "person"),
            record=project_key(master, project, "record"),
            columns={c: project_key(master, project, c) for c in KEYED_COLUMNS},
        )


@dataclass(frozen=True)
class Scope:
    """What a project's approval provisions: agencies (None: all) and a study period."""

    agencies: tuple[str, ...] | None = None
    period: tuple[datetime.date, datetime.date] | None = None


@dataclass(frozen=True)
class ResearchZone:
    tables: dict[str, pl.DataFrame]
    risk: dict


# --------------------------------------------------------------------------- I/O edge


def run(
    project: str,
    params: DeidParams,
    staged: Path,
    linkage: Path,
    landing: Path,
    out: Path,
    report: Path,
    scope: Scope | None = None,
    state: Path | None = None,
) -> None:
    """Write ``out`` (``data/research/<project>/base``) and the project's risk report.

    File to file in bounded memory (:mod:`enclave.deid.stream`); the tables equal
    those of :func:`deidentify` on the same inputs. ``scope``: what the project's
    approval names (data minimisation): only those agencies' records, only records
    meeting the study period, only the persons holding one of them, and their
    demographics from those records alone. ``state``: a trusted folder where the run
    keeps its pseudonymised records, so that the next run pseudonymises only the
    monthly deliveries new since (:mod:`enclave.deid.kept`); the tables are the same.
    """
    del landing  # the leak scan reads the staged identifiers, parsed from the landing
    keys = ProjectKeys.derive(resolve_master_key(), project)
    staged, linkage, out = Path(staged), Path(linkage), Path(out)
    scope = scope or Scope()
    agencies = [
        a
        for a in AGENCIES
        if (staged / a / "content.parquet").exists()
        and (scope.agencies is None or a in scope.agencies)
    ]
    if not agencies:
        raise InputError("all", staged, "no staged content found")
    if not (linkage / "crosswalk.parquet").exists():
        raise InputError("linkage", linkage / "crosswalk.parquet", "missing")
    crosswalk = partfiles.rows(linkage, "crosswalk")  # whole, or with months as parts
    if "link_evidence" not in crosswalk.scan().collect_schema().names():
        raise InputError(
            "linkage",
            crosswalk.path,
            "no link_evidence column",
            "written by an older link: run link again",
        )
    contents = {a: pl.scan_parquet(delivered(staged / a, "content.parquet")) for a in agencies}
    for agency, scan in contents.items():  # fail before any work on a missing column
        _check_columns(agency, scan.collect_schema().names())
    family_path = linkage / "family.parquet"
    family = pl.read_parquet(family_path) if family_path.exists() else None
    now = prior = None
    if state is not None and Path(state).exists() and not Path(state).is_dir():
        raise InputError("deid", state, "the state is not a folder", "remove it or name a folder")
    if state is not None:
        check = kept.fingerprint(project, params, scope, keys.person)
        now = kept.current(check, staged, linkage, agencies)
        prior = kept.previous(Path(state), now) if now is not None else None
    # a month folded in needs the pseudonyms of its own records' persons only
    person_keys = (
        crosswalk.unordered().select("person_key").unique().collect().get_column("person_key")
        if prior is None
        else _month_links(prior, staged, crosswalk).get_column("person_key").unique()
    )
    persons = pl.DataFrame(
        {"person_key": person_keys, "pid": pseudonymise(person_keys, keys.person)}
    )

    def content(agency: str, frame: pl.DataFrame, links: pl.DataFrame, rows=...) -> pl.DataFrame:
        return _pseudonymise_content(agency, frame, links, keys, params, rows, numbered=True)

    # the spill holds exact dates of birth by pid: it lives in a private scratch
    # directory or the trusted state folder, never in the research zone
    phases = Phases(f"deidentify {project}", ("pseudonymise", "k-anonymise", "write and scan"))
    with io.atomic_dir(out) as tmp, _spill_folder(state, prior) as work:
        phases.start("pseudonymise")
        if prior is None:
            reference, linked, present = deid_stream.spill_records(
                agencies, staged, crosswalk, persons, content, work, scope.period
            )
        else:
            reference, linked, present = _fold(
                prior, staged, crosswalk, persons, content, work, scope.period
            )
            linked = {a: prior.state["linked"].get(a, 0) + linked.get(a, 0) for a in agencies}
            LOG.info("%s: %d new deliveries folded into the kept records", project, len(prior.new))
        failpoints.reached("deidentify.spilled")
        # the project's persons are those holding a provisioned record, no one else
        phases.start("k-anonymise")
        qi = deid_stream.quasi_identifiers(
            agencies, present.to_frame("pid"), params.dob_precision, work
        )
        generalised, risk = k_anonymise(qi, params.k_min)
        if prior is not None:
            changed, added = kept.changed_persons(work, generalised)
            LOG.info(
                "%s: the month brought %d new persons and changed what is released of %d",
                project, added, changed,
            )  # fmt: skip
        phases.start("write and scan")
        written = deid_stream.write_tables(
            agencies,
            generalised,
            _apply_person_generalisation,
            reference,
            work,
            tmp,
            out,
            keep=state is not None,
        )
        failpoints.reached("deidentify.written")
        for agency in agencies:  # an agency with no linked record: an empty table
            if not (tmp / f"{agency}.parquet").exists():
                empty = contents[agency].head(0).collect()
                table = _pseudonymise_content(agency, empty, _NO_LINKS, keys, params)
                io.write_parquet(
                    _apply_person_generalisation(agency, table, generalised),
                    tmp / f"{agency}.parquet",
                )
        tables = {
            "demographics": generalised.select("pid", "birth_year", "birth_month", "sex").sort(
                "pid"
            ),
            "family_links": family_links(family, keys).filter(
                pl.col("child_pid").is_in(present.implode())
                & pl.col("parent_pid").is_in(present.implode())
            ),
        }
        for name, frame in tables.items():
            deid_stream.scan_chunk(frame, reference, out / f"{name}.parquet")
            io.write_parquet(frame, tmp / f"{name}.parquet")
        if state is not None and now is not None:
            kept.keep_reference(reference, present, work)
            kept.keep_generalised(generalised, work)
            # a run counts only if it spilled records under its number: one that found
            # nothing new keeps the same state, byte for byte
            runs = 0 if prior is None else prior.run - (not prior.new)
            kept.save(work, now | {"linked": linked}, runs)
        phases.close()
    totals = {
        a: contents[a]
        .filter(pl.lit(True) if scope.period is None else in_period(a, scope.period))
        .select(pl.len())
        .collect()
        .item()
        for a in agencies
    }
    schemas = {a: contents[a].collect_schema().names() for a in agencies}
    risk |= _risk_counts(schemas, totals, linked, written, qi.height, params)
    io.write_json({"project": project, **risk}, Path(report))
    LOG.info("research zone of %s: %d files, %d persons", project, len(agencies) + 2, qi.height)


@contextmanager
def _spill_folder(state: Path | None, prior: kept.Prior | None) -> Iterator[Path]:
    """Where step 1 spills: a private scratch directory, or with ``state`` a new state
    folder (closed to group and others) holding what ``prior`` kept, hard-linked in."""
    if state is None:
        with Scratch("deid") as work:
            yield work
        return
    state = Path(state)
    with io.atomic_dir(state, mode=0o700) as work:
        if prior is not None:
            for path in sorted(state.rglob("*")):
                target = work / path.relative_to(state)
                if path.is_dir():
                    target.mkdir(exist_ok=True)
                elif path.name != kept.STATE:
                    io.link_or_copy(path, target)
        yield work


def _month_links(prior: kept.Prior, staged: Path, crosswalk: partfiles.Rows) -> pl.DataFrame:
    """The crosswalk's rows of the new deliveries of ``prior``."""
    contents = [
        pl.scan_parquet(staged / agency / month / "content.parquet")
        for agency, months in sorted(prior.new.items())
        for month in months
    ]
    return deid_stream.crosswalk_rows(crosswalk, contents) if contents else _NO_CROSSWALK


def _fold(
    prior: kept.Prior,
    staged: Path,
    crosswalk: partfiles.Rows,
    persons: pl.DataFrame,
    content,
    work: Path,
    period: tuple[datetime.date, datetime.date] | None,
) -> tuple[LeakReference, dict[str, int], pl.Series]:
    """Step 1 for the new deliveries of ``prior`` only, added to what it kept in ``work``."""
    reference, present = kept.kept_reference(work)
    if not prior.new:
        return reference, {}, present
    added, linked, pids = deid_stream.spill_records(
        sorted(prior.new),
        staged,
        crosswalk,
        persons,
        content,
        work,
        period,
        deliveries=prior.new,
        prefix=f"{prior.run:04d}-",
    )
    everyone = pl.concat([present, pids]).unique().sort()
    return deid_stream.merge_reference([reference, added]), linked, everyone


_NO_CROSSWALK = pl.DataFrame(schema={"record_key": pl.String, "person_key": pl.String})
_NO_LINKS = pl.DataFrame(
    schema={
        "record_key": pl.String,
        "pid": pl.String,
        "match_probability": pl.Float64,
        "link_evidence": LINK_EVIDENCE,
    }
)


def _check_columns(agency: str, columns: list[str]) -> None:
    missing = [c for c in ("record_key", *CONTENT_COLUMNS[agency]) if c not in columns]
    if missing:
        raise InputError(agency, "content.parquet", f"missing content columns {missing}")


def _risk_counts(
    schemas: dict[str, list[str]],
    totals: dict[str, int],
    linked: dict[str, int],
    written: dict[str, int],
    persons: int,
    params: DeidParams,
) -> dict:
    """The risk report's record counts (the k-anonymity section comes separately)."""
    known = {"record_key", "agency"}
    dropped = {a: sorted(set(c) - known - set(CONTENT_COLUMNS[a])) for a, c in schemas.items()}
    return {
        "content_columns_dropped": {a: cols for a, cols in dropped.items() if cols},
        "records_suppressed": {a: linked[a] - written[a] for a in schemas},
        "persons": persons,
        "records": {a: written[a] for a in schemas},
        "records_without_link": {a: totals[a] - linked[a] for a in schemas},
        "params": {
            "dob_precision": params.dob_precision,
            "geography": params.geography,
            "keep_service_dates": params.keep_service_dates,
        },
    }


# --------------------------------------------------------------------------- pure core


def deidentify(
    contents: dict[str, pl.DataFrame],
    identifiers: pl.LazyFrame,
    crosswalk: pl.DataFrame,
    family: pl.DataFrame | None,
    params: DeidParams,
    keys: ProjectKeys,
) -> ResearchZone:
    """The research zone's tables (``<agency>``, ``demographics``, ``family_links``) and risk."""
    links = crosswalk.select(
        "record_key",
        pseudonymise(crosswalk.get_column("person_key"), keys.person).alias("pid"),
        "match_probability",
        "link_evidence",
    )
    records = {a: _pseudonymise_content(a, c, links, keys, params) for a, c in contents.items()}
    # the zone's persons are those holding a record; family links run between them only
    present = pl.concat([r.select("pid") for r in records.values()]).get_column("pid").unique()
    demographics = consensus_demographics(identifiers, links, params).filter(
        pl.col("pid").is_in(present.implode())
    )
    qi = demographics.join(latest_county(records), on="pid", how="left")
    generalised, risk = k_anonymise(qi, params.k_min)
    tables = {a: _apply_person_generalisation(a, r, generalised) for a, r in records.items()}
    tables["demographics"] = generalised.select("pid", "birth_year", "birth_month", "sex").sort(
        "pid"
    )
    tables["family_links"] = family_links(family, keys).filter(
        pl.col("child_pid").is_in(present.implode()) & pl.col("parent_pid").is_in(present.implode())
    )
    unlinked = {a: c.height - records[a].height for a, c in contents.items()}
    known = {"record_key", "agency"}
    dropped = {
        a: sorted(set(c.columns) - known - set(CONTENT_COLUMNS[a])) for a, c in contents.items()
    }
    risk |= {
        "content_columns_dropped": {a: cols for a, cols in dropped.items() if cols},
        "records_suppressed": {a: records[a].height - tables[a].height for a in contents},
        "persons": demographics.height,
        "records": {a: t.height for a, t in tables.items() if a in contents},
        "records_without_link": unlinked,
        "params": {
            "dob_precision": params.dob_precision,
            "geography": params.geography,
            "keep_service_dates": params.keep_service_dates,
        },
    }
    return ResearchZone(tables=tables, risk=risk)


def _pseudonymise_content(
    agency: str,
    content: pl.DataFrame,
    links: pl.DataFrame,
    keys: ProjectKeys,
    params: DeidParams,
    rows=...,
    numbered: bool = False,
) -> pl.DataFrame:
    """One agency's content joined to its pseudonyms, with generalised geography and dates.

    Only the content columns of docs/INTERFACES.md are carried: a column an agency
    adds is dropped (it could hold free text), a missing one is an input error.
    ``rows``: the join's :func:`enclave.deid.stream.link_rows`, if known. ``numbered``:
    record pseudonyms as numbers (``_rid``, :func:`keyed_record_numbers`) where they
    can be, for :func:`_apply_person_generalisation` to sort on and write as text.
    """
    columns = CONTENT_COLUMNS[agency]
    missing = [c for c in ("record_key", *columns) if c not in content.columns]
    if missing:
        raise InputError(agency, "content.parquet", f"missing content columns {missing}")
    frame = deid_stream.join_links(content, links, rows)
    record_keys = frame.get_column("record_key")
    numbers = keyed_record_numbers(record_keys, keys.record) if numbered else None
    record_pid = (
        keyed_record_ids(record_keys, keys.record).alias("record_pid")
        if numbers is None
        else numbers.alias("_rid")
    )
    frame = frame.with_columns(
        record_pid,
        *(
            pseudonymise(frame.get_column(c), keys.columns[c]).alias(c)
            for c in KEYED_COLUMNS
            if c in columns
        ),
    )
    if "zip" in columns:
        frame = frame.with_columns(_county_of_zip(frame.get_column("zip")))
    if params.geography == "region" and "county_fips" in frame.columns:
        frame = frame.with_columns(geography.county_to_region_expr("county_fips"))
    if not params.keep_service_dates:
        frame = frame.with_columns(pl.col(pl.Date).dt.truncate("1mo"))
    kept = [("county_fips" if c == "zip" else c) for c in columns]
    return frame.select(
        record_pid.name, "pid", "match_probability", "link_evidence", "agency", *kept
    )


@cache
def _county_by_zip_number() -> pl.Series | None:
    """County FIPS at the index of each Illinois ZIP's number; None unless every ZIP is
    five ASCII digits from 10000 (then only a string of its five digits names it)."""
    table = geography.zip_county()
    if not all(z.isascii() and z.isdigit() and len(z) == 5 and z[0] != "0" for z in table):
        return None
    counties: list[str | None] = [None] * 100_000
    for zip_code, county in table.items():
        counties[int(zip_code)] = county
    return pl.Series(counties, dtype=pl.String)


def _county_of_zip(zips: pl.Series) -> pl.Series:
    """``geography.zip_to_county_expr`` on ``zips``, as ``county_fips``.

    Mapping the ZIP strings cost a hash per record; the ZIP's number indexes a table
    instead. A value of 5 bytes that reads as a number from 10000 is exactly that
    number's digits (a sign or a leading zero would leave fewer), so it is found
    under its number; any other value is no Illinois ZIP, and gets null as before.
    """
    table = _county_by_zip_number()
    if table is None or zips.dtype != pl.String:
        county = geography.zip_to_county_expr("zip").alias("county_fips")
        return zips.to_frame("zip").select(county).to_series()
    number = zips.str.to_integer(strict=False)
    valid = (zips.str.len_bytes() == 5) & (number >= 10_000)
    index = number.zip_with(valid.fill_null(False), pl.Series([None], dtype=number.dtype))
    return table.gather(index).alias("county_fips")


def _mode(frame: pl.LazyFrame, column: str) -> pl.LazyFrame:
    """Per pid, the most common non-null value of ``column``; ties to the smallest value."""
    return (
        frame.drop_nulls(column)
        .group_by("pid", column)
        .agg(pl.len().alias("n"))
        .sort(["pid", "n", column], descending=[False, True, False])
        .group_by("pid", maintain_order=True)
        .agg(pl.col(column).first())
    )


def consensus_demographics(
    identifiers: pl.LazyFrame, links: pl.DataFrame, params: DeidParams
) -> pl.DataFrame:
    """``pid, birth_year, birth_month, sex`` for every linked person."""
    linked = identifiers.select("record_key", "dob", "sex").join(
        links.lazy().select("record_key", "pid"), on="record_key", how="inner"
    )
    persons = links.lazy().select("pid").unique()
    dob = _mode(linked, "dob")
    sex = _mode(linked, "sex")
    month = pl.col("dob").dt.month().cast(pl.Int8)
    return (
        persons.join(dob, on="pid", how="left")
        .join(sex, on="pid", how="left")
        .select(
            "pid",
            pl.col("dob").dt.year().cast(pl.Int32).alias("birth_year"),
            (month if params.dob_precision == "year_month" else pl.lit(None, pl.Int8)).alias(
                "birth_month"
            ),
            "sex",
        )
        .sort("pid")
        .collect()
    )


# --------------------------------------------------------------------------- k-anonymity


def _class_size() -> pl.Expr:
    return pl.len().over(list(QUASI_IDENTIFIERS), mapping_strategy="group_to_rows")


def size_distribution(qi: pl.DataFrame) -> list[dict]:
    """Equivalence classes and persons per class-size bucket, smallest bucket first."""
    sizes = qi.group_by(list(QUASI_IDENTIFIERS)).agg(pl.len().alias("size"))
    labels = [label for _, label in SIZE_BUCKETS]
    bucket = pl.lit(labels[0])
    for bound, label in SIZE_BUCKETS[1:]:
        bucket = pl.when(pl.col("size") >= bound).then(pl.lit(label)).otherwise(bucket)
    table = sizes.group_by(bucket.alias("bucket")).agg(
        pl.len().alias("classes"), pl.col("size").sum().alias("persons")
    )
    rows = {r["bucket"]: r for r in table.to_dicts()}
    return [
        {
            "size": label,
            "classes": int(rows.get(label, {}).get("classes", 0)),
            "persons": int(rows.get(label, {}).get("persons", 0)),
        }
        for label in labels
    ]


def k_anonymise(qi: pl.DataFrame, k: int) -> tuple[pl.DataFrame, dict]:
    """Generalise quasi-identifiers until every class has at least ``k`` persons.

    ``qi`` has one row per person: ``pid`` and :data:`QUASI_IDENTIFIERS` (a null is a
    value of its own). Persons in a class smaller than ``k`` are generalised, in turn,
    while their class is still too small:

    1. birth month withheld (birth year only);
    2. county replaced by its region (``enclave.geography``);
    3. county suppressed (null);
    4. birth year withheld (only sex is left; the person's birth record is dropped).

    Returns the generalised frame with a ``level`` column (0 untouched, 1-4 the last
    step applied to the person) and the report section.
    """
    before = size_distribution(qi)
    frame = qi.with_columns(pl.lit(0, pl.Int8).alias("level"))
    steps = (
        (1, pl.lit(None, pl.Int8).alias("birth_month")),
        (2, geography.county_to_region_expr("county_fips")),
        (3, pl.lit(None, pl.String).alias("county_fips")),
        (4, pl.lit(None, pl.Int32).alias("birth_year")),
    )
    counts = {}
    for level, generalise in steps:
        small = _class_size() < k
        counts[level] = int(frame.select(small.sum()).item())
        frame = frame.with_columns(
            pl.when(small).then(generalise).otherwise(pl.col(generalise.meta.output_name())),
            pl.when(small).then(pl.lit(level, pl.Int8)).otherwise("level").alias("level"),
        )
    remaining = int(frame.select((_class_size() < k).sum()).item())
    report = {
        "k_min": k,
        "quasi_identifiers": ["birth_year", "birth_month", "sex", "county (latest)"],
        "rule": (
            "while a person's class is below k: withhold birth month; then county -> region;"
            " then suppress county; then withhold birth year"
        ),
        "class_sizes_before": before,
        "class_sizes_after": size_distribution(frame),
        "persons_month_withheld": counts[1],
        "persons_county_to_region": counts[2],
        "persons_county_suppressed": counts[3],
        "persons_birth_year_withheld": counts[4],
        "persons_below_k_after": remaining,
    }
    return frame, report


def _apply_person_generalisation(
    agency: str, records: pl.DataFrame, persons: pl.DataFrame
) -> pl.DataFrame:
    """Carry each person's generalisation into their records, and cut birth-record dates."""
    # each person numbered in pid order: sorting on that number, not the pid string,
    # is most of the cost of the final sort
    people = persons.select("pid", "level", pl.col("birth_month").alias("_month")).sort("pid")
    frame = records.join(people.with_row_index("_order"), on="pid", how="left")
    if "county_fips" in frame.columns:
        frame = _generalise_counties(frame)
    if agency == "idph":
        birth = pl.col("record_type") == "BIRTH"
        # a birth record dates its own person's birth: gone once the birth year is withheld
        frame = frame.filter(~(birth & (pl.col("level") == 4)))
        cut = pl.when(pl.col("_month").is_null()).then(pl.col("event_date").dt.truncate("1y"))
        frame = frame.with_columns(
            pl.when(birth)
            .then(cut.otherwise(pl.col("event_date").dt.truncate("1mo")))
            .otherwise(pl.col("event_date"))
            .alias("event_date")
        )
    if frame.get_column("_order").null_count():
        return _with_record_ids(frame).sort("pid", "record_pid").drop("level", "_month", "_order")
    return _with_record_ids(_sort_records(frame)).drop("level", "_month", "_order")


def _with_record_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with record pseudonyms as text in place of their numbers, if numbered."""
    if "_rid" not in frame.columns:
        return frame
    text = record_ids_of_numbers(frame.get_column("_rid")).alias("record_pid")
    return frame.select(pl.lit(text), pl.exclude("_rid"))


def _generalise_counties(frame: pl.DataFrame) -> pl.DataFrame:
    """Records' counties as their person's level says: region at 2, suppressed from 3.

    Few persons are generalised: only their rows are mapped (mapping every row's
    county to its region, to keep most of them, cost as much as the sort).
    """
    rows = frame.get_column("level").ge(2).fill_null(False).arg_true()
    if rows.is_empty():
        return frame
    level = pl.col("level")
    changed = (
        frame[rows]
        .select(
            pl.when(level >= 3)
            .then(pl.lit(None, pl.String))
            .when(level == 2)
            .then(geography.county_to_region_expr("county_fips"))
            .otherwise(pl.col("county_fips"))
            .alias("county_fips")
        )
        .get_column("county_fips")
    )
    return frame.with_columns(frame.get_column("county_fips").clone().scatter(rows, changed))


def _sort_records(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted on ``_order, record_pid`` (or ``_order, _rid`` where numbered).

    A sort on a text column goes through a row encoding that cost most of writing a
    table; a record pseudonym is 16 hex digits, which sort as the 64-bit number they
    spell. The result is checked to be in text order, else sorted on the text.
    """
    if frame.height < 2:
        return frame.sort("_order", "_rid" if "_rid" in frame.columns else "record_pid")
    if "_rid" in frame.columns:
        return _sort_on_numbers(frame, "_rid")
    number = pl.col("record_pid").str.to_integer(base=16, dtype=pl.UInt64, strict=False)
    numbered = frame.with_columns(number.alias("_rid"))
    if numbered.get_column("_rid").null_count() == 0:
        ordered = _sort_on_numbers(numbered, "_rid").drop("_rid")
        pids, orders = ordered.get_column("record_pid"), ordered.get_column("_order")
        later = (pids.slice(1) >= pids.slice(0, pids.len() - 1)) | (
            orders.slice(1) != orders.slice(0, orders.len() - 1)
        )
        if later.all():
            return ordered
    return frame.sort("_order", "record_pid")


def _sort_on_numbers(frame: pl.DataFrame, rid: str) -> pl.DataFrame:
    """``frame`` sorted on ``_order`` then the unsigned 64-bit ``rid``.

    Both in one 64-bit key where they fit: the order number in the high bits, the
    record number's leading bits below it. Records of one person whose leading bits
    tie (rare: a person has a few hundred records at most) send the whole frame to
    the two-column sort.
    """
    top = frame.get_column("_order").max()
    shift = max(int(top).bit_length(), 1)
    if shift > 32:
        return frame.sort("_order", rid)
    order = frame.get_column("_order").to_numpy().astype(np.uint64)
    number = frame.get_column(rid).to_numpy()
    key = (order << np.uint64(64 - shift)) | (number >> np.uint64(shift))
    ordered = frame.with_columns(pl.Series("_key", key)).sort("_key")
    keys = ordered.get_column("_key")
    if (keys.slice(1) == keys.slice(0, keys.len() - 1)).any():
        return frame.sort("_order", rid)
    return ordered.drop("_key")


def family_links(family: pl.DataFrame | None, keys: ProjectKeys) -> pl.DataFrame:
    """``child_pid, parent_pid, role, match_probability`` from the linkage family table."""
    schema = {
        "child_pid": pl.String,
        "parent_pid": pl.String,
        "role": pl.String,
        "match_probability": pl.Float64,
    }
    if family is None or family.is_empty():
        return pl.DataFrame(schema=schema)
    return (
        family.select(
            pseudonymise(family.get_column("child_person_key"), keys.person).alias("child_pid"),
            pseudonymise(family.get_column("parent_person_key"), keys.person).alias("parent_pid"),
            "role",
            pl.col("match_probability").cast(pl.Float64),
        )
        .group_by("child_pid", "parent_pid", "role")
        .agg(pl.col("match_probability").max())
        .sort("child_pid", "parent_pid", "role")
    )
