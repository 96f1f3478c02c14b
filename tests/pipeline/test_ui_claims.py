"""Known answer: UI claims after a job loss on the small pipeline world. The estimate
of :mod:`enclave.studies.claims` (a section of the workforce-training study) recovers
the effect the world planted (``data/truth/effects.json``): ``ui_claim_low_wage_gap``,
the share of job losses followed by a UI claim, low-wage minus the others.

The check (:func:`studies.disagreement`): the planted value lies within the estimate's
95% interval, computed from the unpublished counts as
:func:`~enclave.disclosure.share_difference` publishes it, widened by
``studies.LINKAGE_ERROR``: a difference of two shares, each of which linkage error
moves by at most the bound (as for ``wioa_reemployment``, a share of losses, not of
persons). The parameters are this test's own, never the live params.yaml; the claim
years are read from the claims' life events and checked against the effect's own
definition. The reversed gap and a value beyond the interval are rejected.
"""

from __future__ import annotations

import re
from functools import partial

import polars as pl
import pytest
import studies

from enclave.studies import claims
from enclave.studies.cohorts import coverage

pytestmark = pytest.mark.slow

EFFECT = "ui_claim_low_wage_gap"
PROJECT = "demo"
MIN_MATCH_PROBABILITY = 0.9
disagreement = partial(studies.disagreement, value="gap")


@pytest.fixture(scope="module")
def effect(small_world) -> dict:
    return studies.planted_effects(small_world)[EFFECT]


@pytest.fixture(scope="module")
def tables(small_world) -> dict[str, pl.LazyFrame]:
    names = ("program_spells", "persons", "life_events", "person_quarters", "coverage")
    return studies.analytic_tables(small_world, PROJECT, names)


@pytest.fixture(scope="module")
def years(tables) -> tuple[int, int]:
    found = claims.claim_years(tables["life_events"])
    assert found is not None
    return found


def losses_in(tables, first: int, last: int) -> pl.DataFrame:
    _, wages_to = coverage(tables["coverage"], claims.EMPLOYMENT)
    return claims.job_losses(
        tables["program_spells"],
        tables["persons"],
        tables["life_events"],
        tables["person_quarters"],
        first_year=first,
        last_year=last,
        wages_end=wages_to,
        min_match_probability=MIN_MATCH_PROBABILITY,
    ).collect()


@pytest.fixture(scope="module")
def losses(tables, years) -> pl.DataFrame:
    return losses_in(tables, *years)


def gap(losses: pl.DataFrame, group: str, reference: str) -> dict:
    """The share claimed in ``group`` minus that in ``reference``, with the interval
    ``share_difference`` publishes."""
    counts = {
        g: (int(e), int(n))
        for g, n, e in losses.group_by("group").agg(pl.len(), pl.col("claimed").sum()).iter_rows()
    }
    if group not in counts or reference not in counts:
        return {"gap": None, "losses": counts.get(group, (0, 0))[1]}
    d, low, high = studies.difference_interval(counts[group], counts[reference])
    return {"gap": d, "lower": low, "upper": high, "losses": counts[group][1]}


def test_the_claim_years_are_the_planted_effects(years, effect):
    planted = re.findall(r"q \+ 1 in (\d{4})-(\d{4})", effect["definition"])[0]
    assert years == (int(planted[0]), int(planted[1]))


def test_losses_follow_the_planted_definition(losses, years, effect):
    """The low-wage line and the claim's dates as the definition words them; ages 18-64;
    ``q + 1`` in the claim years; one row per loss."""
    definition = effect["definition"]
    assert f"${claims.LOW_WAGE:,.0f} a quarter in {claims.BASE_YEAR} dollars" in definition
    assert f"times {claims.WAGE_GROWTH} a year" in definition
    assert "six days before q through the end of q + 1" in definition
    assert claims.CLAIM_LEAD_DAYS == 6
    assert losses["age"].is_between(*claims.AGES).all()
    assert ((losses["index_quarter"] + 1) // 4).is_between(*years).all()
    assert losses["exit_id"].is_unique().all()
    low = losses.filter(pl.col("low_wage"))
    assert (low["group"] == claims.LOW).all() and (low["recent"] > 0).all()


def test_ui_claim_gap_recovers_the_planted_effect(losses, effect):
    found = gap(losses, claims.LOW, claims.OTHER)
    assert found["losses"] > 100  # low-wage losses: enough for a share to mean something
    assert disagreement(found, effect["value"]) is None


def test_the_ui_claim_check_rejects_a_wrong_answer(losses, effect):
    """The reversed gap (the others minus low wage) is rejected, and so is a value
    beyond the interval and the bound."""
    reversed_gap = gap(losses, claims.OTHER, claims.LOW)
    assert disagreement(reversed_gap, effect["value"])
    found = gap(losses, claims.LOW, claims.OTHER)
    assert disagreement(found, found["upper"] + studies.LINKAGE_ERROR + 0.001)
    assert disagreement(found, found["lower"] - studies.LINKAGE_ERROR - 0.001)


def test_years_without_claims_hold_no_loss(tables):
    assert losses_in(tables, 1990, 1991).height == 0
    none = tables["life_events"].filter(pl.col("event") != claims.UI_CLAIM)
    assert claims.claim_years(none) is None
