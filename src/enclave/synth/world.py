"""The synthetic world as data: who exists, who is related to whom, where they
live, and every program contact of their life course. ``simulate`` (enclave.synth)
builds a :class:`World`; the emitters (enclave.synth.emit) turn it into agency
extracts with identifier errors. Everything here is truth: it goes to
``data/truth/`` and is read downstream only by evaluations and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

D, S, I64, I32, I8, F64, B = pl.Date, pl.String, pl.Int64, pl.Int32, pl.Int8, pl.Float64, pl.Boolean

#: table name -> column -> dtype; a World's frames have exactly these columns
SCHEMAS: dict[str, dict[str, type[pl.DataType]]] = {
    "persons": {
        "person_id": I64,
        "household_id": I64,
        "first_name": S,
        "middle_name": S,
        "last_name": S,
        "suffix": S,
        "sex": S,
        "dob": D,
        "ssn": S,
        "mother_id": I64,
        "father_id": I64,
        "twin_id": I64,
        "death_date": D,
    },
    # surname history: one row per surname a person has held, from a date
    "surnames": {"person_id": I64, "valid_from": D, "last_name": S},
    "residences": {
        "person_id": I64,
        "valid_from": D,
        "valid_to": D,
        "street_address": S,
        "city": S,
        "zip": S,
        "county_fips": S,
    },
    "relations": {"child_id": I64, "parent_id": I64, "role": S},
    # program contacts (canonical, before any agency formatting or error)
    "medicaid": {"person_id": I64, "start": D, "end": D, "category": S},
    "snap_tanf": {
        "person_id": I64,
        "case_id": S,
        "month": D,
        "program": S,
        "relationship": S,
    },
    "ccp": {"person_id": I64, "start": D, "end": D, "service_type": S},
    "dcfs": {
        "person_id": I64,
        "event_type": S,
        "start": D,
        "end": D,
        "finding": S,
        "placement_type": S,
        "county_fips": S,
    },
    "school": {
        "person_id": I64,
        "school_year": I32,
        "grade": I8,
        "exit_status": S,
        "county_fips": S,
    },
    "wages": {"person_id": I64, "year": I32, "quarter": I8, "employer_id": S, "wages": F64},
    "prison": {
        "person_id": I64,
        "admit_date": D,
        "release_date": D,
        "offense_class": S,
        "county_fips": S,
    },
    # youth custody (Juvenile Justice): one row per DJJ stay
    "djj": {
        "person_id": I64,
        "admit_date": D,
        "release_date": D,
        "admission_type": S,
        "facility": S,
        "release_reason": S,
        "county_fips": S,
    },
    # energy assistance (DCEO): one row per member listed on a LIHEAP application
    "liheap": {
        "person_id": I64,
        "application_id": S,
        "program_year": I32,
        "application_date": D,
        "relationship": S,
        "household_size": I8,
        "benefit": F64,
        "heating_source": S,
    },
    # workforce training (DCEO): one row per WIOA enrolment
    "wioa": {
        "person_id": I64,
        "funding_stream": S,
        "enrol_date": D,
        "exit_date": D,
        "exit_reason": S,
        "credential": S,
    },
    # military service (a DD-214 per veteran): discharge null while still serving
    "military": {
        "person_id": I64,
        "branch": S,
        "entry_date": D,
        "discharge_date": D,
        "character": S,
    },
    # veterans' benefits (Veterans' Affairs): one row per claim or veterans' home stay
    "idva": {
        "person_id": I64,
        "program": S,
        "claim_type": S,
        "home": S,
        "start": D,
        "end": D,
        "outcome": S,
    },
    # unemployment insurance claims (Employment Security): one row per benefit year
    "ui_claims": {
        "person_id": I64,
        "benefit_year_begin": D,
        "program": S,
        "separation_reason": S,
        "weekly_benefit": F64,
        "weeks_claimed": I8,
        "weeks_paid": I8,
    },
    "births": {
        "child_id": I64,
        "mother_id": I64,
        "father_id": I64,
        "birth_date": D,
        "county_fips": S,
        "plurality": I8,
        "father_named": B,
    },
    "deaths": {"person_id": I64, "death_date": D, "county_fips": S},
}

PROGRAM_TABLES = (
    "medicaid",
    "snap_tanf",
    "ccp",
    "dcfs",
    "school",
    "wages",
    "prison",
    "djj",
    "liheap",
    "wioa",
    "military",
    "idva",
    "ui_claims",
    "births",
    "deaths",
)


@dataclass(frozen=True)
class World:
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    #: planted effects: name -> {value, tolerance, description, definition}
    effects: dict[str, dict] = field(default_factory=dict)

    def __getitem__(self, name: str) -> pl.DataFrame:
        return self.tables[name]


def empty(name: str) -> pl.DataFrame:
    """An empty frame with the table's schema."""
    return pl.DataFrame(schema=SCHEMAS[name])


def conforms(world: World) -> list[str]:
    """Problems with a world's tables (missing tables, wrong columns or dtypes)."""
    problems = []
    for name, schema in SCHEMAS.items():
        frame = world.tables.get(name)
        if frame is None:
            problems.append(f"missing table {name}")
        elif dict(frame.schema) != {k: v() for k, v in schema.items()}:
            problems.append(f"table {name}: schema differs from world.SCHEMAS")
    return problems
