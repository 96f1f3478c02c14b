"""Invariants of the synthetic world for any seed and (small) size."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enclave.config import SynthParams
from enclave.synth import simulate
from enclave.synth.population import match_pairs
from enclave.synth.world import conforms


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31), persons=st.integers(150, 600))
def test_any_small_world_conforms_and_is_consistent(seed, persons):
    world = simulate(SynthParams(persons=persons, seed=seed, start_year=2005, end_year=2012))
    assert conforms(world) == []
    p = world["persons"]
    assert p.height == persons
    ids = set(p["person_id"].to_list())
    for col in ("mother_id", "father_id", "twin_id"):
        assert set(p[col].drop_nulls().to_list()) <= ids
    assert world["births"]["birth_date"].dt.year().is_between(2005, 2012).all()
    assert world["residences"]["person_id"].n_unique() == persons


@settings(max_examples=50, deadline=None)
@given(
    want=st.lists(st.integers(18, 25), min_size=0, max_size=30),
    have=st.lists(st.integers(18, 25), min_size=0, max_size=30),
    seed=st.integers(0, 1000),
)
def test_match_pairs_never_reuses_a_partner_and_respects_ages(want, have, seed):
    rng = np.random.default_rng(seed)
    seekers, cands = np.arange(len(want)), np.arange(100, 100 + len(have))
    a, b = match_pairs(rng, seekers, np.array(want, dtype=int), cands, np.array(have, dtype=int))
    assert len(set(a.tolist())) == len(a) and len(set(b.tolist())) == len(b)
    for x, y in zip(a, b, strict=True):
        assert want[x] == have[y - 100]
    # as many matches as the supply allows, age by age
    expected = sum(min(want.count(v), have.count(v)) for v in set(want))
    assert len(a) == expected
