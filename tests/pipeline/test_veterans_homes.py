"""Known answer: veterans' homes after community care on the small pipeline world. The
estimate of :mod:`enclave.studies.veterans` (a section of the lifetime-service-use
study) recovers the effect the world planted (``data/truth/effects.json``):
``veterans_home_after_ccp``, veterans' home admissions per 1,000 veteran-years at 70
and over, in the Department on Aging's community care minus not.

The check (:func:`studies.disagreement`): the planted value lies within the estimate's
95% interval, computed from the unpublished counts as
:func:`~enclave.disclosure.share_difference` would publish it (the small world has few
veterans, and fewer admissions than the minimum cell). No linkage error is added: its
bound, 0.053 of a share of persons, is 53 per 1,000, which would swamp a rate of a few
per 1,000. The small world holds a handful of admissions, so the interval is wide: the
default world is where the estimate is held to the planted value. The parameters are
this test's own, never the live params.yaml; the window is read from the coverage
table and checked against the effect's own definition. A value beyond the interval is
rejected.
"""

from __future__ import annotations

import re
from functools import partial

import polars as pl
import pytest
import studies

from enclave.studies import veterans

pytestmark = pytest.mark.slow

EFFECT = "veterans_home_after_ccp"
PROJECT = "demo"
MIN_MATCH_PROBABILITY = 0.9
disagreement = partial(studies.disagreement, value="gap", linkage_error=0.0)


@pytest.fixture(scope="module")
def effect(small_world) -> dict:
    return studies.planted_effects(small_world)[EFFECT]


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("program_spells", "persons", "coverage")
    return studies.analytic_tables(small_world, PROJECT, names)


@pytest.fixture(scope="module")
def window(tables) -> tuple[int, int]:
    return veterans.veteran_window(tables["coverage"])


@pytest.fixture(scope="module")
def years(tables, window) -> pl.DataFrame:
    first, last = window
    return veterans.veteran_years(
        tables["persons"],
        tables["program_spells"],
        first_year=first,
        last_year=last,
        min_match_probability=MIN_MATCH_PROBABILITY,
    ).collect()


def per_veteran_years(years: pl.DataFrame) -> dict:
    """Admissions per 1,000 veteran-years, in care minus not, with the interval
    ``share_difference`` publishes (times 1,000)."""
    counts = {
        g: (int(e), int(n))
        for g, n, e in years.group_by("group").agg(pl.len(), pl.col("admitted").sum()).iter_rows()
    }
    if veterans.IN_CARE not in counts or veterans.NOT_IN_CARE not in counts:
        return {"gap": None, "veteran_years": counts.get(veterans.IN_CARE, (0, 0))[1]}
    d, low, high = studies.difference_interval(
        counts[veterans.IN_CARE], counts[veterans.NOT_IN_CARE]
    )
    scale = veterans.PER_VETERAN_YEARS
    return {
        "gap": d * scale,
        "lower": low * scale,
        "upper": high * scale,
        "veteran_years": counts[veterans.IN_CARE][1],
    }


def test_the_window_is_within_the_planted_years(window, effect):
    """The years community care and IDVA's extract both cover whole: on the small world
    every year of the planted definition."""
    planted = re.findall(r"each calendar year (\d{4})-(\d{4})", effect["definition"])[0]
    assert window == (int(planted[0]), int(planted[1]))


def test_veteran_years_follow_the_planted_definition(tables, years):
    """Claimants only, each once a year; in care once stays in care; admitted only in
    a year a veterans' home stay of the veteran starts."""
    assert years.height > 0 and years.select("pid", "year").is_unique().all()
    claimants = (
        tables["program_spells"]
        .filter(pl.col("program") == veterans.CLAIM)
        .select("pid")
        .unique()
        .collect()
    )
    assert years["pid"].is_in(claimants["pid"].implode()).all()
    entered = years.filter(pl.col("in_care")).group_by("pid").agg(pl.col("year").min())
    later = years.join(entered, on="pid").filter(pl.col("year") > pl.col("year_right"))
    assert later["in_care"].all()
    births = tables["persons"].select("pid", "birth_year").collect()
    aged = years.join(births, on="pid")
    assert (aged["year"] - aged["birth_year"] >= veterans.AGE).all()


def test_veterans_home_estimate_recovers_the_planted_effect(years, effect):
    found = per_veteran_years(years)
    assert found["veteran_years"] >= 11  # veteran-years in care: a wide interval
    assert disagreement(found, effect["value"]) is None


def test_the_veterans_home_check_rejects_a_wrong_answer(years):
    found = per_veteran_years(years)
    assert disagreement(found, found["upper"] + 0.1)
    assert disagreement(found, found["lower"] - 0.1)
    assert disagreement({"gap": None}, 0.0)


def test_a_window_before_the_data_holds_nobody(tables):
    early = veterans.veteran_years(
        tables["persons"], tables["program_spells"], first_year=1980, last_year=1981
    ).collect()
    assert early.height == 0 and per_veteran_years(early)["gap"] is None
