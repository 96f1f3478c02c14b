"""The ``person_quarters`` panel.

Rows: one per person and calendar quarter with recorded activity, that is a program
spell covering at least one day of the quarter, or wages. A person's quarters with
no row are quarters no agency recorded them in (studies that need a balanced panel
fill them with ``False`` / ``0``); this keeps the panel proportional to activity
rather than to persons x years.
"""

from __future__ import annotations

import polars as pl

from enclave.analytic.records import dated_counties
from enclave.analytic.schemas import PROGRAMS


def _quarter_index(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int32) * 4 + (day.dt.month().cast(pl.Int32) - 1) // 3


def _spell_quarters(spells: pl.DataFrame) -> pl.DataFrame:
    """``pid, q, <program flags>``: every quarter a spell touches, flags OR-ed together.

    Each program is one bit of a mask, so a single bitwise-or aggregation replaces
    one ``any`` per program.
    """
    bits = {program: 1 << i for i, program in enumerate(PROGRAMS)}
    quarters = spells.select(
        "pid",
        pl.col("program").replace_strict(bits, return_dtype=pl.Int32).alias("bit"),
        pl.int_ranges(_quarter_index(pl.col("start")), _quarter_index(pl.col("end")) + 1).alias(
            "q"
        ),
    ).explode("q")
    mask = quarters.group_by("pid", "q").agg(pl.col("bit").bitwise_or())
    return mask.select(
        "pid",
        "q",
        *((pl.col("bit") & bit).ne(0).alias(program.lower()) for program, bit in bits.items()),
    )


def _wage_quarters(ides: pl.DataFrame | None) -> pl.DataFrame:
    if ides is None:
        return pl.DataFrame(schema={"pid": pl.String, "q": pl.Int32, "wages": pl.Float64})
    return ides.group_by(
        "pid", (pl.col("year") * 4 + pl.col("quarter").cast(pl.Int32) - 1).alias("q")
    ).agg(pl.col("wages").fill_null(0.0).sum())


def _county_changes(base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Dated counties, keeping only a person's first record and each change of county."""
    counties = dated_counties(base).sort("pid", "date", "county_fips")
    changed = (pl.col("pid") != pl.col("pid").shift(1)) | (
        pl.col("county_fips") != pl.col("county_fips").shift(1)
    )
    # of several records on one day the largest county wins, as in ``latest_county``
    last_of_day = (pl.col("pid") != pl.col("pid").shift(-1)) | (
        pl.col("date") != pl.col("date").shift(-1)
    )
    return counties.filter(last_of_day.fill_null(True)).filter(changed.fill_null(True))


def _with_county(panel: pl.DataFrame, base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Attach the county of the latest record dated on or before each quarter's end.

    ``panel`` is sorted on (pid, q), so each quarter's end is sorted within a pid.
    """
    quarter_end = (
        pl.date(pl.col("q") // 4, (pl.col("q") % 4) * 3 + 1, 1).dt.offset_by("2mo").dt.month_end()
    )
    return panel.with_columns(quarter_end.alias("_end")).join_asof(
        _county_changes(base),
        left_on="_end",
        right_on="date",
        by="pid",
        strategy="backward",
        check_sortedness=False,
    )


def build_panel(spells: pl.DataFrame, base: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The person-quarter panel from program spells, wages and dated counties."""
    # every wage record is inside an EMPLOYMENT spell, so its quarter is already a row
    panel = (
        _spell_quarters(spells)
        .join(_wage_quarters(base.get("ides")), on=["pid", "q"], how="left")
        .with_columns(pl.col("wages").fill_null(0.0))
        .sort("pid", "q")
    )
    return _with_county(panel, base).select(
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
