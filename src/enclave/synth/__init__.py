"""The synthetic world: a seeded population with life courses, and its agency extracts.

``simulate(params)`` builds the :class:`~enclave.synth.world.World` (pure, no I/O);
``run(params, landing, truth)`` writes the truth tables and the agency extracts.

How the world is made (each step vectorised over everyone, one loop over years):

* ``population``: the people alive at the start, ages 0-95, matched into mothers,
  couples (by an age-rank join) and living units with Illinois addresses; census
  name frequencies, married and hyphenated surnames, twins, juniors.
* ``lifecourse``: each year, hardship moves (a lasting base per unit plus an AR(1)
  part), people die, give birth (twins, named or unnamed fathers), move, marry,
  divorce, leave home, arrive from elsewhere.
* ``tables``: persons (with unique valid SSNs), surnames, residences, relations,
  births, deaths, and the person-year panel that drives ``programs``.
* ``programs``: Medicaid, SNAP/TANF, child welfare, school, wages, prison,
  community care, energy assistance and workforce training, all driven by the unit's
  hardship so they co-occur as in life; then military service and veterans' benefits,
  and the UI claims that follow job losses.
* ``effects``: the planted effects, measured on the tables (``truth/effects.json``).

>>> from enclave.config import SynthParams
>>> world = simulate(SynthParams(persons=400, seed=1))
>>> world["persons"].height
400
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from enclave.config import SynthParams
from enclave.errors import EnclaveError
from enclave.progress import steps
from enclave.synth import effects, programs, tables
from enclave.synth.lifecourse import Year
from enclave.synth.population import initial_population
from enclave.synth.state import Events, Growable, People, day
from enclave.synth.world import PROGRAM_TABLES, World

__all__ = ["SynthError", "World", "run", "simulate"]

#: share of the final population alive at the start; births and immigrants fill the rest
INITIAL_SHARE = 0.76
IMMIGRANT_SHARE = 0.035
MIN_PERSONS = 50


def _yearly(total: int, years: int, trend: float) -> np.ndarray:
    """Split ``total`` over ``years`` with a linear trend (births fall over the window)."""
    w = 1 + trend * (np.arange(years) - (years - 1) / 2) / max(years, 1)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    out[: total - out.sum()] += 1
    return out


def _life_courses(params: SynthParams, rng: np.random.Generator):
    """Run the population through the window; returns the simulation's state."""
    n = params.persons
    years = params.end_year - params.start_year + 1
    n0 = round(n * INITIAL_SHARE)
    n_imm = round(n * IMMIGRANT_SHARE)
    people = People(n)
    units = Growable(h=np.float64, base=np.float64, x=np.float64, addr=np.int64, since=np.int64)
    addresses = Growable(zip=np.int64, house=np.int64, street=np.int64, apt=np.int64)
    events = Events()
    start = day(params.start_year)
    marriage = initial_population(rng, people, units, addresses, n0, start)
    home = people.household[:n0]
    moved_in = np.maximum(people.dob[:n0], units.since[home])
    events.residence.append((np.arange(n0), moved_in, units.addr[home]))
    births = _yearly(n - n0 - n_imm, years, -0.3)
    imm = _yearly(n_imm, years, 0.0)
    step = Year(rng, people, units, addresses, events)
    window = range(params.start_year, params.end_year + 1)
    for i, year in enumerate(steps(window, "synthesize: life courses", unit="year")):
        step.run(year, int(births[i]), int(imm[i]))
    return people, units, addresses, events, np.arange(n0), marriage


class SynthError(EnclaveError):
    """The synthetic world cannot be built with these parameters."""


def simulate(params: SynthParams) -> World:
    """Build the synthetic world for ``params`` (same params -> identical frames)."""
    if params.persons < MIN_PERSONS:
        raise SynthError(f"synth.persons must be at least {MIN_PERSONS} (families need adults)")
    if params.end_year < params.start_year:
        raise SynthError("synth.end_year must not be before synth.start_year")
    rng = np.random.default_rng(params.seed)
    people, _units, addresses, events, initial, marriage = _life_courses(params, rng)
    end = day(params.end_year + 1)
    addr = tables.address_frame(addresses)
    persons = tables.persons(rng, people, end - 1)
    out = {
        "persons": persons,
        "surnames": tables.surnames(people, events, initial, marriage),
        "residences": tables.residences(people, events, addr),
        "relations": tables.relations(persons),
        "births": tables.births(events, addr),
    }
    out["deaths"] = tables.deaths(persons, out["residences"])
    out.update(
        programs.simulate_programs(rng, params, people, events, addr, out["births"], persons)
    )
    return World(tables=out, effects=effects.compute(out, params))


def run(params: SynthParams, landing: Path, truth: Path) -> None:
    """Simulate, then write the truth tables and every agency extract, all or nothing."""
    from enclave.io import atomic_dir, write_json, write_parquet
    from enclave.synth import emit

    world = simulate(params)
    with atomic_dir(Path(truth)) as truth_tmp, atomic_dir(Path(landing)) as landing_tmp:
        for name in ("persons", "surnames", "residences", "relations"):
            write_parquet(world[name], truth_tmp / f"{name}.parquet")
        for name in PROGRAM_TABLES:
            write_parquet(world[name], truth_tmp / "programs" / f"{name}.parquet")
        write_json(world.effects, truth_tmp / "effects.json")
        # extracts are written a piece at a time, their records truth set aside in
        # pieces and merged once the world is freed: memory stays bounded at 1M persons
        parts = truth_tmp / ".records_parts"
        emit.write_extracts(world, params, landing_tmp, parts)
        del world
        emit.merge_records(parts, truth_tmp / "records.parquet")
