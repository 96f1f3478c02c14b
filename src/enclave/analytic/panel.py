"""The ``person_quarters`` panel.

Rows: one per person and calendar quarter with recorded activity, that is a program
spell covering at least one day of the quarter, or wages. A person's quarters with
no row are quarters no agency recorded them in (studies that need a balanced panel
fill them with ``False`` / ``0``); this keeps the panel proportional to activity
rather than to persons x years.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.analytic.records import dated_counties
from enclave.analytic.schemas import PROGRAMS


def _quarter_index(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int32) * 4 + (day.dt.month().cast(pl.Int32) - 1) // 3


def _pid_codes(spells: pl.DataFrame) -> pl.DataFrame:
    """``pid, _code``: the spells' distinct pids, sorted, numbered from 0.

    Grouping, joining and sorting on 16-character pid strings dominated the panel;
    codes numbered in pid order sort the same, and the pid is put back at the end.
    """
    return (
        spells.select(pl.col("pid").unique().sort()).with_row_index("_code").select("pid", "_code")
    )


def _encode(frame: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with ``pid`` replaced by its code; pids without a spell are dropped."""
    return frame.join(codes, on="pid", how="inner").drop("pid").rename({"_code": "pid"})


#: a person's quarter as one integer ``code * _Q_SPAN + q`` (``q`` < 2**16: years < 16384)
_Q_SPAN = 1 << 16
#: a person's day as ``code * _D_SPAN + days + _D_SHIFT``, for dates between 1422 and 4240
_D_SPAN, _D_SHIFT = 1 << 20, 200_000


def _spell_quarters(spells: pl.DataFrame) -> pl.DataFrame:
    """``_k, <program flags>``: every (person, quarter) a spell touches, flags OR-ed.

    Each program is one bit of a mask, so a single bitwise-or aggregation replaces
    one ``any`` per program; grouping on one integer key is cheaper than on two.
    """
    bits = {program: 1 << i for i, program in enumerate(PROGRAMS)}
    base = pl.col("pid").cast(pl.Int64) * _Q_SPAN
    quarters = spells.select(
        pl.col("program").replace_strict(bits, return_dtype=pl.Int32).alias("bit"),
        pl.int_ranges(
            base + _quarter_index(pl.col("start")), base + _quarter_index(pl.col("end")) + 1
        ).alias("_k"),
    ).explode("_k")
    mask = _or_by_key(quarters)
    return mask.select(
        "_k",
        *((pl.col("bit") & bit).ne(0).alias(program.lower()) for program, bit in bits.items()),
    )


def _or_by_key(quarters: pl.DataFrame) -> pl.DataFrame:
    """``_k, bit``: the bits of each key OR-ed together, sorted on the key.

    A ``bitwise_or`` aggregation in a group-by took most of the panel's time;
    sorting the keys and OR-ing each run of equal keys gives the same rows.
    """
    keys = quarters.get_column("_k")
    if keys.null_count() or keys.is_empty():
        return quarters.group_by("_k").agg(pl.col("bit").bitwise_or())
    order = keys.arg_sort().to_numpy()
    sorted_keys = keys.to_numpy()[order]
    bits = quarters.get_column("bit").to_numpy()[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return pl.DataFrame(
        {
            "_k": pl.Series(sorted_keys[starts], dtype=keys.dtype),
            "bit": pl.Series(np.bitwise_or.reduceat(bits, starts), dtype=quarters.schema["bit"]),
        }
    )


def _wage_quarters(ides: pl.DataFrame | None, codes: pl.DataFrame) -> pl.DataFrame:
    if ides is None:
        return pl.DataFrame(schema={"_k": pl.Int64, "wages": pl.Float64})
    ides = _encode(ides.select("pid", "year", "quarter", "wages"), codes)
    key = pl.col("pid").cast(pl.Int64) * _Q_SPAN + pl.col("year") * 4 + pl.col("quarter") - 1
    return ides.group_by(key.alias("_k")).agg(pl.col("wages").fill_null(0.0).sum())


def _county_changes(base: dict[str, pl.DataFrame], codes: pl.DataFrame) -> pl.DataFrame:
    """Dated counties, keeping only a person's first record and each change of county."""
    counties = _encode(dated_counties(base), codes).sort("pid", "date", "county_fips")
    changed = (pl.col("pid") != pl.col("pid").shift(1)) | (
        pl.col("county_fips") != pl.col("county_fips").shift(1)
    )
    # of several records on one day the largest county wins, as in ``latest_county``
    last_of_day = (pl.col("pid") != pl.col("pid").shift(-1)) | (
        pl.col("date") != pl.col("date").shift(-1)
    )
    return counties.filter(last_of_day.fill_null(True)).filter(changed.fill_null(True))


def _day_key(pid: pl.Expr, day: pl.Expr) -> pl.Expr:
    return pid.cast(pl.Int64) * _D_SPAN + day.cast(pl.Int64) + _D_SHIFT


def _with_county(panel: pl.DataFrame, counties: pl.DataFrame) -> pl.DataFrame:
    """Attach the county of the latest record dated on or before each quarter's end.

    ``panel`` is sorted on (pid, q) and ``counties`` on (pid, date), so one integer
    key of (person, day) is sorted on both sides: an as-of join on it, without
    ``by``, finds the latest earlier change; one of an earlier person is dropped.
    """
    quarter_end = (
        pl.date(pl.col("q") // 4, (pl.col("q") % 4) * 3 + 1, 1).dt.offset_by("2mo").dt.month_end()
    )
    ends = panel.select(pl.col("q").unique()).with_columns(quarter_end.alias("_end"))
    panel = panel.with_columns(pl.col("q").replace_strict(ends["q"], ends["_end"]).alias("_end"))
    days = pl.concat([ends.get_column("_end"), counties.get_column("date")]).cast(pl.Int64)
    if not days.is_empty() and (days.min() + _D_SHIFT < 0 or days.max() + _D_SHIFT >= _D_SPAN):
        return panel.join_asof(
            counties.with_columns(pl.col("pid").cast(pl.Int64)),
            left_on="_end",
            right_on="date",
            by="pid",
            strategy="backward",
            check_sortedness=False,
        )
    right = counties.select(
        _day_key(pl.col("pid"), pl.col("date")).alias("_dk"),
        pl.col("pid").alias("_county_pid"),
        "county_fips",
    )
    joined = panel.with_columns(_day_key(pl.col("pid"), pl.col("_end")).alias("_dk")).join_asof(
        right, on="_dk", strategy="backward", check_sortedness=False
    )
    same = pl.col("_county_pid") == pl.col("pid")
    return joined.with_columns(pl.when(same).then(pl.col("county_fips")).alias("county_fips")).drop(
        "_dk", "_county_pid"
    )


def build_panel(spells: pl.DataFrame, base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The person-quarter panel from program spells, wages and dated counties."""
    # every wage record is inside an EMPLOYMENT spell, so its quarter is already a row
    codes = _pid_codes(spells)
    panel = (
        _spell_quarters(_encode(spells.select("pid", "program", "start", "end"), codes))
        .join(_wage_quarters(base.get("ides"), codes), on="_k", how="left")
        .with_columns(pl.col("wages").fill_null(0.0))
        .sort("_k")
        .with_columns((pl.col("_k") // _Q_SPAN).alias("pid"), (pl.col("_k") % _Q_SPAN).alias("q"))
    )
    panel = _with_county(panel, _county_changes(base, codes))
    pids = codes.get_column("pid").gather(panel.get_column("pid"))
    return panel.with_columns(pids).select(
        "pid",
        (pl.col("q") // 4).cast(pl.Int32).alias("year"),
        (pl.col("q") % 4 + 1).cast(pl.Int8).alias("quarter"),
        *(p.lower() for p in PROGRAMS),
        "wages",
        (pl.col("wages") > 0).alias("employed"),
        pl.col("prison").alias("incarcerated"),
        pl.col("school").alias("in_school"),
        "county_fips",
    )
