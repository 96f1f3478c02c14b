"""Service overlap: how many of the enclave's agencies each person touched in a period.

Pure functions of the analytic tables (docs/INTERFACES.md). Counting functions
return :class:`enclave.disclosure.SafeTable` objects, so nothing a study shows
has skipped disclosure control.

A person *touches* an agency in the period when one of their program spells
from that agency overlaps it (spells linked with at least the minimum match
probability), or, for Public Health (``idph``), when a birth of their child or
their death is recorded in it (vital records give events, not spells; the
person's weakest link must meet the minimum).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from enclave import contracts
from enclave.config import AGENCIES
from enclave.disclosure import (
    TOTAL,
    SafeTable,
    hidden_cells,
    hidden_margins,
    joint_disclosures,
    margins_agree,
    next_complement,
    protect_1d,
    protect_2d,
)
from enclave.geography import county_names

UNKNOWN = "unknown"
_RANK = {a: i for i, a in enumerate(AGENCIES)}
#: each agency's programs as a report names them (its contract's ``label``;
#: combinations join these with " + ")
AGENCY_LABELS = {agency: contract.label for agency, contract in contracts.ALL.items()}
#: the agency behind each extract: one agency may deliver several (Employment Security
#: its wage records and its UI claims), and counts once
AGENCY_OF = {agency: contract.agency_name for agency, contract in contracts.ALL.items()}
#: column headers of the published tables, in plain words
HEADERS = {
    "n": "Persons",
    "n_agencies": "Agencies touched",
    "age_group": "Age group",
    "county": "County",
    "combination": "Programs used together",
    "medicaid": "Medicaid coverage",
}


@dataclass(frozen=True)
class Period:
    """A closed date interval ``[start, end]``."""

    start: dt.date
    end: dt.date

    @classmethod
    def parse(cls, start: str, end: str) -> Period:
        """From ISO strings, as params.yaml holds them.

        >>> Period.parse("2019-01-01", "2019-12-31").end
        datetime.date(2019, 12, 31)
        """
        period = cls(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
        if period.end < period.start:
            raise ValueError("period ends before it starts")
        return period

    def __str__(self) -> str:
        """ISO 8601 interval, as certificates and the release ledger record it."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


def spells_in_period(
    spells: pl.LazyFrame, period: Period, min_match_probability: float
) -> pl.LazyFrame:
    """Program spells overlapping the period, linked at or above the minimum probability."""
    return spells.filter(
        pl.col("start") <= period.end,
        pl.col("end") >= period.start,
        pl.col("match_probability") >= min_match_probability,
    )


def vital_events_in_period(
    events: pl.LazyFrame, persons: pl.LazyFrame, period: Period, min_match_probability: float
) -> pl.LazyFrame:
    """Public Health events (births of a child, deaths) in the period, of well-linked persons."""
    linked = persons.filter(pl.col("match_probability") >= min_match_probability).select("pid")
    return events.filter(
        pl.col("agency") == "idph", pl.col("date").is_between(period.start, period.end)
    ).join(linked, on="pid", how="semi")


def agencies_touched(
    spells: pl.LazyFrame,
    events: pl.LazyFrame,
    persons: pl.LazyFrame,
    period: Period,
    min_match_probability: float,
) -> pl.LazyFrame:
    """One row per person who touched any agency in the period.

    Columns: ``pid``, ``agencies`` (list, in the agreement's agency order),
    ``n_agencies`` and ``combination`` (the agencies joined by ``" + "``).
    """
    contacts = pl.concat(
        [
            spells_in_period(spells, period, min_match_probability).select("pid", "agency"),
            vital_events_in_period(events, persons, period, min_match_probability).select(
                "pid", "agency"
            ),
        ]
    )
    return combine_agencies(contacts)


def combine_agencies(contacts: pl.LazyFrame) -> pl.LazyFrame:
    """``(pid, agency)`` contacts -> per person the set of extracts (``agencies``, in
    pipeline order), the number of different agencies behind them and their labels."""
    rank = pl.col("agency").replace_strict(_RANK, return_dtype=pl.Int8)
    return (
        contacts.unique()
        .sort("pid", rank)
        .group_by("pid", maintain_order=True)
        .agg(agencies=pl.col("agency"))
        .with_columns(
            n_agencies=pl.col("agencies")
            .list.eval(pl.element().replace_strict(AGENCY_OF))
            .list.n_unique()
            .cast(pl.Int32),
            combination=pl.col("agencies")
            .list.eval(pl.element().replace_strict(AGENCY_LABELS))
            .list.join(" + "),
        )
    )


#: the population of the agency-count tables (they count the same persons: see
#: :func:`agency_count_tables`)
TOUCHED = "persons in contact with at least one agency in the period"


def agency_count_levels() -> list[int]:
    """Possible numbers of agencies touched: 1 .. number of agencies delivering extracts."""
    return list(range(1, len(set(AGENCY_OF.values())) + 1))


def distribution(
    touched: pl.LazyFrame, *, min_cell: int, also_hidden: Sequence[str] = ()
) -> SafeTable:
    """Persons by number of agencies touched, protected (``also_hidden``: see protect_1d)."""
    counts = touched.group_by("n_agencies").agg(n=pl.len()).collect()
    return protect_1d(
        counts,
        "n_agencies",
        min_cell=min_cell,
        levels=agency_count_levels(),
        title="Persons by number of agencies touched",
        headers=HEADERS,
        population=TOUCHED,
        also_hidden=also_hidden,
    )


OTHER = "Other combinations"


def combination_table(
    touched: pl.LazyFrame,
    top: int,
    *,
    min_cell: int,
    margins: SafeTable | None = None,
    also_hidden: Sequence[tuple[str, str]] = (),
) -> SafeTable:
    """Persons by combination (the ``top`` most common, the rest pooled as :data:`OTHER`)
    and number of agencies, protected as a two-way table.

    Each combination has one size, so its row holds a single non-zero cell; the
    column totals are the :func:`distribution` (``margins``). Protecting the
    combinations this way keeps a small combination from being worked out as the
    persons with that many agencies minus the other combinations of that size.
    Ranked by count (ties by label) before protection.
    """
    counts = (
        touched.group_by("combination", "n_agencies")
        .agg(n=pl.len().cast(pl.Int64))
        .sort(pl.col("n"), pl.col("combination"), descending=[True, False])
        .collect()
    )
    head, rest = counts.head(top), counts.slice(top)
    listed = head.get_column("combination").to_list()
    if rest.height:
        pooled = rest.group_by("n_agencies").agg(pl.col("n").sum()).sort("n_agencies")
        head = pl.concat(
            [head, pooled.select(pl.lit(OTHER).alias("combination"), "n_agencies", "n")]
        )
        listed.append(OTHER)
    return protect_2d(
        head,
        "combination",
        "n_agencies",
        min_cell=min_cell,
        row_levels=listed,
        col_levels=agency_count_levels(),
        col_margins=margins or distribution(touched, min_cell=min_cell),
        also_hidden=also_hidden,
        title=f"The {top} most common combinations of agencies",
        headers=HEADERS,
        population=TOUCHED,
    )


def row_totals(table: SafeTable) -> SafeTable:
    """The one-way table of a protected two-way table's row totals (with the grand total)."""
    return table.margin(table.dims[0])


def top_combinations(touched: pl.LazyFrame, top: int, *, min_cell: int) -> SafeTable:
    """The ``top`` most common combinations and the pooled rest, with the total: the row
    totals of :func:`combination_table`, in :func:`published_first` order."""
    return published_first(row_totals(combination_table(touched, top, min_cell=min_cell)))


def published_first(table: SafeTable) -> SafeTable:
    """Published rows by count (largest first), then suppressed ones by label, then
    :data:`OTHER` and the total. Ranking suppressed rows among published ones by their
    true size would bound their values by their neighbours'."""
    (dim,) = table.dims
    label = pl.col(dim)
    frame = table.frame.sort(
        label == TOTAL, label == OTHER, pl.col("suppressed"), -pl.col("n"), label
    )
    return table.derive(frame)


def age_labels(bounds: Sequence[int]) -> list[str]:
    """Labels of age groups given by their lower bounds.

    >>> age_labels([0, 18, 65])
    ['0-17', '18-64', '65+']
    """
    bounds = list(bounds)
    if bounds != sorted(set(bounds)) or not bounds:
        raise ValueError("age group bounds must be increasing")
    return [f"{lo}-{hi - 1}" for lo, hi in itertools.pairwise(bounds)] + [f"{bounds[-1]}+"]


def with_age_group(persons: pl.LazyFrame, period: Period, bounds: Sequence[int]) -> pl.LazyFrame:
    """Add ``age`` (whole years at period start) and ``age_group`` to the persons table.

    Only birth year and month are known: a person born in the period's starting
    month counts as having had their birthday; an unknown month is taken as July.
    Ages below the first bound (born after the period started) join the first group;
    an unknown birth year (withheld for k-anonymity) gives the group :data:`UNKNOWN`.
    """
    month = pl.col("birth_month").cast(pl.Int32).fill_null(7)
    age = (
        pl.lit(period.start.year)
        - pl.col("birth_year").cast(pl.Int32)
        - (month > period.start.month).cast(pl.Int32)
    )
    labels = age_labels(bounds)
    group = pl.lit(labels[0])
    for bound, label in zip(bounds[1:], labels[1:], strict=True):
        group = pl.when(pl.col("age") >= bound).then(pl.lit(label)).otherwise(group)
    group = pl.when(pl.col("age").is_null()).then(pl.lit(UNKNOWN)).otherwise(group)
    return persons.with_columns(age=age).with_columns(age_group=group)


def by_age_group(
    touched: pl.LazyFrame,
    persons: pl.LazyFrame,
    period: Period,
    bounds: Sequence[int],
    *,
    min_cell: int,
    margins: SafeTable | None = None,
    also_hidden: Sequence[tuple[str, str]] = (),
) -> SafeTable:
    """Persons by age group (rows) and number of agencies touched (columns), protected.

    Its column totals are ``margins`` (default :func:`distribution`); publish the
    tables of :func:`agency_count_tables` to keep the two consistent.
    """
    ages = with_age_group(persons, period, bounds).select("pid", "age_group")
    counts = (
        touched.join(ages, on="pid", how="left")
        .with_columns(pl.col("age_group").fill_null(UNKNOWN))
        .group_by("age_group", "n_agencies")
        .agg(n=pl.len())
        .collect()
    )
    levels = age_labels(bounds)
    if UNKNOWN in counts.get_column("age_group"):
        levels.append(UNKNOWN)
    return protect_2d(
        counts,
        "age_group",
        "n_agencies",
        min_cell=min_cell,
        row_levels=levels,
        col_levels=agency_count_levels(),
        col_margins=margins or distribution(touched, min_cell=min_cell),
        also_hidden=also_hidden,
        title="Persons by age group and number of agencies touched",
        headers=HEADERS,
        population=TOUCHED,
    )


def by_county(
    touched: pl.LazyFrame,
    persons: pl.LazyFrame,
    *,
    min_cell: int,
    margins: SafeTable | None = None,
    also_hidden: Sequence[tuple[str, str]] = (),
) -> SafeTable:
    """Persons by county of residence (latest known) and number of agencies touched.

    Its column totals are ``margins`` (default :func:`distribution`), as in
    :func:`by_age_group`.
    """
    names = county_names()
    county = persons.select(
        "pid",
        county=pl.col("county_fips")
        .replace_strict(names, default=pl.col("county_fips"))
        .fill_null(UNKNOWN),
    )
    counts = (
        touched.join(county, on="pid", how="left")
        .with_columns(pl.col("county").fill_null(UNKNOWN))
        .group_by("county", "n_agencies")
        .agg(n=pl.len())
        .sort("county", "n_agencies")
        .collect()
    )
    levels = sorted(set(counts.get_column("county").to_list()) - {UNKNOWN})
    if UNKNOWN in counts.get_column("county"):
        levels.append(UNKNOWN)
    return protect_2d(
        counts,
        "county",
        "n_agencies",
        min_cell=min_cell,
        row_levels=levels,
        col_levels=agency_count_levels(),
        col_margins=margins or distribution(touched, min_cell=min_cell),
        also_hidden=also_hidden,
        title="Persons by county and number of agencies touched",
        headers=HEADERS,
        population=TOUCHED,
    )


def agency_count_tables(
    touched: pl.LazyFrame,
    persons: pl.LazyFrame,
    period: Period,
    bounds: Sequence[int],
    top: int,
    *,
    min_cell: int,
) -> dict[str, SafeTable]:
    """The tables counting persons by number of agencies, protected together.

    Keys: ``distribution``, ``by_age_group``, ``by_county`` and ``top_combinations``
    (the row totals of :func:`combination_table`). All count the same persons: the
    distribution is the column totals of the others. A suppression one of them
    needs is carried to the others until all show the same totals suppressed, so
    no table undoes another's protection.

    Each table alone is then safe, but together they can still pin a hidden total: one
    table's hidden cells (each at least 1) bound it from below, another's published
    cells from above. So the four are attacked together by linear programming
    (:func:`enclave.disclosure.joint_disclosures`) and, while a cell is pinned, one more
    cell of a two-way table is suppressed (:func:`enclave.disclosure.next_complement`)
    and the tables are protected again.

    A period holding nobody gives tables of zeros (with no county or combination rows).
    """
    touched = touched.collect().lazy()  # counted three ways, several times
    extra: dict[str, list] = {
        "distribution": [],
        "by_age_group": [],
        "by_county": [],
        "combinations": [],
    }
    while True:
        tables = _linked_tables(touched, persons, period, bounds, top, min_cell, extra)
        published = list(tables.values())
        pins = joint_disclosures(published)
        if not pins:
            return tables
        index, cell = next_complement(published, pins)
        name = list(tables)[index]
        if name == "top_combinations":  # the row totals of the combinations table
            extra["combinations"].append((cell[0], TOTAL))
        else:
            extra[name].append(cell[0] if name == "distribution" else cell)


def _linked_tables(touched, persons, period, bounds, top, min_cell, extra) -> dict:
    """One round of :func:`agency_count_tables`: the margins made to agree."""
    forced: list[str] = list(extra["distribution"])
    while True:
        dist = distribution(touched, min_cell=min_cell, also_hidden=forced)
        linked = {
            "by_age_group": by_age_group(
                touched,
                persons,
                period,
                bounds,
                min_cell=min_cell,
                margins=dist,
                also_hidden=extra["by_age_group"],
            ),
            "by_county": by_county(
                touched, persons, min_cell=min_cell, margins=dist, also_hidden=extra["by_county"]
            ),
            "combinations": combination_table(
                touched, top, min_cell=min_cell, margins=dist, also_hidden=extra["combinations"]
            ),
        }
        if all(margins_agree(dist, t) for t in linked.values()):
            combos = published_first(row_totals(linked.pop("combinations")))
            return {"distribution": dist, **linked, "top_combinations": combos}
        forced = sorted(
            {
                *extra["distribution"],
                *hidden_cells(dist),
                *(m for t in linked.values() for m in hidden_margins(t)),
            }
        )


ON, OFF = "also on Medicaid", "not on Medicaid"


def snap_medicaid(
    spells: pl.LazyFrame, period: Period, min_match_probability: float, *, min_cell: int
) -> SafeTable:
    """SNAP recipients in the period split by whether they also had Medicaid in it.

    The total is the number of SNAP recipients; :func:`share` turns it into a rate.
    """
    active = spells_in_period(spells, period, min_match_probability)
    snap = active.filter(pl.col("program") == "SNAP").select("pid").unique()
    medicaid = active.filter(pl.col("program") == "MEDICAID").select("pid").unique()
    counts = (
        snap.join(medicaid.with_columns(on=pl.lit(True)), on="pid", how="left")
        .select(medicaid=pl.when(pl.col("on")).then(pl.lit(ON)).otherwise(pl.lit(OFF)))
        .group_by("medicaid")
        .agg(n=pl.len())
        .collect()
    )
    return protect_1d(
        counts,
        "medicaid",
        min_cell=min_cell,
        levels=[ON, OFF],
        title="SNAP recipients by Medicaid coverage in the period",
        headers=HEADERS,
        population="SNAP recipients in the period",
        period=str(period),
    )


def share(table: SafeTable, level: str) -> float | None:
    """The published share of one level in a protected one-way table (None if suppressed,
    or if the table counts nobody, as for a period holding nobody)."""
    (dim,) = table.dims
    part, total = table.value(**{dim: level}), table.value(**{dim: "Total"})
    if part is None or not total:
        return None
    return part / total
