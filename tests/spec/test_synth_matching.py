"""Small pieces of the simulation, one behaviour each, on tiny inline inputs."""

from __future__ import annotations

import numpy as np

from enclave.synth import _yearly
from enclave.synth.population import hyphenate, match_pairs
from enclave.synth.state import Growable, day


def test_match_pairs_gives_each_seeker_a_partner_of_the_wanted_age():
    rng = np.random.default_rng(0)
    seekers, want = np.array([10, 11, 12]), np.array([30, 30, 40])
    cands, ages = np.array([20, 21, 22, 23]), np.array([30, 40, 30, 50])
    a, b = match_pairs(rng, seekers, want, cands, ages)
    assert sorted(a.tolist()) == [10, 11, 12]
    age_of = dict(zip(cands.tolist(), ages.tolist(), strict=True))
    wanted = dict(zip(seekers.tolist(), want.tolist(), strict=True))
    assert all(age_of[y] == wanted[x] for x, y in zip(a, b, strict=True))
    assert len(set(b.tolist())) == 3


def test_match_pairs_leaves_seekers_unmatched_when_supply_runs_out():
    rng = np.random.default_rng(0)
    a, b = match_pairs(rng, np.array([1, 2]), np.array([30, 30]), np.array([9]), np.array([30]))
    assert len(a) == len(b) == 1 and b[0] == 9


def test_hyphenate_joins_two_surnames():
    out = hyphenate(
        np.array(["Garcia", "Smith"], dtype=object), np.array(["Lopez", "Jones"], dtype=object)
    )
    assert out.tolist() == ["Garcia-Lopez", "Smith-Jones"]


def test_yearly_split_sums_to_the_total_and_follows_the_trend():
    out = _yearly(1000, 25, -0.3)
    assert out.sum() == 1000 and len(out) == 25
    assert out[0] > out[-1]


def test_day_counts_from_the_unix_epoch():
    assert day(1970) == 0
    assert day(2000, 1, 1) == 10957


def test_growable_keeps_values_across_growth():
    g = Growable(v=np.int64)
    first = g.append(v=np.arange(1000))
    second = g.append(v=np.arange(1000, 3000))
    assert first[0] == 0 and second[-1] == 2999
    assert g.v.tolist() == list(range(3000))


def test_a_population_too_small_for_families_is_refused():
    import pytest

    from enclave.config import SynthParams
    from enclave.errors import EnclaveError
    from enclave.synth import simulate

    with pytest.raises(EnclaveError, match=r"synth\.persons"):
        simulate(SynthParams(persons=3))
    with pytest.raises(EnclaveError, match="end_year"):
        simulate(SynthParams(persons=100, start_year=2010, end_year=2005))
