"""Program spells: records of one person in one program merged into continuous spells.

A record covers ``start .. end`` (inclusive; ``end`` null = still open). Records are
taken in start order; a record joins the current spell when it starts no later than
``spell_gap_months`` months after the day following the latest end seen so far in
that spell, so overlapping and touching records always merge, and a gap of up to
``spell_gap_months`` whole months is bridged. Monthly records (IDHS member-months)
cover their month, wage records their quarter, school years July to June
(``enclave.analytic.records.coverage``).

>>> from datetime import date
>>> months = pl.DataFrame({"pid": ["a"] * 3, "program": "SNAP", "agency": "idhs",
...     "start": [date(2020, 1, 1), date(2020, 3, 1), date(2020, 6, 1)],
...     "end": [date(2020, 1, 31), date(2020, 3, 31), date(2020, 6, 30)],
...     "match_probability": 1.0})
>>> spells = merge_spells(months, gap_months=1)
>>> [(str(s), str(e), n) for s, e, n in spells.select("start", "end", "n_records").rows()]
[('2020-01-01', '2020-03-31', 2), ('2020-06-01', '2020-06-30', 1)]
"""

from __future__ import annotations

from datetime import date

import polars as pl

from enclave.analytic.records import coverage, link_evidence
from enclave.contracts.base import LINK_EVIDENCE

#: stands in for an open end while merging (later than any real date)
OPEN_END = date(2999, 12, 31)
SPELL_KEYS = ("pid", "program", "agency")
#: days from 1970 to the earliest date handled, and a span wider than any date range
_EPOCH_SHIFT = -200_000
_SPAN = 1_000_000


def merge_spells(
    records: pl.DataFrame, gap_months: int, keys: tuple[str, ...] = SPELL_KEYS
) -> pl.DataFrame:
    """Merge ``keys, start, end?, match_probability`` records into spells.

    Returns ``keys, start, end`` (null when the spell is still open), ``n_records``
    and ``match_probability`` (the weakest link among the spell's records); with a
    ``link_evidence`` column, also ``name_only_records`` (records placed by a link on
    names alone).
    """
    k = list(keys)
    end = pl.max_horizontal("start", pl.col("end").fill_null(OPEN_END))
    frame = _sort_by_key_and_start(_with_key(records.with_columns(end.alias("end")), k))
    first = pl.col("_key").ne_missing(pl.col("_key").shift(1))
    frame = frame.with_columns(first.fill_null(True).alias("_first"))
    frame = frame.with_columns(_reach_before(frame).alias("_reach"))
    new_spell = pl.col("_first") | (pl.col("start") > _allowed(frame, gap_months))
    return (
        frame.with_columns(new_spell.cast(pl.Int64).cum_sum().alias("_spell"))
        .group_by("_spell", maintain_order=True)
        .agg(
            *(pl.col(c).first() for c in k),
            pl.col("start").min(),
            pl.col("end").max(),
            pl.len().cast(pl.Int32).alias("n_records"),
            pl.col("match_probability").min(),
            *_name_only_count(records),
        )
        .with_columns(
            pl.when(pl.col("end") == OPEN_END).then(None).otherwise(pl.col("end")).alias("end")
        )
        .drop("_spell")
    )  # already in (keys, start) order: spells of one key start on distinct days


def _name_only_count(records: pl.DataFrame) -> list[pl.Expr]:
    """``name_only_records`` where the records carry ``link_evidence`` (else nothing)."""
    if "link_evidence" not in records.columns:
        return []
    name_only = pl.col("link_evidence").cast(pl.String) == "name_only"
    return [name_only.sum().cast(pl.Int32).alias("name_only_records")]


#: bits of a record's start day (shifted by ``_EPOCH_SHIFT``) in a one-column sort key
_DAY_BITS = 20


def _sort_by_key_and_start(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted on ``_key, start``, on one integer where both fit in 63 bits.

    Records of one key starting on one day may come in any order: the later ones
    start before the first one ends, so they never open a spell, and a spell's
    aggregates do not depend on order. A sort on one integer is cheaper than on three
    columns.
    """
    days = pl.col("start").cast(pl.Int64) - _EPOCH_SHIFT
    low, high, key = frame.select(days.min().alias("low"), days.max(), pl.col("_key").max()).row(0)
    if low is None or low < 0 or high >= 1 << _DAY_BITS or key >= 1 << (63 - _DAY_BITS):
        return frame.sort("_key", "start", "end")
    return frame.sort(pl.col("_key").cast(pl.Int64) * (1 << _DAY_BITS) + days)


def _allowed(frame: pl.DataFrame, gap_months: int) -> pl.Series:
    """The latest start that still continues a spell: ``gap_months`` after the day after
    ``_reach``. Month arithmetic is slow per row and reaches repeat (month ends), so it
    runs once per distinct date."""
    reach = frame.get_column("_reach")
    dates = reach.unique().drop_nulls()
    later = dates.dt.offset_by("1d").dt.offset_by(f"{gap_months}mo")
    return reach.replace_strict(dates, later, default=None, return_dtype=pl.Date)


def _with_key(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``frame`` with ``_key``: one integer that sorts as ``keys`` do (nulls first).

    Sorting on several string columns (a 16-character pid first) dominated the merge;
    each column's distinct values, sorted, are numbered and the numbers combined.
    """
    key = pl.lit(0, pl.UInt64)
    for index, column in enumerate(keys):
        name = f"_c{index}"
        coded = _rank_codes(frame.get_column(column))
        if coded is not None:
            codes, count = coded
            frame = frame.with_columns(codes.alias(name))
        else:
            values = frame.select(pl.col(column).unique().sort()).with_row_index(name)
            frame = frame.join(values, on=column, how="left", nulls_equal=True)
            count = values.height
        key = key * count + pl.col(name).cast(pl.UInt64)
    return frame.with_columns(key.alias("_key")).drop(f"_c{i}" for i in range(len(keys)))


def _rank_codes(values: pl.Series) -> tuple[pl.Series, int] | None:
    """Each text value's number among the column's distinct values sorted, null first
    (as numbering them and joining them back gives), and how many there are.

    An enum of the sorted values numbers each value in one pass, without the join.
    None for a column that is not text, or has no value.
    """
    distinct = values.unique().drop_nulls().sort()
    if values.dtype != pl.String or distinct.is_empty():
        return None
    codes = values.cast(pl.Enum(distinct)).to_physical().cast(pl.UInt64)
    if values.null_count():
        return (codes + 1).fill_null(0), distinct.len() + 1
    return codes, distinct.len()


def _reach_before(frame: pl.DataFrame) -> pl.Expr:
    """The latest end among the earlier records of the same key (null on a key's first).

    A segmented running maximum without a window: rows are sorted by key, so adding
    ``group number * span`` to each end makes a plain running maximum stay inside
    its group (every earlier group's values are smaller).
    """
    days = pl.col("end").cast(pl.Int64) - _EPOCH_SHIFT
    group = pl.col("_first").cast(pl.Int64).cum_sum()
    running = (group * _SPAN + days).cum_max() - group * _SPAN + _EPOCH_SHIFT
    previous = running.shift(1)
    return pl.when(pl.col("_first")).then(None).otherwise(previous).cast(pl.Date)


def program_records(base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every record that covers time in a program: ``pid, program, agency, start, end?, mp``."""
    parts = []
    for agency, frame in base.items():
        cover = coverage(agency)
        if cover is None:
            continue
        program, start, end = cover
        parts.append(
            frame.select(
                "pid",
                program.alias("program"),
                pl.lit(agency).alias("agency"),
                start.alias("start"),
                end.alias("end"),
                "match_probability",
                link_evidence(frame),
            ).drop_nulls(["pid", "program", "start"])
        )
    if not parts:
        return pl.DataFrame(
            schema={
                "pid": pl.String,
                "program": pl.String,
                "agency": pl.String,
                "start": pl.Date,
                "end": pl.Date,
                "match_probability": pl.Float64,
                "link_evidence": LINK_EVIDENCE,
            }
        )
    return pl.concat(parts)


def observation_end(
    base: dict[str, pl.DataFrame] | dict[str, pl.LazyFrame],
    records: pl.DataFrame | pl.LazyFrame,
) -> date | None:
    """The last day of the latest month any record reaches: where open spells are cut.

    Frames may be lazy (``build`` in buckets computes this once over whole files).
    """
    latest = records.lazy().select(pl.max_horizontal(pl.col("start").max(), pl.col("end").max()))
    idph = base.get("idph")
    candidates = [latest.collect().item()]
    if idph is not None:
        candidates.append(idph.lazy().select(pl.col("event_date").max()).collect().item())
    known = [c for c in candidates if c is not None]
    if not known:
        return None
    return pl.select(pl.lit(max(known)).dt.month_end()).item()


def program_spells(
    base: dict[str, pl.DataFrame], gap_months: int, window_end: date | None = None
) -> pl.DataFrame:
    """The ``program_spells`` table; open spells end at ``window_end``.

    ``window_end`` defaults to :func:`observation_end` of ``base``.
    """
    records = program_records(base)
    spells = merge_spells(records, gap_months)
    if window_end is None:
        window_end = observation_end(base, records)
    return spells.with_columns(pl.col("end").fill_null(window_end)).select(
        "pid",
        "program",
        "agency",
        "start",
        "end",
        "n_records",
        "match_probability",
        "name_only_records",
    )
