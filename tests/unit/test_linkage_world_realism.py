"""Where the synthetic world was made more realistic for linkage (docs/linkage.md):
wage records carry SSNs only, and a keyed typo rarely hits a lone initial."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from enclave.config import ErrorRates, SynthParams
from enclave.synth import emit, noise, simulate


@pytest.fixture(scope="module")
def world_and_params():
    params = SynthParams(persons=400, seed=1)
    return simulate(params), params


def test_wage_records_only_for_workers_with_an_ssn(world_and_params):
    world, params = world_and_params
    raw, truth = emit.build_extract(world, params, "ides")
    persons = world["persons"]
    without = persons.filter(pl.col("ssn").is_null()).get_column("person_id")
    workers = world["wages"].get_column("person_id").unique()
    # the world has SSN-less workers, so the check below is not vacuous
    assert workers.is_in(without.implode()).any()
    assert not truth.get_column("person_id").is_in(without.implode()).any()
    # no made-up 9xx numbers: only a keyed typo can turn an SSN into one
    typo_free = ~(truth.get_column("err_invalid_row") | truth.get_column("err_ssn_typo"))
    clean = raw.filter(typo_free)
    assert not clean.get_column("SSN").str.starts_with("9").fill_null(False).any()


def test_typo_seldom_hits_a_lone_initial():
    n = 12000
    frame = pl.DataFrame(
        {
            "first_name": ["W", "K", "R", "M"] * (n // 4),
            "middle_name": [None] * n,
            "last_name": ["Smith", "Kowalski", "Nguyen", "Garcia"] * (n // 4),
            "birth_last_name": ["Smith", "Kowalski", "Nguyen", "Garcia"] * (n // 4),
            "dob": [None] * n,
            "ssn": [f"{100000000 + i:09d}" for i in range(n)],
            "family_ssn": [None] * n,
        },
        schema_overrides={"middle_name": pl.String, "dob": pl.Date, "family_ssn": pl.String},
    )
    zero = dict.fromkeys(ErrorRates.__dataclass_fields__, 0.0)
    rates = ErrorRates(**(zero | {"typo": 1.0}))
    out, _ = noise.apply_identifier_errors(
        frame, rates, np.random.default_rng(4), np.arange(n), {"name"}
    )
    hit = (out.get_column("first_name") != frame.get_column("first_name")).mean()
    # half the typos fall on the first name; of those, one in six survives on an initial
    expected = 0.5 * noise.INITIAL_TYPO_SHARE
    assert hit == pytest.approx(expected, abs=0.02)
    # and a full surname still takes every typo drawn for it
    assert (out.get_column("last_name") != frame.get_column("last_name")).mean() > 0.4
