"""The release ledger catches differencing: two comparable tables whose published cells
differ by a group smaller than the minimum cell. Re-releasing a table is not a hit."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from enclave.disclosure import airlock, ledger, protect_1d
from enclave.disclosure.review import StudyRules
from enclave.governance import audit
from enclave.governance.agreement import DisclosureRules

RULES = StudyRules(
    "overlap",
    "demo",
    ("hfs",),
    DisclosureRules(min_cell=10),
    frozenset(),
    frozenset({"ana_researcher", "ben_analyst"}),
)
PERIOD = "2019-01-01/2019-12-31"
CHECKERS = ("olu_checker", "pat_checker", "rae_checker")
ALL = {"Adams": 40, "Brown": 55, "Cass": 3}
WITHOUT_CASS = {"Adams": 40, "Brown": 55}


@pytest.fixture
def store(tmp_path):
    return airlock.Store.under(tmp_path / "state")


@pytest.fixture
def log(tmp_path):
    return audit.Log(tmp_path / "state", b"k" * 32)


def write_table(path: Path, counts: dict[str, int], population: str) -> None:
    frame = pl.DataFrame({"county": list(counts), "n": list(counts.values())})
    protect_1d(
        frame, "county", min_cell=10, title="Persons by county", population=population,
        period=PERIOD,
    ).write_csv(path)  # fmt: skip


def study(tmp_path, name: str, counts: dict[str, int], population: str) -> Path:
    """outputs/overlap as a run wrote it: one table, ``tables/<name>.csv``."""
    folder = tmp_path / name / "overlap"
    write_table(folder / "tables" / f"{name}.csv", counts, population)
    return folder


def ask(folder, store, log) -> str:
    return airlock.request(folder, RULES, None, user="ana_researcher", store=store, log=log)["id"]


def approved(folder, store, log) -> str:
    request_id = ask(folder, store, log)
    for checker in CHECKERS[:2]:
        airlock.review(
            request_id, user=checker, approve=True, checkers=CHECKERS, store=store, log=log
        )
    return request_id


def release(request_id, tmp_path, store, log) -> Path:
    releases = tmp_path / "releases"
    return airlock.release(request_id, releases=releases, user="olu_checker", store=store, log=log)


def table(rows, population="persons", period=PERIOD, measure="persons", dims=("county",),
          min_cell=10, source="r-0001"):  # fmt: skip
    cert = {
        "file": "tables/t.csv", "kind": "counts", "title": "T", "dims": list(dims),
        "columns": [*dims, "n"], "rows": rows,
        "definition": {"measure": measure, "population": population, "period": period},
    }  # fmt: skip
    return ledger.Table.of(cert, source, min_cell)


def test_a_table_excluding_one_small_county_is_refused_naming_both(tmp_path, store, log):
    first = approved(study(tmp_path, "all", ALL, "persons in 2019"), store, log)
    release(first, tmp_path, store, log)
    second = study(tmp_path, "no_cass", WITHOUT_CASS, "persons in 2019 outside Cass")
    with pytest.raises(airlock.ExportRefused, match="differencing") as exc:
        ask(second, store, log)
    message = str(exc.value)
    assert "this request: tables/no_cass.csv (Persons by county)" in message
    assert f"{first}: tables/all.csv (Persons by county)" in message
    assert "cells (county=Total) differ by less than the minimum cell 10" in message
    assert not any(str(v) in message for v in (95, 98, 55, 40))
    assert [r["id"] for r in store.records()] == [first]


def test_re_requesting_the_identical_table_is_allowed(tmp_path, store, log):
    folder = study(tmp_path, "all", ALL, "persons in 2019")
    release(approved(folder, store, log), tmp_path, store, log)
    again = approved(folder, store, log)
    assert again == "overlap-0002"
    release(again, tmp_path, store, log)
    assert [t.source for t in ledger.read(store.ledger)] == ["overlap-0001", "overlap-0002"]


def test_two_pending_requests_cannot_both_release_a_differencing_pair(tmp_path, store, log):
    first = approved(study(tmp_path, "all", ALL, "persons in 2019"), store, log)
    second = approved(study(tmp_path, "no_cass", WITHOUT_CASS, "outside Cass"), store, log)
    release(first, tmp_path, store, log)
    with pytest.raises(airlock.ExportRefused, match=re.escape(f"{second}: tables/no_cass.csv")):
        release(second, tmp_path, store, log)
    assert not (tmp_path / "releases" / second).exists()
    assert [t.source for t in ledger.read(store.ledger)] == [first]


def test_tables_leaving_together_are_compared_with_each_other(tmp_path, store, log):
    folder = study(tmp_path, "all", ALL, "persons in 2019")
    write_table(folder / "tables" / "no_cass.csv", WITHOUT_CASS, "persons outside Cass")
    with pytest.raises(airlock.ExportRefused, match=r"this request: tables/no_cass\.csv"):
        ask(folder, store, log)


def test_a_difference_is_a_hit_only_in_a_cell_both_publish():
    released = table([["Adams", None], ["Brown", 55], ["Total", 98]])
    assert ledger.compare(table([["Adams", 40], ["Brown", 55], ["Total", 95]]), released).cells == (
        (("county=Total",), "n"),
    )  # fmt: skip
    # the totals differ by 3 but the new one is suppressed; Adams is suppressed in the old
    assert ledger.compare(table([["Adams", 41], ["Brown", 55], ["Total", None]]), released) is None


def test_a_difference_of_the_minimum_cell_or_more_is_not_a_hit():
    released = table([["Total", 98]])
    assert ledger.compare(table([["Total", 88]]), released) is None
    assert ledger.compare(table([["Total", 89]]), released) is not None


def test_the_stricter_minimum_cell_of_the_two_tables_applies():
    released = table([["Total", 98]], min_cell=11)
    hit = ledger.compare(table([["Total", 88]]), released)
    assert hit is not None and hit.min_cell == 11


def test_the_same_population_text_with_other_values_is_a_hit():
    hit = ledger.compare(table([["Total", 95]]), table([["Total", 98]]))
    assert hit is not None and str(hit).startswith("r-0001: tables/t.csv (T) against r-0001")


@pytest.mark.parametrize("other", [
    {"period": "2020-01-01/2020-12-31"},
    {"measure": "events"},
    {"dims": ("age",)},
])  # fmt: skip
def test_tables_of_other_periods_measures_or_dimensions_are_not_compared(other):
    assert ledger.compare(table([["Total", 95]], **other), table([["Total", 98]])) is None


@pytest.mark.parametrize("period", ["", "2019-07-01/2020-06-30", "2019-12-31"])
def test_an_empty_or_overlapping_period_is_compared(period):
    assert ledger.compare(table([["Total", 95]], period=period), table([["Total", 98]]))


def test_a_two_way_grand_total_is_a_cell():
    dims = ("county", "sex")
    new = table([["Total", "Total", 95], ["Adams", "F", 20]], dims=dims)
    hit = ledger.compare(new, table([["Total", "Total", 98], ["Adams", "F", 20]], dims=dims))
    assert hit is not None and hit.cells == ((("county=Total", "sex=Total"), "n"),)


def test_an_unreadable_ledger_stops_the_check(tmp_path):
    path = tmp_path / "ledger.jsonl"
    path.write_text('{"release": "a-0001"}\nnot json\n')
    with pytest.raises(ledger.LedgerError, match="line 2 is not a ledger entry"):
        ledger.read(path)
