"""Agency extracts from the synthetic world, each in its agency's own format.

For each agency: the world's program table is turned into canonical records (one
per row of the extract's grain), each record gets the person's identifiers as of
the record date (surname history, residence), identifier errors are injected
(:mod:`enclave.synth.noise`), the record is formatted in the agency's columns,
dates and codes (the contract is the single source of the columns and widths),
a few rows are broken or repeated on purpose, and the file's bytes are rendered.
The records truth says who each row really is and which errors it carries.

Everything is pure except :func:`emit_all`, which writes the files.
"""

from __future__ import annotations

import datetime
import io
import itertools
import shutil
import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from unidecode import unidecode

from enclave import contracts
from enclave.config import AGENCIES, SynthParams
from enclave.contracts import aging, dceo, dcfs, djj, hfs, ides_ui, idhs, idoc, idph, idva, isbe
from enclave.contracts.base import Contract, FixedWidth, key_prefix
from enclave.io import atomic_file, write_parquet
from enclave.parallel import ordered_map
from enclave.synth import noise
from enclave.synth.tables import sort_nulls_last
from enclave.synth.world import World, empty

#: records truth columns before the ``err_<kind>`` flags
TRUTH_COLUMNS = ("record_key", "agency", "person_id", "mother_id", "father_id")


#: records per piece when an extract is built in pieces: memory stays bounded at any size
CHUNK_ROWS = 1_000_000


def emit_all(world: World, params: SynthParams, landing: Path) -> pl.DataFrame:
    """Write every agency's extract to ``landing/<agency>/<filename>``; return the
    records truth (``record_key``, ``agency``, ``person_id``, ``mother_id``,
    ``father_id`` and one ``err_<kind>`` boolean per error kind)."""
    truths = []
    identity = _identity(world)
    for agency in AGENCIES:
        pieces: list[pl.DataFrame] = []
        write_extract(world, params, agency, landing, pieces.append, identity=identity)
        truths.append(pl.concat(pieces, how="vertical", rechunk=True))
    return pl.concat(truths, how="vertical")


def write_extracts(
    world: World, params: SynthParams, landing: Path, parts: Path, chunk_rows: int | None = None
) -> None:
    """Write every agency's extract, and the records truth in pieces under ``parts``
    (for :func:`merge_records`, once the world is no longer held)."""
    identity = _identity(world)  # the same for every agency: made once
    for agency in AGENCIES:
        keep = _numbered(Path(parts) / agency)
        write_extract(world, params, agency, landing, keep, chunk_rows, identity)


def _numbered(folder: Path) -> Callable[[pl.DataFrame], None]:
    """Write each frame given to the next numbered parquet file in ``folder``."""
    count = itertools.count()
    return lambda frame: write_parquet(frame, folder / f"{next(count):06d}.parquet")


def merge_records(parts: Path, path: Path) -> None:
    """The records truth from the pieces :func:`write_extracts` wrote (removed after):
    the same file as writing :func:`emit_all`'s frame (one chunk per agency)."""
    frames = []
    for agency in AGENCIES:
        files = sorted((Path(parts) / agency).glob("*.parquet"))
        frames.append(pl.concat([pl.read_parquet(f) for f in files], rechunk=True))
    write_parquet(pl.concat(frames, how="vertical"), path)
    del frames
    shutil.rmtree(parts)


def write_extract(
    world: World,
    params: SynthParams,
    agency: str,
    landing: Path,
    keep: Callable[[pl.DataFrame], None],
    chunk_rows: int | None = None,
    identity: _Identity | None = None,
) -> None:
    """Write one agency's extract to ``landing/<agency>/<filename>`` a piece of records
    at a time, handing each piece's records truth to ``keep``. Pieces give the bytes
    the whole extract built at once would give. ``identity``: everyone's identifiers
    (:func:`_identity`), for a caller writing several extracts to make once."""
    plan = _plan(world, params, agency, identity)
    step = max(plan.n, 1) if plan.spec.whole else (chunk_rows or CHUNK_ROWS)
    folder, name = Path(landing) / agency, plan.contract.filename
    deliveries = [(folder / name, 0, plan.n, None)]
    if agency in params.last_month:
        month, split = last_month(plan, params)
        deliveries = [(folder / name, 0, split, None)]
        if params.last_month[agency] == "separate" and split < plan.n:
            deliveries.append((folder / month / name, split, plan.n, month))
    for path, low, high, month in deliveries:

        def rendered(start: int, low=low, high=high, month=month) -> tuple[bytes, pl.DataFrame]:
            raw, truth = _piece(plan, start, min(start + step, high), low, month)
            return render(plan.contract, raw, header=start == low), truth

        # every draw was made in the plan, so pieces are independent: two are built at
        # once (one alone left a core idle), and written in order
        with atomic_file(path) as tmp, tmp.open("wb") as out:
            for text, truth in ordered_map(rendered, range(low, max(high, low + 1), step), ahead=1):
                out.write(text)
                keep(truth)


def last_month(plan: _Plan, params: SynthParams) -> tuple[str, int]:
    """The world's last month (``YYYY-MM``) and the first of the agency's records (in
    extract order, which is by date) that a monthly delivery of it would bring: those
    dated in it, and any undated ones after them."""
    first = datetime.date(params.end_year, 12, 1)
    dates = plan.records.get_column("date")
    return first.strftime("%Y-%m"), int(dates.search_sorted(first, side="left"))


def build_extract(
    world: World, params: SynthParams, agency: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One agency's extract rows (text, the contract's columns) and their records truth."""
    plan = _plan(world, params, agency)
    return _piece(plan, 0, plan.n)


@dataclass(frozen=True)
class _Plan:
    """What an extract's pieces share: the sorted canonical records, their identity
    units, and every random draw, made over the whole extract in one fixed order."""

    agency: str
    contract: Contract
    spec: Spec
    records: pl.DataFrame
    units: np.ndarray
    identity: _Identity
    draws: noise.Draws
    parents: list[noise.Draws] | None
    invalid: np.ndarray
    choice: np.ndarray
    repeat: np.ndarray

    @property
    def n(self) -> int:
        return self.records.height


def _plan(
    world: World, params: SynthParams, agency: str, identity: _Identity | None = None
) -> _Plan:
    """Sort the agency's records, find their units, make every draw in the order
    building the extract at once made them, and add the whole-extract numbers."""
    spec = SPECS[agency]
    rng = np.random.default_rng([params.seed, AGENCIES.index(agency)])
    rates = noise.rates_for(params, agency)
    # units and ranks do not depend on row order: found before the sort, while the
    # strings are still in table order (after it, hashing them reads memory out of
    # order: 6.6 against 0.6 s for IDHS's case numbers), and carried through it
    records = spec.records(world)
    records = records.with_columns(_units(records, spec.unit))
    for c in spec.ranked:
        records = _with_dense_rank(records, c)
    order = ["date", "person_id", *spec.order]
    records = sort_nulls_last(records, order, maintain_order=True)
    units = records.get_column("_unit").to_numpy().astype(np.int64)
    records = records.drop("_unit")
    n = records.height
    draws = noise.draw_identifier_errors(rates, rng, units, spec.carries)
    parents = noise.draw_parent_errors(rates, rng, n) if "mother_first" in records.columns else None
    invalid = rng.random(n) < rates.invalid_row
    choice = rng.integers(0, len(spec.invalid), n)
    repeat = rng.random(n) < rates.duplicate_row
    identity = identity or _identity(world)
    if spec.numbering is not None:
        dob = _delivered_dob(identity, records, units, draws)
        records = spec.numbering(records.with_columns(dob)).drop("dob")
    return _Plan(
        agency, contracts.get(agency), spec, records, units, identity, draws, parents,
        invalid, choice, repeat,
    )  # fmt: skip


def _piece(
    plan: _Plan, start: int, stop: int, first: int = 0, month: str | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records ``start:stop`` of the extract as rows (text, the contract's columns,
    repeats included) and their records truth, keyed as rows of the delivery whose
    first record is ``first`` (the monthly delivery of ``month``, or the extract)."""
    spec, contract = plan.spec, plan.contract
    records = _identify(plan.identity, plan.records.slice(start, stop - start))
    noisy, flags = noise.apply_drawn(records, plan.draws, plan.units[start:stop], start)
    parent_flag = pl.Series(f"err_{noise.PARENT_KIND}", np.zeros(noisy.height, dtype=bool))
    if plan.parents is not None:
        noisy, parent_flag = noise.apply_parent_drawn(noisy, plan.parents, start)
    raw = spec.format(noisy).select(contract.columns)
    del noisy
    raw = _fit_widths(contract, raw)
    invalid = plan.invalid[start:stop]
    raw = _break_rows(raw, invalid, spec.invalid, plan.choice[start:stop])
    truth = records.select(
        "person_id",
        pl.col("mother_id")
        if "mother_id" in records.columns
        else pl.lit(None, pl.Int64).alias("mother_id"),
        pl.col("father_id")
        if "father_id" in records.columns
        else pl.lit(None, pl.Int64).alias("father_id"),
    ).with_columns(
        *flags.get_columns(), parent_flag, err_invalid_row=pl.Series(invalid, dtype=pl.Boolean)
    )
    first_key = start - first + int(plan.repeat[first:start].sum()) + 1
    prefix = key_prefix(plan.agency, month)
    return _with_duplicates(prefix, plan.agency, raw, truth, plan.repeat[start:stop], first_key)


def render(contract: Contract, raw: pl.DataFrame, header: bool = True) -> bytes:
    """The bytes of a landing file (or of a run of its rows, ``header`` for the first):
    delimited with a header, or fixed-width lines."""
    if isinstance(contract.layout, FixedWidth):
        padded = raw.select(
            pl.col(c).fill_null("").str.pad_end(w)
            for c, w in zip(raw.columns, contract.widths, strict=True)
        )
        line = pl.concat_str([*(pl.col(c) for c in padded.columns), pl.lit("\n")])
        text = padded.select(line.str.join("")).item() if raw.height else ""
    else:
        layout = contract.layout
        out = io.BytesIO()
        raw.write_csv(
            out, separator=layout.delimiter, line_terminator=layout.eol, include_header=header
        )
        if layout.encoding == "utf-8":  # polars writes UTF-8: no round trip through str
            return out.getvalue()
        text = out.getvalue().decode("utf-8")
    return text.encode(contract.layout.encoding)


# --------------------------------------------------------------------------- shared steps


def _units(records: pl.DataFrame, cols: tuple[str, ...]) -> pl.Series:
    """Each record's identity-unit index, ``_unit`` (rows of a unit share their error
    draws): the rank of its ``cols`` among their distinct values, in sorted order."""
    keys = records.select(cols).unique().sort(cols).with_row_index("_unit")
    joined = records.select(cols).join(keys, on=list(cols), how="left", maintain_order="left")
    return joined.get_column("_unit").cast(pl.Int64)


@dataclass(frozen=True)
class _History:
    """A dated history of each person (``valid_from``), in person and date order: the
    row valid at a date is found by a binary search on one packed key
    (:func:`_packed`)."""

    keys: np.ndarray
    values: pl.DataFrame


@dataclass(frozen=True)
class _Identity:
    """Everyone's identifiers, ready to attach to records: fixed ones per person (row
    ``row_of[person_id]`` of ``people``), and the surname and residence histories."""

    people: pl.DataFrame
    row_of: np.ndarray
    surnames: _History
    residences: _History


def _identity(world: World) -> _Identity:
    persons = _table(world, "persons")
    parents = persons.select(pl.col("person_id").alias("_pid"), pl.col("ssn").alias("_pssn"))
    people = (
        persons.join(parents, left_on="mother_id", right_on="_pid", how="left")
        .rename({"_pssn": "_mssn"})
        .join(parents, left_on="father_id", right_on="_pid", how="left")
        .select(
            "person_id",
            "first_name",
            "middle_name",
            pl.col("last_name").alias("birth_last_name"),
            "suffix",
            "sex",
            "dob",
            "ssn",
            pl.coalesce("_mssn", "_pssn").alias("family_ssn"),
        )
    )
    ids = people.get_column("person_id").to_numpy()
    row_of = np.full(int(ids.max(initial=0)) + 1, -1, dtype=np.int64)
    row_of[ids] = np.arange(len(ids))
    return _Identity(
        people,
        row_of,
        _history(_table(world, "surnames"), ["last_name"]),
        _history(_table(world, "residences"), ["street_address", "city", "zip"]),
    )


def _with_dense_rank(records: pl.DataFrame, col: str) -> pl.DataFrame:
    """Add ``_rank_<col>``: the column's dense rank (``rank("dense")``, by a join: many
    times faster on strings)."""
    values = records.select(pl.col(col).drop_nulls().unique().sort())
    values = values.with_row_index(f"_rank_{col}", offset=1)
    return records.join(values, on=col, how="left", maintain_order="left")


def _identify(identity: _Identity, records: pl.DataFrame) -> pl.DataFrame:
    """Attach the person's identifiers as of the record's ``date``, in the records'
    order. A person is a row of ``people`` by number (a lookup, where a join on
    ``person_id`` hashed every record: a quarter of a piece's time at 1M)."""
    pid = records.get_column("person_id")
    ids = pid.fill_null(0).to_numpy()
    known = pid.is_not_null().to_numpy() & (ids >= 0) & (ids < len(identity.row_of))
    rows = np.where(known, identity.row_of[np.where(known, ids, 0)], -1)
    people = identity.people.drop("person_id").select(pl.all().gather(_present(rows)))
    out = _as_of(records.hstack(people.get_columns()), identity.surnames)
    out = _as_of(out, identity.residences)
    return out.with_columns(pl.coalesce("last_name", "birth_last_name").alias("last_name"))


def _present(rows: np.ndarray) -> pl.Series:
    """Row numbers for a gather, null where ``rows`` is negative (no row)."""
    return pl.select(pl.when(pl.Series(rows >= 0)).then(pl.Series(rows))).to_series()


def _delivered_dob(
    identity: _Identity, records: pl.DataFrame, units: np.ndarray, draws: noise.Draws
) -> pl.Series:
    """Each record's date of birth as the agency delivers it (the errors of its unit).

    A unit is one person, and errors are drawn per unit, so the delivered date of
    birth is the unit's: found here once per unit, ahead of the pieces, for
    numbering that spans the whole extract.
    """
    _, first = np.unique(units, return_index=True)
    ids = records["person_id"].gather(first).to_frame()
    dobs = ids.join(identity.people.select("person_id", "dob"), on="person_id", how="left",
                    maintain_order="left")  # fmt: skip
    blank = pl.lit(None, pl.String)
    frame = dobs.select(
        *(blank.alias(c) for c in ("first_name", "middle_name", "last_name", "birth_last_name")),
        "dob",
        *(blank.alias(c) for c in ("ssn", "family_ssn")),
    )
    noisy, _ = noise.apply_drawn(frame, draws, np.arange(len(first)))
    return noisy["dob"].gather(units)


def _history(table: pl.DataFrame, cols: list[str]) -> _History:
    """A dated history (``valid_from``) ready for :func:`_as_of` (two rows of a person
    from one day: the later row in ``table`` is the one found)."""
    ordered = table.sort("person_id", "valid_from", maintain_order=True)
    keys = _packed(ordered.get_column("person_id"), ordered.get_column("valid_from"))
    return _History(keys, ordered.select(cols))


def _packed(person_id: pl.Series, date: pl.Series) -> np.ndarray:
    """(person, date) as one int64 that sorts as the pair: the person in the high 32
    bits, the day number (offset to be non-negative) in the low 32."""
    days = date.cast(pl.Int32).cast(pl.Int64).fill_null(0).to_numpy() + 2**31
    return (person_id.fill_null(0).to_numpy().astype(np.int64) << 32) | days


def _as_of(records: pl.DataFrame, history: _History) -> pl.DataFrame:
    """Attach the history's row valid at each record's ``date`` (the latest
    ``valid_from`` on or before it), in the records' order; nothing for a record with
    no person or no date, or dated before the person's first row."""
    pid, date = records.get_column("person_id"), records.get_column("date")
    keys = _packed(pid, date)
    at = np.searchsorted(history.keys, keys, side="right") - 1
    found = (pid.is_not_null() & date.is_not_null()).to_numpy() & (at >= 0)
    if found.any():  # the row found is the person's own
        found &= history.keys[np.maximum(at, 0)] >> 32 == keys >> 32
    values = history.values.select(pl.all().gather(_present(np.where(found, at, -1))))
    return records.hstack(values.get_columns())


def _table(world: World, name: str) -> pl.DataFrame:
    return world.tables.get(name, empty(name))


def _fit_widths(contract: Contract, raw: pl.DataFrame) -> pl.DataFrame:
    """Fixed-width agencies keep ASCII only and cut values to their field width."""
    if not isinstance(contract.layout, FixedWidth):
        return _encodable(raw, contract.layout.encoding)
    raw = _encodable(raw, "ascii")
    return raw.with_columns(
        pl.col(c).str.slice(0, w) for c, w in zip(raw.columns, contract.widths, strict=True)
    )


def _encodable(raw: pl.DataFrame, encoding: str) -> pl.DataFrame:
    """Transliterate the values an encoding cannot hold (José stays José in cp1252)."""

    def fix(value: str) -> str:
        try:
            value.encode(encoding)
        except UnicodeEncodeError:
            return unidecode(value)
        return value

    out = []
    for c in raw.columns:
        # only non-ASCII values can fail to encode; names are the only such values
        ascii_only = raw[c].str.len_bytes() == raw[c].str.len_chars()
        values = raw[c].filter(~ascii_only).unique().sort()
        mapping = {v: fix(v) for v in values.to_list() if fix(v) != v}
        out.append(pl.col(c).replace(mapping) if mapping else pl.col(c))
    return raw.select(out)


def _break_rows(
    raw: pl.DataFrame,
    invalid: np.ndarray,
    options: tuple[tuple[str, str], ...],
    choice: np.ndarray,
) -> pl.DataFrame:
    """Rows drawn ``invalid`` get one value their contract rejects (option ``choice``)."""
    return raw.with_columns(
        pl.when(pl.Series(invalid & (choice == i)))
        .then(pl.lit(bad))
        .otherwise(pl.col(col))
        .alias(col)
        for i, (col, bad) in enumerate(options)
    )


def _with_duplicates(
    prefix: str,
    agency: str,
    raw: pl.DataFrame,
    truth: pl.DataFrame,
    repeat: np.ndarray,
    first_key: int = 1,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Repeat the drawn rows right after themselves; give every row its record key
    (``prefix`` and the row, numbered on from ``first_key``)."""
    order = np.sort(np.concatenate([np.arange(raw.height), np.flatnonzero(repeat)]), kind="stable")
    is_copy = np.zeros(len(order), dtype=bool)
    is_copy[1:] = order[1:] == order[:-1]
    raw = raw[order]
    truth = truth[order].with_columns(err_duplicate_row=pl.Series(is_copy))
    rows = pl.int_range(first_key, first_key + len(order), eager=True)
    rows = rows.cast(pl.String).str.zfill(9)
    keys = prefix + rows
    truth = truth.select(
        pl.lit(keys).alias("record_key"),
        pl.lit(agency).alias("agency"),
        pl.col("person_id").cast(pl.Int64),
        pl.col("mother_id").cast(pl.Int64),
        pl.col("father_id").cast(pl.Int64),
        *(pl.col(f"err_{k}").fill_null(False) for k in noise.KINDS),
    )
    return raw, truth


# --------------------------------------------------------------------------- formatting helpers


def _fmt(expr: pl.Expr, fmt: str) -> pl.Expr:
    """A date in an agency's format (DD-MON-YYYY months upper case)."""
    out = expr.dt.strftime(fmt)
    return out.str.to_uppercase() if "%b" in fmt else out


def _code(expr: pl.Expr, mapping: dict[str, str], default: str | None = None) -> pl.Expr:
    """A world code as the agency codes it (``default`` for values it has no code for)."""
    fallback = mapping.get("OTHER", default)
    coded = expr.str.to_uppercase().replace_strict(
        mapping, default=fallback, return_dtype=pl.String
    )
    return pl.when(expr.is_not_null()).then(coded)


def _affine_id(width: int, mult: int, add: int, low: int) -> pl.Expr:
    """A stable per-person agency number: a bijection of ``person_id`` onto ``width`` digits."""
    span = 10**width - low
    return ((pl.col("person_id") * mult + add) % span + low).cast(pl.String).str.zfill(width)


def _money(expr: pl.Expr) -> pl.Expr:
    """Dollars with two decimals (1234.5 -> 1234.50)."""
    cents = (expr * 100).round(0).cast(pl.Int64)
    return (cents // 100).cast(pl.String) + "." + (cents % 100).cast(pl.String).str.zfill(2)


def _upper(col: str) -> pl.Expr:
    return pl.col(col).str.to_uppercase().alias(col)


def _initial(col: str) -> pl.Expr:
    return pl.col(col).str.slice(0, 1).str.to_uppercase()


def _ranked(expr: pl.Expr, width: int, prefix: str) -> pl.Expr:
    """A column's dense rank over the whole extract rendered as an agency number
    (``prefix`` + zero-padded digits); the column must be in its spec's ``ranked``."""
    rank = pl.col(f"_rank_{expr.meta.output_name()}")
    return prefix + rank.cast(pl.String).str.zfill(width)


# --------------------------------------------------------------------------- per-agency specs


@dataclass(frozen=True)
class Spec:
    """How one agency's extract is built from the world."""

    #: world -> canonical records: ``person_id``, ``date`` (for as-of lookups), content
    records: Callable[[World], pl.DataFrame]
    #: noisy canonical records -> the agency's columns, as text
    format: Callable[[pl.DataFrame], pl.DataFrame]
    #: columns of an identity unit (rows of a unit repeat the same identifier errors)
    unit: tuple[str, ...]
    #: identifiers the agency delivers: name, dob, ssn, alias
    carries: frozenset[str]
    #: (column, value its contract rejects) for the rows broken on purpose
    invalid: tuple[tuple[str, str], ...]
    #: extra sort keys after date and person, for a stable row order
    order: tuple[str, ...] = ()
    #: columns numbered by their dense rank over the whole extract (see ``_ranked``)
    ranked: tuple[str, ...] = ()
    #: numbering over the whole extract that needs the delivered ``dob``: sorted
    #: records with ``dob`` -> the records with the numbers added
    numbering: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    #: rows depend on other rows (alias names, serial numbers): built in one piece
    whole: bool = False


NAME_DOB_SSN = frozenset({"name", "dob", "ssn"})


def _hfs_records(world: World) -> pl.DataFrame:
    return _table(world, "medicaid").select(
        "person_id", pl.col("start").alias("date"), "end", "category"
    )


def _hfs_format(df: pl.DataFrame) -> pl.DataFrame:
    f = hfs.DATE_FORMAT
    return df.select(
        _affine_id(9, 7919, 104_729, 100_000_000).alias("RECIP_ID"),
        pl.col("ssn").alias("SSN"),
        pl.col("first_name").str.to_uppercase().alias("FIRST_NM"),
        _initial("middle_name").alias("MID_INIT"),
        pl.col("last_name").str.to_uppercase().alias("LAST_NM"),
        pl.col("suffix").alias("NAME_SFX"),
        _fmt(pl.col("dob"), f).alias("BIRTH_DT"),
        pl.col("sex").replace_strict(hfs.SEX_CODES, default="U").alias("SEX_CD"),
        pl.col("zip").alias("ZIP5"),
        _fmt(pl.col("date"), f).alias("ELIG_BEGIN_DT"),
        _fmt(pl.col("end"), f).alias("ELIG_END_DT"),
        _code(pl.col("category"), hfs.CATEGORY_CODES).alias("ELIG_CAT"),
    )


def _idhs_records(world: World) -> pl.DataFrame:
    return _table(world, "snap_tanf").select(
        "person_id", pl.col("month").alias("date"), "case_id", "program", "relationship"
    )


def _idhs_members(records: pl.DataFrame) -> pl.DataFrame:
    """Member numbers within a case, in order of (delivered) date of birth. A case is
    found by its number's rank, in the same order as the number (and hashed far
    faster than the strings, which the date sort has scattered: 6.6 against 1.8 s)."""
    case = "_rank_case_id"
    members = (
        records.select(case, "person_id", "dob")
        .unique([case, "person_id"])
        .sort([case, "dob", "person_id"], nulls_last=True)
        .with_columns(member_no=(pl.int_range(1, pl.len() + 1).over(case) % 100))
    )
    return records.join(
        members.drop("dob"), on=[case, "person_id"], how="left", maintain_order="left"
    )


def _idhs_format(df: pl.DataFrame) -> pl.DataFrame:
    f = idhs.DATE_FORMAT
    return df.select(
        _ranked(pl.col("case_id"), 9, "C").alias("case_no"),
        pl.col("member_no").cast(pl.String).str.zfill(2).alias("member_no"),
        pl.col("ssn"),
        pl.col("first_name"),
        pl.col("last_name"),
        _fmt(pl.col("dob"), f).alias("birth_date"),
        pl.col("sex").replace_strict(idhs.SEX_CODES, default=None).alias("sex"),
        pl.col("street_address").alias("street_addr"),
        pl.col("city"),
        pl.col("zip"),
        _code(pl.col("program"), idhs.PROGRAM_CODES, "FS").alias("program"),
        _fmt(pl.col("date").dt.month_start(), f).alias("benefit_month"),
        _code(pl.col("relationship"), idhs.RELATIONSHIP_CODES).alias("rel_to_head"),
    )


def _aging_records(world: World) -> pl.DataFrame:
    return _table(world, "ccp").select(
        "person_id", pl.col("start").alias("date"), "end", "service_type"
    )


def _aging_format(df: pl.DataFrame) -> pl.DataFrame:
    f = aging.DATE_FORMAT
    return df.select(
        ("A" + _affine_id(9, 7877, 55_001, 0)).alias("CLIENT_ID"),
        _upper("last_name").alias("LAST_NAME"),
        _upper("first_name").alias("FIRST_NAME"),
        _initial("middle_name").alias("MI"),
        _fmt(pl.col("dob"), f).alias("DOB"),
        pl.col("sex").replace_strict(aging.SEX_CODES, default=None).alias("SEX"),
        pl.col("ssn").str.slice(5, 4).alias("SSN4"),
        pl.col("zip").alias("ZIP"),
        _fmt(pl.col("date"), f).alias("SVC_START"),
        _fmt(pl.col("end"), f).alias("SVC_END"),
        _code(pl.col("service_type"), aging.SERVICE_CODES).alias("SVC_TYPE"),
    )


def _dcfs_records(world: World) -> pl.DataFrame:
    return _table(world, "dcfs").select(
        "person_id",
        pl.col("start").alias("date"),
        "end",
        "event_type",
        "finding",
        "placement_type",
        pl.col("county_fips").alias("event_county"),
    )


def _dcfs_format(df: pl.DataFrame) -> pl.DataFrame:
    f = dcfs.DATE_FORMAT
    return df.select(
        _affine_id(8, 7907, 13, 10_000_000).alias("CHILD_ID"),
        pl.col("first_name").alias("CHILD_FIRST_NAME"),
        pl.col("last_name").alias("CHILD_LAST_NAME"),
        _fmt(pl.col("dob"), f).alias("CHILD_DOB"),
        pl.col("sex").replace_strict(dcfs.SEX_CODES, default="U").alias("CHILD_SEX"),
        pl.col("ssn").alias("CHILD_SSN"),
        _code(pl.col("event_type"), dcfs.EVENT_CODES, "INV").alias("EVENT_TYPE"),
        _fmt(pl.col("date"), f).alias("START_DATE"),
        _fmt(pl.col("end"), f).alias("END_DATE"),
        _code(pl.col("finding"), dcfs.FINDING_CODES).alias("FINDING"),
        _code(pl.col("placement_type"), dcfs.PLACEMENT_CODES).alias("PLCMT_TYPE"),
        pl.col("event_county").str.slice(2, 3).alias("COUNTY_CD"),
    )


def _isbe_records(world: World) -> pl.DataFrame:
    school = _table(world, "school")
    return school.select(
        "person_id",
        pl.date(pl.col("school_year"), 9, 1).alias("date"),
        "school_year",
        "grade",
        "exit_status",
        pl.col("county_fips").alias("school_county"),
    )


def _isbe_format(df: pl.DataFrame) -> pl.DataFrame:
    grade = pl.col("grade").cast(pl.Int64)
    year = pl.col("school_year").cast(pl.String)
    return df.select(
        _affine_id(9, 7883, 271, 100_000_000).alias("sid"),
        pl.col("first_name").alias("legal_first_name"),
        pl.col("middle_name").alias("legal_middle_name"),
        pl.col("last_name").alias("legal_last_name"),
        _fmt(pl.col("dob"), isbe.DATE_FORMAT).alias("birth_date"),
        pl.col("sex").replace_strict(isbe.SEX_CODES, default="X").alias("gender"),
        (year + "-" + (pl.col("school_year") + 1).cast(pl.String)).alias("school_year"),
        pl.when(grade == 0)
        .then(pl.lit("KG"))
        .otherwise(grade.cast(pl.String).str.zfill(2))
        .alias("grade_level"),
        _code(pl.col("exit_status"), isbe.EXIT_CODES, "01").alias("exit_code"),
        pl.col("school_county").alias("county_fips"),
    )


def _ides_records(world: World) -> pl.DataFrame:
    """Covered wages: UI wage records are keyed on the SSN (employers report covered
    wages by SSN), so a worker without any SSN, paid off the books, is not in them."""
    with_ssn = _table(world, "persons").filter(pl.col("ssn").is_not_null())
    wages = _table(world, "wages").filter(
        pl.col("person_id").is_in(with_ssn.get_column("person_id").implode())
    )
    return wages.select(
        "person_id",
        pl.date(pl.col("year"), (pl.col("quarter").cast(pl.Int32) - 1) * 3 + 1, 1).alias("date"),
        "year",
        "quarter",
        "employer_id",
        "wages",
    )


def _ides_format(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        pl.col("ssn").alias("SSN"),
        _upper("last_name").alias("LAST_NAME"),
        _upper("first_name").alias("FIRST_NAME"),
        pl.col("year").cast(pl.String).alias("YEAR"),
        pl.col("quarter").cast(pl.String).alias("QTR"),
        _ranked(pl.col("employer_id"), 7, "36").alias("FEIN"),
        _money(pl.col("wages")).alias("WAGES"),
    )


def _idoc_records(world: World) -> pl.DataFrame:
    return _table(world, "prison").select(
        "person_id",
        pl.col("admit_date").alias("date"),
        "release_date",
        "offense_class",
        pl.col("county_fips").alias("commit_county"),
    )


def _idoc_format(df: pl.DataFrame) -> pl.DataFrame:
    f = idoc.DATE_FORMAT
    number = (pl.col("person_id") * 7901 + 17) % 2_600_000
    letter = pl.lit(string.ascii_uppercase).str.slice(number // 100_000, 1)
    offense = pl.col("offense_class").cast(pl.String).str.to_uppercase()
    offense = offense.str.replace(r"^CLASS[_ ]?", "")
    return df.select(
        (letter + (number % 100_000).cast(pl.String).str.zfill(5)).alias("IDOC_NO"),
        _upper("last_name").alias("LAST_NAME"),
        _upper("first_name").alias("FIRST_NAME"),
        _upper("middle_name").alias("MIDDLE_NAME"),
        pl.col("suffix").alias("SUFFIX"),
        _upper("alias_last_name").alias("ALIAS_LAST"),
        _upper("alias_first_name").alias("ALIAS_FIRST"),
        _fmt(pl.col("dob"), f).alias("DOB"),
        pl.col("sex").replace_strict(idoc.SEX_CODES, default="M").alias("SEX"),
        pl.col("ssn").alias("SSN"),
        _fmt(pl.col("date"), f).alias("ADMIT_DATE"),
        _fmt(pl.col("release_date"), f).alias("RELEASE_DATE"),
        pl.when(offense.is_in(list(idoc.OFFENSE_CLASSES)))
        .then(offense)
        .otherwise(pl.lit("4"))
        .alias("OFFENSE_CLASS"),
        pl.col("commit_county").alias("COMMIT_COUNTY"),
    )


def _idph_records(world: World) -> pl.DataFrame:
    births = _table(world, "births").select(
        pl.col("child_id").alias("person_id"),
        pl.col("birth_date").alias("date"),
        pl.lit("BIRTH").alias("record_type"),
        "mother_id",
        pl.when(pl.col("father_named")).then(pl.col("father_id")).alias("father_id"),
        "plurality",
        pl.col("county_fips").alias("event_county"),
    )
    deaths = _table(world, "deaths").select(
        "person_id",
        pl.col("death_date").alias("date"),
        pl.lit("DEATH").alias("record_type"),
        pl.lit(None, pl.Int64).alias("mother_id"),
        pl.lit(None, pl.Int64).alias("father_id"),
        pl.lit(None, pl.Int8).alias("plurality"),
        pl.col("county_fips").alias("event_county"),
    )
    births = _parent(world, _parent(world, births, "mother"), "father")
    return pl.concat([births, deaths], how="diagonal_relaxed")


def _parent(world: World, records: pl.DataFrame, role: str) -> pl.DataFrame:
    """A birth record's named parent: first name, surname at the birth, maiden name, DOB."""
    persons = _table(world, "persons").select(
        pl.col("person_id").alias(f"{role}_id"),
        pl.col("first_name").alias(f"{role}_first"),
        pl.col("last_name").alias(f"{role}_maiden"),
        pl.col("dob").alias(f"{role}_dob"),
    )
    rows = records.select(pl.col(f"{role}_id").alias("person_id"), "date")
    surnames = _as_of(rows, _history(_table(world, "surnames"), ["last_name"]))
    out = records.join(persons, on=f"{role}_id", how="left", maintain_order="left")
    last = pl.coalesce(surnames["last_name"], out[f"{role}_maiden"]).alias(f"{role}_last")
    return out.with_columns(last)


def _idph_format(df: pl.DataFrame) -> pl.DataFrame:
    f = idph.DATE_FORMAT
    birth = pl.col("record_type") == "BIRTH"
    kind = pl.when(birth).then(pl.lit("B")).otherwise(pl.lit("D"))
    year = pl.col("date").dt.year().cast(pl.String)
    serial = pl.int_range(1, pl.len() + 1).over(kind, year).cast(pl.String).str.zfill(6)
    return df.select(
        (kind + year + serial).alias("CERT_NO"),
        kind.alias("RECORD_TYPE"),
        _fmt(pl.col("date"), f).alias("EVENT_DATE"),
        _upper("first_name").alias("FIRST_NAME"),
        _upper("middle_name").alias("MIDDLE_NAME"),
        _upper("last_name").alias("LAST_NAME"),
        pl.col("suffix").alias("SUFFIX"),
        _fmt(pl.col("dob"), f).alias("DOB"),
        pl.col("sex").replace_strict(idph.SEX_CODES, default="U").alias("SEX"),
        pl.when(~birth).then(pl.col("ssn")).alias("SSN"),
        _upper("mother_first").alias("MOTHER_FIRST"),
        _upper("mother_last").alias("MOTHER_LAST"),
        _upper("mother_maiden").alias("MOTHER_MAIDEN"),
        _fmt(pl.col("mother_dob"), f).alias("MOTHER_DOB"),
        _upper("father_first").alias("FATHER_FIRST"),
        _upper("father_last").alias("FATHER_LAST"),
        _fmt(pl.col("father_dob"), f).alias("FATHER_DOB"),
        pl.col("plurality").cast(pl.String).alias("PLURALITY"),
        pl.col("event_county").alias("COUNTY_FIPS"),
    )


def _djj_records(world: World) -> pl.DataFrame:
    return _table(world, "djj").select(
        "person_id",
        pl.col("admit_date").alias("date"),
        "release_date",
        "admission_type",
        "facility",
        "release_reason",
        pl.col("county_fips").alias("commit_county"),
    )


def _djj_format(df: pl.DataFrame) -> pl.DataFrame:
    f = djj.DATE_FORMAT
    ssn = pl.col("ssn")
    dashed = ssn.str.slice(0, 3) + "-" + ssn.str.slice(3, 2) + "-" + ssn.str.slice(5, 4)
    return df.select(
        ("Y" + _affine_id(7, 7927, 31, 0)).alias("YOUTH_NO"),
        _upper("last_name").alias("LNAME"),
        _upper("first_name").alias("FNAME"),
        _upper("middle_name").alias("MNAME"),
        pl.col("suffix").alias("SFX"),
        _upper("alias_last_name").alias("AKA_LNAME"),
        _upper("alias_first_name").alias("AKA_FNAME"),
        _fmt(pl.col("dob"), f).alias("BIRTH_DT"),
        pl.col("sex").replace_strict(djj.SEX_CODES, default="9").alias("GENDER"),
        dashed.alias("SSN"),
        _fmt(pl.col("date"), f).alias("ADM_DT"),
        _code(pl.col("admission_type"), djj.ADMISSION_CODES).alias("ADM_TYPE"),
        pl.col("facility").alias("FACILITY"),
        _fmt(pl.col("release_date"), f).alias("REL_DT"),
        _code(pl.col("release_reason"), djj.RELEASE_CODES).alias("REL_RSN"),
        pl.col("commit_county").str.slice(2, 3).alias("CNTY"),
    )


def _dceo_records(world: World) -> pl.DataFrame:
    """LIHEAP members (one per member of an application) and WIOA enrolments, together."""
    liheap = _table(world, "liheap").select(
        "person_id",
        pl.col("application_date").alias("date"),
        pl.lit("LIHEAP").alias("program"),
        "application_id",
        "program_year",
        "relationship",
        "household_size",
        "benefit",
        "heating_source",
    )
    wioa = _table(world, "wioa").select(
        "person_id",
        pl.col("enrol_date").alias("date"),
        pl.lit("WIOA").alias("program"),
        pl.col("exit_date").alias("end"),
        "funding_stream",
        "exit_reason",
        "credential",
    )
    return pl.concat([liheap, wioa], how="diagonal_relaxed")


#: share of LIHEAP members under 18 whose SSN the application lists (a per-person
#: property, derived from the person number so that no draw is needed)
DCEO_CHILD_SSN_LISTED = 0.4
#: office hours of the times DCEO stamps on applications and enrolments (minutes)
DCEO_DAY_START, DCEO_DAY_MINUTES = 8 * 60, 9 * 60


def _dceo_format(df: pl.DataFrame) -> pl.DataFrame:
    liheap = pl.col("program") == "LIHEAP"
    # one application: one time of receipt, and the applicant's address for every member
    number = pl.col("application_id").str.slice(4).cast(pl.Int64)
    days = pl.col("date").cast(pl.Int64)
    minutes = (
        DCEO_DAY_START
        + pl.when(liheap).then(number * 37).otherwise(pl.col("person_id") * 31 + days * 17)
        % DCEO_DAY_MINUTES
    )
    started = pl.col("date").cast(pl.Datetime("us")) + pl.duration(minutes=minutes)
    applicant = pl.col("relationship") == "APPLICANT"

    def household(col: str) -> pl.Expr:
        shared = pl.col(col).filter(applicant).first().over("application_id")
        return pl.when(liheap).then(shared).otherwise(pl.col(col))

    child = (pl.col("date") - pl.col("dob")).dt.total_days() < 18 * 365.25
    listed = pl.col("person_id") * 2_654_435_761 % 2**32 < DCEO_CHILD_SSN_LISTED * 2**32
    ts = dceo.TIMESTAMP_FORMAT
    return df.select(
        _code(pl.col("program"), dceo.PROGRAM_CODES).alias("ProgramArea"),
        ("D" + _affine_id(8, 7949, 61, 0)).alias("ClientId"),
        pl.when(liheap).then("LH" + pl.col("application_id")).alias("ApplicationId"),
        _code(pl.col("relationship"), dceo.RELATIONSHIP_CODES).alias("RelationshipToApplicant"),
        pl.col("first_name").alias("FirstName"),
        pl.col("middle_name").alias("MiddleName"),
        pl.col("last_name").alias("LastName"),
        pl.col("suffix").alias("Suffix"),
        _fmt(pl.col("dob"), dceo.DOB_FORMAT).alias("DateOfBirth"),
        pl.col("sex").replace_strict(dceo.SEX_CODES, default="Unknown").alias("Gender"),
        pl.when(liheap & child.fill_null(False) & ~listed).then(None).otherwise(pl.col("ssn"))
        .alias("Ssn"),
        household("street_address").alias("StreetAddress"),
        household("city").alias("City"),
        household("zip").alias("Zip"),
        started.dt.strftime(ts).alias("StartDateTime"),
        pl.col("end").cast(pl.Datetime("us")).dt.strftime(ts).alias("EndDateTime"),
        pl.col("program_year").cast(pl.String).alias("ProgramYear"),
        pl.col("household_size").cast(pl.String).alias("HouseholdSize"),
        _money(pl.col("benefit")).alias("BenefitAmount"),
        _code(pl.col("heating_source"), dceo.HEATING_CODES).alias("HeatingSource"),
        _code(pl.col("funding_stream"), dceo.FUNDING_CODES).alias("FundingStream"),
        _code(pl.col("exit_reason"), dceo.EXIT_CODES).alias("ExitReason"),
        _code(pl.col("credential"), dceo.CREDENTIAL_CODES).alias("CredentialType"),
    )  # fmt: skip


def _idva_records(world: World) -> pl.DataFrame:
    """Benefit spells with the veteran's DD-214: branch, service dates, character, and
    the name at discharge (the surname held that day, the first and middle names)."""
    service = _table(world, "military").filter(pl.col("discharge_date").is_not_null())
    rows = _table(world, "idva").join(service, on="person_id", how="left", maintain_order="left")
    at = rows.select("person_id", pl.col("discharge_date").alias("date"))
    surname = _as_of(at, _history(_table(world, "surnames"), ["last_name"]))["last_name"]
    names = _table(world, "persons").select(
        "person_id",
        pl.col("first_name").alias("svc_first"),
        pl.col("middle_name").alias("svc_middle"),
        pl.col("last_name").alias("_born_last"),
    )
    rows = rows.join(names, on="person_id", how="left", maintain_order="left")
    return rows.select(
        "person_id",
        pl.col("start").alias("date"),
        "end",
        "program",
        "claim_type",
        "home",
        "outcome",
        "branch",
        "entry_date",
        "discharge_date",
        "character",
        pl.coalesce(surname, pl.col("_born_last")).alias("svc_last"),
        "svc_first",
        "svc_middle",
    )


def _dd214_name(last: str, first: str, middle: str) -> pl.Expr:
    """``LAST, FIRST MIDDLE`` in capitals, as the DD-214 (block 1) writes a name."""
    given = pl.concat_str(
        [pl.col(first).str.to_uppercase(), pl.col(middle).str.to_uppercase()],
        separator=" ",
        ignore_nulls=True,
    )
    return pl.col(last).str.to_uppercase() + ", " + given


def _idva_format(df: pl.DataFrame) -> pl.DataFrame:
    f, dd214 = idva.DATE_FORMAT, idva.DD214_FORMAT
    return df.select(
        ("V" + _affine_id(8, 7937, 59, 0)).alias("CLIENT_NO"),
        pl.col("ssn").alias("SSN"),
        _dd214_name("last_name", "first_name", "middle_name").alias("VET_NAME"),
        pl.col("suffix").alias("SFX"),
        _dd214_name("svc_last", "svc_first", "svc_middle").alias("SVC_NAME"),
        _fmt(pl.col("dob"), f).alias("DOB"),
        pl.col("sex").replace_strict(idva.SEX_CODES, default=None).alias("SEX"),
        pl.col("zip").alias("ZIP"),
        _code(pl.col("branch"), idva.BRANCH_CODES).alias("BRANCH"),
        _fmt(pl.col("entry_date"), dd214).alias("EOD_DT"),
        _fmt(pl.col("discharge_date"), dd214).alias("RAD_DT"),
        _code(pl.col("character"), idva.CHARACTER_CODES).alias("CHAR_SVC"),
        _code(pl.col("program"), idva.BENEFIT_CODES).alias("SVC_TYPE"),
        _code(pl.col("claim_type"), idva.CLAIM_CODES).alias("CLAIM_TYPE"),
        pl.col("home").alias("HOME"),
        _fmt(pl.col("date"), f).alias("START_DT"),
        _fmt(pl.col("end"), f).alias("END_DT"),
        _code(pl.col("outcome"), idva.DISPOSITION_CODES).alias("DISP"),
    )


def _ides_ui_records(world: World) -> pl.DataFrame:
    return _table(world, "ui_claims").select(
        "person_id",
        pl.col("benefit_year_begin").alias("date"),
        "program",
        "separation_reason",
        "weekly_benefit",
        "weeks_claimed",
        "weeks_paid",
    )


def _ides_ui_format(df: pl.DataFrame) -> pl.DataFrame:
    f = ides_ui.DATE_FORMAT
    cents = (pl.col("weekly_benefit") * 100).round(0).cast(pl.Int64).cast(pl.String)
    return df.select(
        pl.col("ssn").alias("CLMT_SSN"),
        _upper("last_name").alias("CLMT_LAST"),
        _upper("first_name").alias("CLMT_FIRST"),
        _initial("middle_name").alias("CLMT_MI"),
        _fmt(pl.col("dob"), f).alias("CLMT_DOB"),
        pl.col("sex").replace_strict(ides_ui.SEX_CODES, default=None).alias("CLMT_SEX"),
        _upper("street_address").alias("ADDR_LINE"),
        _upper("city").alias("CITY"),
        pl.lit("IL").alias("STATE"),
        pl.col("zip").alias("ZIP"),
        _fmt(pl.col("date"), f).alias("BYB_DT"),
        _code(pl.col("program"), ides_ui.PROGRAM_CODES).alias("PGM"),
        _code(pl.col("separation_reason"), ides_ui.SEPARATION_CODES).alias("SEP_RSN"),
        cents.str.zfill(7).alias("WBA"),
        pl.col("weeks_claimed").cast(pl.String).str.zfill(2).alias("WKS_CLMD"),
        pl.col("weeks_paid").cast(pl.String).str.zfill(2).alias("WKS_PAID"),
    )


SPECS: dict[str, Spec] = {
    "hfs": Spec(
        _hfs_records,
        _hfs_format,
        ("person_id",),
        NAME_DOB_SSN,
        (("BIRTH_DT", "19851345"), ("SEX_CD", "X"), ("ELIG_CAT", "ZZ")),
        ("category",),
    ),
    "idhs": Spec(
        _idhs_records,
        _idhs_format,
        ("person_id", "case_id"),
        NAME_DOB_SSN,
        (("birth_date", "02/30/1990"), ("program", "XX"), ("zip", "6060")),
        ("case_id", "program"),
        ranked=("case_id",),
        numbering=_idhs_members,
    ),
    "aging": Spec(
        _aging_records,
        _aging_format,
        ("person_id", "date", "service_type"),
        NAME_DOB_SSN,
        (("DOB", "13011950"), ("SVC_TYPE", "ZZZ")),
        ("service_type",),
    ),
    "dcfs": Spec(
        _dcfs_records,
        _dcfs_format,
        ("person_id",),
        NAME_DOB_SSN,
        (("START_DATE", "31-FEB-2015"), ("EVENT_TYPE", "UNK")),
        ("event_type",),
    ),
    "isbe": Spec(
        _isbe_records,
        _isbe_format,
        ("person_id",),
        frozenset({"name", "dob"}),
        (("birth_date", "2010-02-30"), ("grade_level", "14")),
    ),
    "ides": Spec(
        _ides_records,
        _ides_format,
        ("person_id", "employer_id"),
        frozenset({"name", "ssn"}),
        (("WAGES", "-250.00"), ("QTR", "5")),
        ("employer_id",),
        ranked=("employer_id",),
    ),
    "idoc": Spec(
        _idoc_records,
        _idoc_format,
        ("person_id", "date"),
        frozenset({"name", "dob", "ssn", "alias"}),
        (("ADMIT_DATE", "13/01/2015"), ("OFFENSE_CLASS", "Z")),
        whole=True,
    ),
    "idph": Spec(
        _idph_records,
        _idph_format,
        ("person_id", "date", "record_type"),
        NAME_DOB_SSN,
        (("EVENT_DATE", "2015-13-01"), ("SEX", "Q")),
        ("record_type",),
        whole=True,
    ),
    "djj": Spec(
        _djj_records,
        _djj_format,
        ("person_id", "date"),
        frozenset({"name", "dob", "ssn", "alias"}),
        (("ADM_DT", "31FEB2015"), ("ADM_TYPE", "XX"), ("GENDER", "M")),
        whole=True,
    ),
    # whole: the members of an application carry its applicant's address
    "dceo": Spec(
        _dceo_records,
        _dceo_format,
        ("person_id", "date", "program"),
        NAME_DOB_SSN,
        (
            ("StartDateTime", "2023-02-30T09:15:00"),
            ("ProgramArea", "EA"),
            ("Gender", "M"),
            ("DateOfBirth", "03/14/1990"),
        ),
        ("program",),
        whole=True,
    ),
    "idva": Spec(
        _idva_records,
        _idva_format,
        ("person_id",),
        NAME_DOB_SSN,
        (("START_DT", "02/30/2016"), ("BRANCH", "X"), ("VET_NAME", "SMITH JOHN")),
        ("program", "claim_type"),
    ),
    # a claim is filed afresh: its identifiers' errors are its own
    "ides_ui": Spec(
        _ides_ui_records,
        _ides_ui_format,
        ("person_id", "date"),
        NAME_DOB_SSN,
        (("BYB_DT", "20190230"), ("WBA", "456.00"), ("PGM", "UCF")),
        ("program",),
    ),
}
