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
from enclave.synth import (
    benefits,
    children,
    commerce,
    tables,
    unemployment,
    veterans,
    work,
    youth,
)
from enclave.synth.panel import traits, with_age
from enclave.synth.state import Events, People, day

#: the seed stream of youth custody's draws (beside ``synth.seed``)
YOUTH_STREAM = 18
#: the seed stream of energy assistance's and workforce training's draws (DCEO)
COMMERCE_STREAM = 23
#: the seed stream of military service's and veterans' benefits' draws (IDVA)
VETERANS_STREAM = 31
#: the seed stream of unemployment insurance claims' draws (IDES UI claims)
CLAIMS_STREAM = 32


def simulate_programs(
    rng: np.random.Generator,
    params: SynthParams,
    people: People,
    events: Events,
    addr: pl.DataFrame,
    births: pl.DataFrame,
    persons: pl.DataFrame,
) -> dict[str, pl.DataFrame]:
    """Every program table, in dependency order (prison first: it blocks the others).

    Youth custody comes after child welfare (a placement raises it) and adds the adult
    prison stays that follow it, which then block wages. Medicaid and SNAP were drawn
    before those added stays, so they are not stopped by them (docs/INTERFACES.md).
    Energy assistance and workforce training (DCEO) come after benefits and wages, and
    add to the wages the jobs trainees are placed in after their exit. Military service
    and veterans' benefits come last: they remove the wages of active duty and end
    community care at a veterans' home admission; UI claims follow from the final wages.
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
    # energy assistance and workforce training follow benefits, wages and prison, and
    # add the jobs trainees are placed in, from their own generator
    commerce_rng = np.random.default_rng([params.seed, COMMERCE_STREAM])
    out["liheap"] = commerce.liheap(commerce_rng, py, out["snap_tanf"], out["medicaid"], params)
    out["wioa"] = commerce.wioa(commerce_rng, py, out["wages"], out["snap_tanf"], out["prison"],
                                params)  # fmt: skip
    out["wages"] = commerce.placed_wages(commerce_rng, out["wioa"], py, out["wages"],
                                         out["prison"], params)  # fmt: skip
    out.update(_veterans(py, persons, out, params))
    # UI claims follow job losses in the final wages (and discharges), from their own
    # generator
    claims_rng = np.random.default_rng([params.seed, CLAIMS_STREAM])
    out["ui_claims"] = unemployment.ui_claims(
        claims_rng, py, out["wages"], persons, out["military"], out["prison"], params
    )
    return out


def _veterans(
    py: pl.DataFrame, persons: pl.DataFrame, out: dict[str, pl.DataFrame], params: SynthParams
) -> dict[str, pl.DataFrame]:
    """Military service and veterans' benefits, from their own generator, after every
    other program (service before a prison or youth stay is not drawn): wages stop on
    active duty, and community care at a veterans' home admission."""
    rng = np.random.default_rng([params.seed, VETERANS_STREAM])
    service = veterans.military(rng, persons, out["prison"], out["djj"], params)
    benefits_df = veterans.idva(rng, py, service, out["ccp"], params)
    return {
        "military": service,
        "idva": benefits_df,
        "wages": veterans.without_service_wages(out["wages"], service, params.end_year),
        "ccp": veterans.ccp_around_homes(out["ccp"], benefits_df),
    }
