"""De-identification file to file in bounded memory: the research zone of
:func:`enclave.deid.deidentify.deidentify`, computed in slices and pid buckets.

The in-memory core holds every staged record of a project at once (tens of
millions at a million persons). Here:

1. the crosswalk is read in slices of record keys (it is sorted on ``record_key``, so
   each slice prunes the content and identifier files to a few row groups); each
   slice's records are pseudonymised and spilled to temporary files, one per agency
   and pid bucket (the first hex character of ``pid``), with per-person counts of
   dates of birth and sexes for the consensus, and the slice's leak reference;
2. per bucket, the consensus demographics and latest county give the
   quasi-identifiers; k-anonymity runs once over all persons (one row each);
3. per agency and bucket, in pid order, the generalisation is applied, the rows
   sorted, leak-scanned and appended to the agency's file, so each file is sorted
   on ``pid, record_pid`` as the in-memory path writes it.

Agencies are handled two at a time in steps 1 and 3 (:mod:`enclave.parallel`),
results taken in order, so the files are those of a sequential run. The tables equal
the in-memory path's (tests/pipeline/test_deid_stream.py).
"""

from __future__ import annotations

import datetime
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io, partfiles
from enclave.analytic import in_bucket
from enclave.analytic.records import CONTENT_COLUMNS, in_period, latest_county, reference_date
from enclave.deid import leakscan
from enclave.deid.kept import EXTRACT
from enclave.deid.leakscan import LeakReference
from enclave.deid.pseudonym import record_ids_of_numbers
from enclave.errors import LeakError
from enclave.parallel import BackgroundWrites, ordered_map
from enclave.paths import delivered

#: one agency's part of a slice (:func:`_spill_agency`): records linked, leak reference,
#: counts of dates of birth and sexes, pids holding a record
Spilled = tuple[int, LeakReference | None, dict[str, pl.DataFrame], pl.Series]
#: crosswalk rows per slice: bounds the memory of step 1
SLICE_ROWS = 2_000_000
BUCKET_CHARS = "0123456789abcdef"
_BUCKET_ENUM = pl.Enum(list(BUCKET_CHARS))
_SPILL = {"compression": "lz4", "statistics": False}
_DTYPES = {"dob": pl.Date, "sex": pl.String}


def sorted_crosswalk(crosswalk: partfiles.Rows, work: Path) -> partfiles.Rows:
    """The crosswalk, sorted on ``record_key`` (as ``link`` writes it, whole or in parts;
    else a sorted copy in ``work``)."""
    ordered = pl.col("record_key").ge(pl.col("record_key").shift(1)).all()
    if crosswalk.scan().select(ordered).collect().item() is not False:
        return crosswalk
    copy = work / "_crosswalk.parquet"
    copy.parent.mkdir(parents=True, exist_ok=True)
    crosswalk.scan().sort("record_key").sink_parquet(copy, **_SPILL)
    return partfiles.rows(work, "_crosswalk")


def _slices(
    total: int, take: Callable[[int, int], pl.LazyFrame], rows: int
) -> Iterator[tuple[pl.DataFrame, str | None, str | None]]:
    """Consecutive slices of the sorted crosswalk (``total`` rows; ``take(offset,
    length)`` reads a slice), each with the key range it stands for.

    The ranges tile the whole key space (the first is open below, the last above),
    so every content and identifier row falls in exactly one slice's range.
    """
    starts = list(range(0, total, rows)) or [0]
    chunk = take(0, rows).collect()
    low = None
    for index in range(len(starts)):
        following = take(starts[index + 1], rows).collect() if index + 1 < len(starts) else None
        high = following.get_column("record_key").min() if following is not None else None
        yield chunk, low, high
        chunk, low = following, high


def _spill(frame: pl.DataFrame, folder: Path, name: str) -> None:
    """Write ``frame`` split by pid bucket: ``folder/<bucket>/<name>.parquet``."""
    if frame.is_empty():
        return
    try:  # partitioning on a small integer code is cheaper than on a string
        bucket = pl.col("pid").str.head(1).cast(_BUCKET_ENUM)
        keyed = frame.with_columns(bucket.alias("_b"))
    except pl.exceptions.InvalidOperationError:  # not a hex pid: bucket on its text
        keyed = frame.with_columns(pl.col("pid").str.head(1).alias("_b"))
    for (bucket,), part in keyed.partition_by("_b", as_dict=True, include_key=False).items():
        target = folder / str(bucket) / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_parquet(target, **_SPILL)


def _read_bucket(
    folder: Path, bucket: str, columns: list[str] | None = None
) -> pl.DataFrame | None:
    files = sorted((folder / bucket).glob("*.parquet"))
    if not files:
        return None
    frames = [pl.read_parquet(f, columns=columns) for f in files]
    if len({"_rid" in f.columns for f in frames}) > 1:
        # record pseudonyms as numbers where a file's keys had one shape, as text where
        # they had two (an extract's keys beside a month's): all as text, the same ids
        frames = [_record_ids_as_text(f) for f in frames]
    return pl.concat(frames)


def _record_ids_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    if "_rid" not in frame.columns:
        return frame
    text = record_ids_of_numbers(frame.get_column("_rid")).alias("record_pid")
    return frame.select(pl.lit(text) if c == "_rid" else pl.col(c) for c in frame.columns)


def _counts(linked: pl.DataFrame, column: str) -> pl.DataFrame:
    """Per pid and value of ``column``, how many records: in the order first seen, so a
    kept state (:mod:`enclave.deid.kept`) is the same bytes from run to run."""
    counts = linked.drop_nulls(column).group_by("pid", column, maintain_order=True)
    return counts.agg(pl.len().alias("n"))


def _mode(counts: pl.DataFrame, column: str) -> pl.DataFrame:
    """As ``deidentify._mode``, over summed partial counts."""
    return (
        counts.group_by("pid", column)
        .agg(pl.col("n").sum())
        .sort(["pid", "n", column], descending=[False, True, False])
        .group_by("pid", maintain_order=True)
        .agg(pl.col(column).first())
    )


def _in_sorted(values: pl.Series, pool: pl.Series, lengths: pl.Series) -> bool:
    """Whether any of ``values`` is in the sorted ``pool``, by binary search.

    ``leakscan`` hashes the pool on every call; called per column and bucket on a
    pool of millions of ids, that hashing dominated the whole stage. Only values of
    a length some pool entry has (``lengths``, in bytes) can match, so a column of
    pseudonyms is usually dismissed by length alone.
    """
    values = values.drop_nulls()
    values = values.filter(values.str.len_bytes().is_in(lengths.implode()))
    if values.is_empty() or pool.is_empty():
        return False
    at = pool.search_sorted(values).clip(0, pool.len() - 1)
    return bool((pool.gather(at) == values).any())


#: values sampled to tell a column of (nearly) all-distinct values
_SAMPLE = 4096


def _distinct(values: pl.Series) -> pl.Series:
    """``values`` without repeats, or all of them where few repeat (record pseudonyms):
    the checks give the same answer either way, and hashing every value of a column
    of distinct values cost more than checking them. Floats are kept whole: ``unique``
    takes 0.0 and -0.0 as one value, but their texts differ."""
    if values.dtype.is_float():
        return values
    head = values.head(_SAMPLE)
    if head.n_unique() * 2 > head.len():
        return values
    return values.unique()


@dataclass(frozen=True)
class SortedReference(LeakReference):
    """A reference (sorted, as every :class:`LeakReference` is) with the byte lengths
    its entries have, computed once from the entries themselves: on a pool of tens of
    millions of ids, per chunk scanned, they cost as much as the scan."""

    id_lengths: pl.Series = field(init=False)
    name_lengths: pl.Series = field(init=False)
    #: per numeric dtype, :meth:`numeric_ids` (filled on first use)
    _numeric: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        ids, names = self.agency_ids, self.name_dob.get_column("name")
        object.__setattr__(self, "id_lengths", ids.str.len_bytes().unique())
        object.__setattr__(self, "name_lengths", names.str.len_bytes().unique())

    def numeric_ids(self, dtype: pl.DataType) -> pl.Series:
        """The agency ids that are the text of a value of the numeric ``dtype``: those
        that parse as one and print back as themselves (usually none, or few)."""
        if dtype not in self._numeric:
            ids = self.agency_ids
            parsed = ids.cast(dtype, strict=False)
            self._numeric[dtype] = parsed.filter((parsed.cast(pl.String) == ids).fill_null(False))
        return self._numeric[dtype]

    @classmethod
    def of(cls, reference: LeakReference) -> SortedReference:
        if isinstance(reference, SortedReference):
            return reference
        return cls(agency_ids=reference.agency_ids, name_dob=reference.name_dob)


def scan_chunk(frame: pl.DataFrame, reference: LeakReference, path: Path | str) -> None:
    """:func:`enclave.deid.leakscan.scan_frame` on part of a file, with the same three checks.

    The agency-id and name lookups binary-search ``reference`` (sorted whatever the
    caller did: :class:`~enclave.deid.leakscan.LeakReference` sorts itself), and only a
    name hit goes on to the (name, birth date) pair check of ``leakscan``. Each check
    needs only a column's distinct values (pids, codes and dates repeat across a
    person's records), taken once. As in
    :func:`enclave.deid.leakscan.scan_file`, a file named after an agency has the codes of
    its code columns exempted (:func:`enclave.deid.leakscan.mask_codes`).
    """
    codes = leakscan.code_sets(Path(path).stem)
    reference = SortedReference.of(reference)
    ids, names = reference.agency_ids, reference.name_dob.get_column("name")
    id_lengths, name_lengths = reference.id_lengths, reference.name_lengths
    # a code column's codes are dropped from its distinct values, as masking them to
    # null in every row would (the checks pass over nulls), at the cost of the few
    distinct = {
        column: _without_codes(_distinct(frame.get_column(column)), codes.get(column))
        for column, dtype in frame.schema.items()
        if not dtype.is_nested()
    }
    text = [c for c, values in distinct.items() if values.dtype == pl.String]
    for column in text:  # the SSN pattern first, as leakscan checks it
        if distinct[column].str.contains(leakscan.SSN_PATTERN).any():
            raise LeakError(path, column, "ssn_pattern")
    for column, values in distinct.items():
        if values.dtype.is_numeric():
            # a number's text equals an id only if the id prints back from a number:
            # those few are matched as numbers, and any hit confirmed on the text
            values = values.filter(values.is_in(reference.numeric_ids(values.dtype).implode()))
        stripped = values.cast(pl.String).str.strip_chars()
        if _in_sorted(stripped, ids, id_lengths):
            raise LeakError(path, column, "agency_id")
    dates = [name for name, dtype in frame.schema.items() if dtype == pl.Date]
    for column in text if dates else []:
        upper = distinct[column].str.strip_chars().str.to_uppercase()
        if _in_sorted(upper, names, name_lengths) and leakscan._holds_name_with_dob(
            leakscan.mask_codes(frame, codes), column, dates, reference.name_dob
        ):
            raise LeakError(path, column, "name_with_birth_date")


def _without_codes(values: pl.Series, codes: frozenset[str] | None) -> pl.Series:
    """``values`` less those of the closed code set ``codes`` (text columns only)."""
    if not codes or values.dtype != pl.String:
        return values
    return values.filter(~values.is_in(pl.Series(sorted(codes), dtype=pl.String).implode()))


def merge_reference(parts: list[LeakReference]) -> LeakReference:
    if not parts:
        empty = pl.LazyFrame(
            schema={"agency_id": pl.String, "first_name": pl.String, "dob": pl.Date}
        )
        return SortedReference.of(LeakReference.from_identifiers(empty))
    ids = pl.concat([p.agency_ids for p in parts]).unique().sort()
    name_dob = pl.concat([p.name_dob for p in parts]).unique().sort("name", "dob")
    return SortedReference(agency_ids=ids, name_dob=name_dob)


def _covering(links: pl.DataFrame, keys: pl.Series) -> pl.DataFrame:
    """The rows of ``links`` (sorted on ``record_key``) from the least to the greatest of
    ``keys``: all that can join them. Joining each agency to the whole slice probed
    every agency's links once per agency.
    """
    if keys.null_count() == keys.len():
        return links.clear()
    column = links.get_column("record_key")
    low = column.search_sorted(keys.min(), side="left")
    high = column.search_sorted(keys.max(), side="right")
    return links.slice(low, high - low)


def _record_numbers(keys: pl.Series, stem: str, width: int) -> np.ndarray | None:
    """``keys``, each ``<stem>`` then ``width`` digits, as their numbers; None if one is not.

    Keys of one stem and width number in the order they sort, one number per key.
    """
    if keys.null_count():
        return None
    shaped = keys.str.starts_with(stem) & (keys.str.len_bytes() == len(stem.encode()) + width)
    if not shaped.all():
        return None
    digits = keys.str.slice(len(stem))
    # to_integer reads a sign too: "+0001" must not number like "00001"
    if (digits.str.starts_with("+") | digits.str.starts_with("-")).any():
        return None
    numbers = digits.str.to_integer(strict=False)
    return None if numbers.null_count() else numbers.to_numpy()


def link_rows(keys: pl.Series, link_keys: pl.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """For each of ``keys``, whether ``link_keys`` holds it and at which row.

    A hash join on record-key strings was most of the cost of pseudonymising: record
    keys are ``<agency>-<row number>`` (docs/INTERFACES.md), so they are found by
    binary search on their numbers instead. None when the keys are not all of one
    such form, or ``link_keys`` are not strictly increasing: then join on strings.
    """
    first = keys[0] if keys.len() else None
    if first is None or link_keys.is_empty():
        return None
    stem = first.rstrip("0123456789")
    width = len(first) - len(stem)
    if not 0 < width <= 18:  # an int64 holds every 18-digit number
        return None
    numbers = _record_numbers(keys, stem, width)
    pool = _record_numbers(link_keys, stem, width) if numbers is not None else None
    if pool is None or not bool(np.all(pool[1:] > pool[:-1])):
        return None
    rows = np.searchsorted(pool, numbers).clip(max=len(pool) - 1)
    return pool[rows] == numbers, rows


def join_links(frame: pl.DataFrame, links: pl.DataFrame, rows=...) -> pl.DataFrame:
    """``frame`` inner-joined to ``links`` (unique ``record_key``) on ``record_key``.

    By :func:`link_rows` where it applies, keeping ``frame``'s row order; else a
    hash join. Either way the same rows and columns (row order aside). ``rows``, if
    given, is :func:`link_rows` of these keys, computed before.
    """
    others = [c for c in links.columns if c != "record_key"]
    if set(others) & set(frame.columns):
        rows = None
    elif rows is ...:
        rows = link_rows(frame.get_column("record_key"), links.get_column("record_key"))
    if rows is None:
        return frame.join(links, on="record_key", how="inner")
    found, at = rows
    if not found.all():
        frame, at = frame.filter(pl.Series(found)), at[found]
    return frame.hstack(links.select(others)[at])


#: the identifier columns deidentify reads: the join key, the consensus demographics,
#: and what the leak reference is made of
_IDENTIFIER_COLUMNS = (
    "record_key",
    *leakscan.ID_COLUMNS,
    "dob",
    "sex",
    *dict.fromkeys(c for pair in leakscan.NAME_DOB_PAIRS for c in pair),
)


def _identifier_scan(path: Path | list[Path]) -> pl.LazyFrame:
    """The identifier file(s), only the columns :data:`_IDENTIFIER_COLUMNS` it has."""
    scan = pl.scan_parquet(path)
    names = scan.collect_schema().names()
    return scan.select([c for c in names if c in _IDENTIFIER_COLUMNS])


def _identifiers(scan: pl.LazyFrame, low: str | None, high: str | None) -> pl.DataFrame:
    return scan.filter(in_bucket("record_key", (low, high))).collect()


def spill_records(
    agencies: list[str],
    staged: Path,
    crosswalk: partfiles.Rows,
    persons: pl.DataFrame,
    pseudonymise_content,  # deidentify._pseudonymise_content, keys bound
    work: Path,
    period: tuple[datetime.date, datetime.date] | None = None,
    deliveries: dict[str, list[str]] | None = None,
    prefix: str = "",
) -> tuple[LeakReference, dict[str, int], pl.Series]:
    """Step 1: pseudonymised records per agency and bucket, birth/sex counts, leak reference.

    ``period``: keep only records whose span meets it (a project's study period,
    :func:`enclave.analytic.records.in_period`); the dates of birth and sexes counted
    come from those records only. The leak reference holds every identifier of the
    agencies, in the period or not.

    ``deliveries``: per agency, only these deliveries (``extract`` or ``YYYY-MM``), and
    only the crosswalk's rows in their key ranges (a month folded into a kept state,
    :mod:`enclave.deid.kept`); ``prefix`` starts every spill file's name.

    Returns the leak reference, the linked records per agency, and the pids that hold
    at least one record (the project's persons).
    """

    def files(agency: str, name: str) -> list[Path]:
        folder = staged / agency
        if deliveries is None:
            return delivered(folder, name)
        return [folder / name if d == EXTRACT else folder / d / name for d in deliveries[agency]]

    contents = {a: pl.scan_parquet(files(a, "content.parquet")) for a in agencies}
    identifiers = {a: _identifier_scan(files(a, "identifiers.parquet")) for a in agencies}
    references, linked, present = [], dict.fromkeys(agencies, 0), []
    if deliveries is None:
        ordered = sorted_crosswalk(crosswalk, work)
        total = len(ordered)

        def take(offset: int, length: int) -> pl.LazyFrame:
            return ordered.slice(offset, length).select(*_LINK_COLUMNS)
    else:
        rows = crosswalk_rows(crosswalk, list(contents.values()))
        total = rows.height

        def take(offset: int, length: int) -> pl.LazyFrame:
            return rows.slice(offset, length).lazy()

    def spill_slice(item: tuple[int, tuple[pl.DataFrame, str | None, str | None]]) -> list[Spilled]:
        index, (chunk, low, high) = item
        # kept in record_key order, so each agency's links are one slice of them
        links = chunk.join(persons, on="person_key", how="inner", maintain_order="left").select(
            "record_key", "pid", "match_probability", "link_evidence"
        )
        name = f"{prefix}{index:06d}"
        found = [
            _spill_agency(
                agency,
                bounds=(low, high),
                period=period,
                contents=contents,
                identifiers=identifiers,
                links=links,
                pseudonymise_content=pseudonymise_content,
                work=work,
                name=name,
            )
            for agency in agencies
        ]
        # one file per slice and bucket for all agencies: each spill file costs
        # writing, reading and, above all, deleting (a few ms each)
        for column in ("dob", "sex"):
            parts = [counts[column] for *_, counts, _ in found if column in counts]
            if parts:
                _spill(pl.concat(parts), work / f"_{column}", name)
        return found

    # two slices at a time: the crosswalk is in record_key order, so a slice is mostly
    # one agency's records, and running agencies side by side left a core idle
    slices = enumerate(_slices(total, take, SLICE_ROWS))
    for found in ordered_map(spill_slice, slices):
        for agency, (height, reference, _, pids) in zip(agencies, found, strict=True):
            linked[agency] += height
            present.append(pids)
            if reference is not None:
                references.append(reference)
    pids = pl.concat(present).unique().sort() if present else pl.Series("pid", [], pl.String)
    return merge_reference(references), linked, pids


_LINK_COLUMNS = ("record_key", "person_key", "match_probability", "link_evidence")


def crosswalk_rows(crosswalk: partfiles.Rows, contents: list[pl.LazyFrame]) -> pl.DataFrame:
    """The crosswalk's rows whose key lies between the least and greatest of one of
    ``contents`` (a delivery's keys are one range: ``<agency>-<YYYYMM>-<row>``), sorted
    on ``record_key``: a sorted crosswalk is read only where they fall."""
    keep = pl.lit(False)
    for scan in contents:
        key = pl.col("record_key")
        bounds = scan.select(key.min().alias("low"), key.max().alias("high"))
        low, high = bounds.collect().row(0)
        if low is not None:
            keep = keep | key.is_between(pl.lit(low), pl.lit(high))
    rows = crosswalk.unordered().select(*_LINK_COLUMNS).filter(keep)
    return rows.collect().sort("record_key")


def _spill_agency(
    agency: str,
    *,
    bounds: tuple[str | None, str | None],
    period: tuple[datetime.date, datetime.date] | None,
    contents: dict[str, pl.LazyFrame],
    identifiers: dict[str, pl.LazyFrame],
    links: pl.DataFrame,
    pseudonymise_content,
    work: Path,
    name: str,
) -> Spilled:
    """One agency's records with keys in ``bounds``, pseudonymised and spilled to
    ``work/<agency>``, files named ``name``.

    Returns the records linked, the slice's leak reference (None without identifiers),
    the per-person counts of dates of birth and sexes, and the pids holding a record.
    """
    content = contents[agency].filter(in_bucket("record_key", bounds))
    provisioned = None  # which of the slice's records fall in the period
    if period is not None:
        content = content.with_columns(in_period(agency, period).alias("_provisioned")).collect()
        provisioned = content.get_column("_provisioned")
        every_key = content.get_column("record_key")
        content = content.filter(provisioned).drop("_provisioned")
    else:
        content = content.collect()
    ids = _identifiers(identifiers[agency], *bounds)
    keys = content.get_column("record_key")
    cover, rows, height = None, ..., 0
    pids = pl.Series("pid", [], pl.String)
    if not content.is_empty():
        cover = _covering(links, keys)
        rows = link_rows(keys, cover.get_column("record_key"))
        records = pseudonymise_content(agency, content, cover, rows=rows)
        height = records.height
        pids = records.get_column("pid").unique()
        _spill(records, work / agency, name)
    if ids.is_empty():
        return height, None, {}, pids
    reference = LeakReference.from_identifiers(ids.lazy())  # every identifier, any period
    if provisioned is not None:  # demographics from the records provisioned only
        # staged identifiers and content hold one row per record in the same order:
        # then the content's period mask applies row for row (a set lookup of every
        # key took a tenth of the spill at 1M)
        if ids.get_column("record_key").equals(every_key):
            ids = ids.filter(provisioned)
        else:
            ids = ids.filter(pl.col("record_key").is_in(keys.implode()))
    id_keys = ids.get_column("record_key")
    if cover is None or not id_keys.equals(keys):  # else: found already
        cover, rows = _covering(links, id_keys), ...
    demo = join_links(
        ids.select("record_key", pl.col("dob").cast(pl.Date), "sex"),
        cover.select("record_key", "pid"),
        rows,
    )
    return height, reference, {c: _counts(demo, c) for c in ("dob", "sex")}, pids


def quasi_identifiers(
    agencies: list[str], persons: pl.DataFrame, dob_precision: str, work: Path
) -> pl.DataFrame:
    """Step 2: ``demographics`` joined to the latest county, per bucket, in pid order."""
    month = pl.col("dob").dt.month().cast(pl.Int8)
    parts = []
    for bucket in BUCKET_CHARS:
        pids = persons.filter(pl.col("pid").str.head(1) == bucket).select("pid").sort("pid")
        if pids.is_empty():
            continue
        found = {}
        for column in ("dob", "sex"):
            counts = _read_bucket(work / f"_{column}", bucket)
            found[column] = (
                _mode(counts, column)
                if counts is not None
                else pl.DataFrame(schema={"pid": pl.String, column: _DTYPES[column]})
            )
        demographics = (
            pids.join(found["dob"], on="pid", how="left")
            .join(found["sex"], on="pid", how="left")
            .select(
                "pid",
                pl.col("dob").dt.year().cast(pl.Int32).alias("birth_year"),
                (month if dob_precision == "year_month" else pl.lit(None, pl.Int8)).alias(
                    "birth_month"
                ),
                "sex",
            )
            .sort("pid")
        )
        records = {}
        for agency in agencies:
            if "county_fips" not in _kept_columns(agency):
                continue
            # the latest county needs three columns of the agency's nine or so
            needed = ["pid", *reference_date(agency).meta.root_names(), "county_fips"]
            frame = _read_bucket(work / agency, bucket, list(dict.fromkeys(needed)))
            if frame is not None:
                records[agency] = frame
        parts.append(demographics.join(latest_county(records), on="pid", how="left"))
    return pl.concat(parts)


def _kept_columns(agency: str) -> list[str]:
    return [("county_fips" if c == "zip" else c) for c in CONTENT_COLUMNS[agency]]


def write_tables(
    agencies: list[str],
    generalised: pl.DataFrame,
    apply_generalisation,  # deidentify._apply_person_generalisation
    reference: LeakReference,
    work: Path,
    out: Path,
    shown: Path,
    keep: bool = False,
) -> dict[str, int]:
    """Step 3: each agency's file, bucket by bucket in pid order, leak-scanned first.
    ``keep``: leave the spill in place (a kept state, :mod:`enclave.deid.kept`)."""
    persons = {b: generalised.filter(pl.col("pid").str.head(1) == b) for b in BUCKET_CHARS}

    def write(agency: str) -> int:
        rows = _write_agency(agency, persons, apply_generalisation, reference, work, out, shown)
        # deleting thousands of spill files is slow; a thread waiting on the file
        # system costs no CPU, so it runs while the next agency is written
        if not keep:
            cleanup.submit(shutil.rmtree, work / agency, ignore_errors=True)
        return rows

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="spill-delete") as cleanup:
        return {agency: write(agency) for agency in agencies}


def _write_agency(
    agency: str,
    persons: dict[str, pl.DataFrame],
    apply_generalisation,
    reference: LeakReference,
    work: Path,
    out: Path,
    shown: Path,
) -> int:
    """One agency's file from its spill, bucket by bucket; the rows written.

    Two buckets are made and leak-scanned at a time (one agency, IDES's wages, is
    half of all records, so agencies side by side left a core idle); they are
    written in bucket order.
    """
    path = out / f"{agency}.parquet"

    def bucket_table(bucket: str) -> pl.DataFrame | None:
        frame = _read_bucket(work / agency, bucket)
        if frame is None:
            return None
        made = apply_generalisation(agency, frame, persons[bucket])
        scan_chunk(made, reference, shown / f"{agency}.parquet")
        return made

    sink = None
    try:
        with BackgroundWrites() as writes:
            for table in ordered_map(bucket_table, BUCKET_CHARS):
                if table is None:
                    continue
                if sink is None:
                    sink = io.ParquetSink(path, table.schema)
                writes.write(sink, table)
    finally:
        if sink is not None:
            sink.close()
    return sink.rows if sink is not None else 0
