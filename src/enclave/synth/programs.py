"""Program contacts drawn from the person-year panel of the simulation.

Every program is driven by the same latent hardship of the person's living unit
(AR(1) over years), so programs co-occur as in life: hard-up units get SNAP and
Medicaid together, their children are investigated more often, their adults work
less and are admitted to prison more often. Person-years in prison get no wages,
SNAP or Medicaid; nothing happens after death.

Input ``py`` (tables.person_years): person, person_id, year, unit, h, county_fips,
sex, dob, entry, death (days), mother, father.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.config import SynthParams
from enclave.synth import benefits, children, tables, work, youth
from enclave.synth.panel import traits, with_age
from enclave.synth.state import Events, People, day

#: the seed stream of youth custody's draws (beside ``synth.seed``)
YOUTH_STREAM = 18


def simulate_programs(
    rng: np.random.Generator,
    params: SynthParams,
    people: People,
    events: Events,
    addr: pl.DataFrame,
    births: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Every program table, in dependency order (prison first: it blocks the others).

    Youth custody comes after child welfare (a placement raises it) and adds the adult
    prison stays that follow it, which then block wages. Medicaid and SNAP were drawn
    before those added stays, so they are not stopped by them (docs/INTERFACES.md).
    """
    end = day(params.end_year + 1)
    py = tables.person_years(events, addr, people)
    events.years.clear()  # the panel now holds them; at 1M persons this frees ~1 GB
    # joins do not keep row order; random draws follow rows, so sort before drawing
    py = with_age(py).join(traits(rng, people.count), on="person_id").sort("person_id", "year")
    out = {"prison": work.prison(rng, py, end)}
    jailed = work.in_prison_years(out["prison"], params.end_year)
    py = py.join(jailed, on=["person_id", "year"], how="left").sort("person_id", "year")
    out["medicaid"] = benefits.medicaid(rng, py, births, params)
    out["snap_tanf"] = benefits.snap_tanf(rng, py, params)
    exposed = children.parent_prison_before_birth(births, out["prison"])
    out["dcfs"] = children.dcfs(rng, py, params, exposed)
    # youth custody follows child welfare and adds adult prison stays, from its own
    # generator: the draws of every other program stay as they were
    youth_rng = np.random.default_rng([params.seed, YOUTH_STREAM])
    out["djj"] = youth.djj(youth_rng, py, out["dcfs"], params)
    out["prison"] = youth.after_djj_prison(youth_rng, py, out["djj"], out["prison"], params)
    out["djj"] = youth.transfer_to_prison(out["djj"], out["prison"])
    jailed = work.in_prison_years(out["prison"], params.end_year)
    py = py.drop("jailed").join(jailed, on=["person_id", "year"], how="left", maintain_order="left")
    out["school"] = children.school(rng, py, out["dcfs"], params)
    out["wages"] = work.wages(rng, py, out["prison"], out["snap_tanf"], params)
    out["ccp"] = benefits.ccp(rng, py, params)
    return out
