"""A small made-up research zone for developing and testing studies.

:func:`write_analytic` writes the analytic tables of docs/INTERFACES.md, with
exactly their columns, under ``<root>/data/research/<project>/analytic/`` plus a
minimal ``<root>/params.yaml`` approving the project, so a study notebook runs
end to end without the upstream pipeline (tests, CI through nbmake, demos).

The people are invented from a seeded generator; no real or synthetic-world
person stands behind them, and nothing here is truth for any evaluation.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from enclave import io
from enclave.analytic.school import build_coverage
from enclave.paths import Paths
from enclave.testing.governance import write_terms

S, D, F, B, I32, I8 = pl.String, pl.Date, pl.Float64, pl.Boolean, pl.Int32, pl.Int8

#: program -> (agency, share of persons with a spell in the fixture's year)
PROGRAMS: dict[str, tuple[str, float]] = {
    "MEDICAID": ("hfs", 0.45),
    "SNAP": ("idhs", 0.30),
    "TANF": ("idhs", 0.05),
    "CCP": ("aging", 0.04),
    "DCFS_INVESTIGATION": ("dcfs", 0.04),
    "DCFS_PLACEMENT": ("dcfs", 0.01),
    "SCHOOL": ("isbe", 0.20),
    "EMPLOYMENT": ("ides", 0.50),
    "PRISON": ("idoc", 0.02),
    "DJJ_CUSTODY": ("djj", 0.01),
    "LIHEAP": ("dceo", 0.06),
    "WIOA": ("dceo", 0.01),
    "VETERANS_CLAIM": ("idva", 0.01),
    "VETERANS_HOME": ("idva", 0.002),
    "UI_CLAIM": ("ides_ui", 0.03),
}

#: column -> dtype of every analytic table, as the fixture writes them
SCHEMAS: dict[str, dict[str, pl.DataType | type[pl.DataType]]] = {
    "persons": {
        "pid": S,
        "birth_year": I32,
        "birth_month": I8,
        "sex": S,
        "death_year": I32,
        "death_month": I8,
        "county_fips": S,
        "counties": pl.List(S),
        "agencies": pl.List(S),
        "match_probability": F,
        "name_only_records": I32,
    },
    "program_spells": {
        "pid": S,
        "program": S,
        "agency": S,
        "start": D,
        "end": D,
        "n_records": I32,
        "match_probability": F,
        "name_only_records": I32,
    },
    "person_quarters": {
        "pid": S,
        "year": I32,
        "quarter": I8,
        **{p.lower(): B for p in PROGRAMS},
        "wages": F,
        "employed": B,
        "incarcerated": B,
        "in_school": B,
        "county_fips": S,
    },
    "life_events": {"pid": S, "event": S, "date": D, "agency": S},
    "family_links": {"child_pid": S, "parent_pid": S, "role": S, "match_probability": F},
    "school_years": {
        "pid": S,
        "school_year": I32,
        "grade": I8,
        "exit_status": S,
        "county_fips": S,
        "match_probability": F,
        "name_only_records": I32,
    },
    "coverage": {"source": S, "agency": S, "start": D, "end": D},
}

_COUNTIES = ["17031", "17043", "17089", "17097", "17119", "17163", "17197", "17201"]


def write_analytic(
    root: Path, project: str = "demo", persons: int = 1500, seed: int = 0, year: int = 2019
) -> Path:
    """Write the fixture research zone under ``root``; returns the analytic directory."""
    tables = build(persons, seed, year)
    paths = Paths(Path(root))
    if not paths.params_file.exists():
        paths.params_file.parent.mkdir(parents=True, exist_ok=True)
        paths.params_file.write_text(f"deid:\n  projects: [{project}]\n")
    write_terms(paths.root, project)
    with io.atomic_dir(paths.analytic(project)) as tmp:
        for name, frame in tables.items():
            io.write_parquet(frame, tmp / f"{name}.parquet")
    return paths.analytic(project)


def build(persons: int, seed: int, year: int) -> dict[str, pl.DataFrame]:
    """Every table, in memory."""
    rng = np.random.default_rng(seed)
    pids = [f"F{i:011x}" for i in range(persons)]
    spells = _spells(rng, pids, year)
    events = _events(rng, pids, year)
    people = _persons(rng, pids, spells, events)
    tables = {
        "persons": people,
        "program_spells": spells,
        "person_quarters": _quarters(spells, people, year),
        "life_events": events,
        "family_links": _family(rng, pids),
        "school_years": _school_years(rng, spells, people),
        "coverage": build_coverage(spells),
    }
    return {name: _typed(name, frame) for name, frame in tables.items()}


def _school_years(
    rng: np.random.Generator, spells: pl.DataFrame, people: pl.DataFrame
) -> pl.DataFrame:
    """A school year per SCHOOL spell (the fall of its start), a random grade, and the
    person's county; the draws come last, so the other tables stay as they were."""
    school = spells.filter(pl.col("program") == "SCHOOL").join(
        people.select("pid", "county_fips"), on="pid", how="left"
    )
    return school.select(
        "pid",
        pl.col("start").dt.year().alias("school_year"),
        pl.Series("grade", rng.integers(0, 13, school.height)),
        pl.lit("ENROLLED").alias("exit_status"),
        "county_fips",
        "match_probability",
        "name_only_records",
    ).unique(["pid", "school_year"], keep="first", maintain_order=True)


def _typed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    schema = SCHEMAS[name]
    keys = [
        c
        for c in schema
        if c in ("pid", "child_pid", "year", "quarter", "start", "date", "source", "school_year")
    ]
    return frame.select([pl.col(c).cast(t) for c, t in schema.items()]).sort(keys)


def _spells(rng: np.random.Generator, pids: list[str], year: int) -> pl.DataFrame:
    n = len(pids)
    # a latent need makes programs co-occur, as they do in life
    need = rng.random(n)
    frames = []
    for program, (agency, share) in PROGRAMS.items():
        has = rng.random(n) < share * (0.4 + 1.2 * need)
        idx = np.flatnonzero(has)
        start_month = rng.integers(-18, 12, idx.size)  # months from January of ``year``
        length = rng.integers(1, 24, idx.size)
        base = dt.date(year, 1, 1)
        frames.append(
            pl.DataFrame(
                {
                    "pid": [pids[i] for i in idx],
                    "program": program,
                    "agency": agency,
                    "m0": start_month,
                    "len": length,
                    "match_probability": np.where(rng.random(idx.size) < 0.05, 0.6, 0.995),
                    "n_records": length,
                }
            ).with_columns(
                start=pl.lit(base).dt.offset_by(pl.format("{}mo", pl.col("m0"))),
            )
        )
    # a few spells entirely before the year: they must not count
    out = pl.concat(frames).with_columns(
        end=pl.col("start").dt.offset_by(pl.format("{}mo", pl.col("len"))).dt.offset_by("-1d")
    )
    # the weak links stand for those that rest on a name alone (no extra draw: the
    # fixture's other columns, and so the studies' known answers, stay as they were)
    name_only = pl.when(pl.col("match_probability") < 0.9).then(1).otherwise(0)
    return out.drop("m0", "len").with_columns(name_only.alias("name_only_records"))


def _events(rng: np.random.Generator, pids: list[str], year: int) -> pl.DataFrame:
    n = len(pids)
    births = np.flatnonzero(rng.random(n) < 0.05)
    deaths = np.flatnonzero(rng.random(n) < 0.01)
    day = rng.integers(0, 2 * 365, births.size + deaths.size)  # this year or the one before
    return pl.DataFrame(
        {
            "pid": [pids[i] for i in np.concatenate([births, deaths])],
            "event": ["BIRTH_OF_CHILD"] * births.size + ["DEATH"] * deaths.size,
            "date": [dt.date(year - 1, 1, 1) + dt.timedelta(days=int(d)) for d in day],
            "agency": "idph",
        }
    ).unique(["pid", "event"], keep="first", maintain_order=True)


def _persons(
    rng: np.random.Generator, pids: list[str], spells: pl.DataFrame, events: pl.DataFrame
) -> pl.DataFrame:
    n = len(pids)
    county = np.array(_COUNTIES)[np.minimum(rng.geometric(0.35, n) - 1, len(_COUNTIES) - 1)]
    agencies = (
        pl.concat([spells.select("pid", "agency"), events.select("pid", "agency")])
        .unique()
        .sort("pid", "agency")
        .group_by("pid", maintain_order=True)
        .agg("agency")
    )
    deaths = events.filter(pl.col("event") == "DEATH").select(
        "pid", death_year=pl.col("date").dt.year(), death_month=pl.col("date").dt.month()
    )
    weakest = spells.group_by("pid").agg(
        match_probability=pl.col("match_probability").min(),
        name_only_records=pl.col("name_only_records").sum(),
    )
    return (
        pl.DataFrame(
            {
                "pid": pids,
                "birth_year": rng.integers(1935, 2019, n),
                "birth_month": rng.integers(1, 13, n),
                "sex": np.where(rng.random(n) < 0.5, "F", "M"),
                "county_fips": county,
                "month_unknown": rng.random(n) < 0.1,
                "county_unknown": rng.random(n) < 0.02,
            }
        )
        .with_columns(
            birth_month=pl.when(pl.col("month_unknown")).then(None).otherwise("birth_month"),
            county_fips=pl.when(pl.col("county_unknown")).then(None).otherwise("county_fips"),
        )
        .join(agencies.rename({"agency": "agencies"}), on="pid", how="left")
        .join(deaths, on="pid", how="left")
        .join(weakest, on="pid", how="left")
        .with_columns(
            pl.col("agencies").fill_null(pl.lit([], dtype=pl.List(pl.String))),
            counties=pl.when(pl.col("county_fips").is_null())
            .then(pl.lit([], dtype=pl.List(pl.String)))
            .otherwise(pl.concat_list(pl.col("county_fips"))),
            match_probability=pl.col("match_probability").fill_null(1.0),
            name_only_records=pl.col("name_only_records").fill_null(0),
        )
    )


def _quarters(spells: pl.DataFrame, people: pl.DataFrame, year: int) -> pl.DataFrame:
    grid = people.select("pid", "county_fips").join(
        pl.DataFrame({"quarter": [1, 2, 3, 4]}), how="cross"
    )
    grid = grid.with_columns(
        year=pl.lit(year), q0=pl.date(year, pl.col("quarter") * 3 - 2, 1)
    ).with_columns(q1=pl.col("q0").dt.offset_by("3mo").dt.offset_by("-1d"))
    flags = []
    for program in PROGRAMS:
        on = (
            grid.join(spells.filter(pl.col("program") == program), on="pid")
            .filter(pl.col("start") <= pl.col("q1"), pl.col("end") >= pl.col("q0"))
            .select("pid", "quarter")
            .unique()
            .with_columns(pl.lit(True).alias(program.lower()))
        )
        flags.append(on)
    for on in flags:
        grid = grid.join(on, on=["pid", "quarter"], how="left")
    lower = [p.lower() for p in PROGRAMS]
    return grid.with_columns(pl.col(lower).fill_null(False)).with_columns(
        wages=pl.when(pl.col("employment")).then(pl.lit(6500.0)).otherwise(pl.lit(0.0)),
        employed=pl.col("employment"),
        incarcerated=pl.col("prison"),
        in_school=pl.col("school"),
    )


def _family(rng: np.random.Generator, pids: list[str]) -> pl.DataFrame:
    n = len(pids)
    children = np.flatnonzero(rng.random(n) < 0.2)
    parents = rng.integers(0, n, children.size)
    keep = parents != children
    return pl.DataFrame(
        {
            "child_pid": [pids[i] for i in children[keep]],
            "parent_pid": [pids[i] for i in parents[keep]],
            "role": np.where(rng.random(int(keep.sum())) < 0.5, "MOTHER", "FATHER"),
            "match_probability": 0.97,
        }
    )
