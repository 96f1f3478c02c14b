"""Turn the simulation's arrays and event batches into the World's truth tables."""

from __future__ import annotations

import numpy as np
import polars as pl

from enclave.synth import reference
from enclave.synth.state import NEVER, Events, Growable, People
from enclave.synth.world import SCHEMAS


def strs(a: np.ndarray) -> pl.Series:
    """An object array of str/None as a String series (polars cannot cast all-None objects)."""
    return pl.Series(a.tolist(), dtype=pl.String)


def conform(frame: pl.DataFrame, name: str, keys: list[str], unique: bool = False) -> pl.DataFrame:
    """Select and cast to the table's schema, sorted on its keys, then on every other
    column, so the order never depends on how a join happened to order rows.

    ``unique``: the keys identify a row, so sorting on them alone is a total order
    (and spares sorting tens of millions of rows on their string columns).
    """
    cols = [pl.col(c).cast(t) for c, t in SCHEMAS[name].items()]
    order = keys if unique else [*keys, *(c for c in SCHEMAS[name] if c not in keys)]
    return sort_nulls_last(frame.select(cols), order)


def sort_nulls_last(
    frame: pl.DataFrame, order: list[str], maintain_order: bool = False
) -> pl.DataFrame:
    """``frame.sort(order, nulls_last=True)``, several times faster: polars' nulls-last
    multi-column sort is slow, so columns with nulls sort on ``is_null`` first instead.

    ``maintain_order``: a stable sort, which is the faster one where the frame already
    runs in order along the way (a program table in person order, sorted by date:
    3.2 against 10.4 s for IDHS's 31M records) and the slower one on a shuffled frame.
    """
    by: list[pl.Expr] = []
    for c in order:
        by += [pl.col(c).is_null(), pl.col(c)] if frame[c].null_count() else [pl.col(c)]
    return frame.sort(by, maintain_order=maintain_order)


def _ids(a: np.ndarray) -> pl.Series:
    """Person indices -> person ids (null for NONE)."""
    s = pl.Series(np.asarray(a, np.int64) + 1)
    return pl.select(pl.when(s > 0).then(s)).to_series()


def ssns(rng: np.random.Generator, people: People, end_day: int) -> np.ndarray:
    """Unique valid SSNs (area 001-899 but 666; Illinois areas 318-361 common before 2011)."""
    n = people.count
    born_early = people.dob[:n] < 15000  # ~2011, when SSA randomised area numbers
    area = np.where(
        born_early & (rng.random(n) < 0.75), rng.integers(318, 362, n), rng.integers(1, 900, n)
    )
    area = np.where(area == 666, 667, area)
    value = area * 1_000_000 + rng.integers(1, 100, n) * 10_000 + rng.integers(1, 10_000, n)
    # redraw the serial of any duplicate until every number is unique
    for _ in range(50):
        _, first = np.unique(value, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        if not dup.any():
            break
        value[dup] = (value[dup] // 10_000) * 10_000 + rng.integers(1, 10_000, int(dup.sum()))
    text = pl.Series(value).cast(pl.String).str.zfill(9).to_numpy().astype(object)
    missing = (
        (people.immigrant[:n] & (rng.random(n) < 0.35))
        | (people.dob[:n] > end_day - 180)
        | (rng.random(n) < 0.01)
    )
    text[missing] = None
    return text


def persons(rng: np.random.Generator, people: People, end_day: int) -> pl.DataFrame:
    n = people.count
    idx = np.arange(n)
    death = people.death[:n]
    frame = pl.DataFrame(
        {
            "person_id": idx + 1,
            "household_id": people.household[:n].astype(np.int64) + 1,
            "first_name": strs(people.first[:n]),
            "middle_name": strs(people.middle[:n]),
            "last_name": strs(people.birth_surname[:n]),
            "suffix": strs(people.suffix[:n]),
            "sex": np.where(people.sex[:n] == 0, "F", "M"),
            "dob": pl.Series(people.dob[:n]).cast(pl.Date),
            "ssn": strs(ssns(rng, people, end_day)),
            "mother_id": _ids(people.mother[:n]),
            "father_id": _ids(people.father[:n]),
            "twin_id": _ids(people.twin[:n]),
            "death_date": pl.Series(death),
        }
    ).with_columns(pl.when(pl.col("death_date") < NEVER).then(pl.col("death_date")).cast(pl.Date))
    return conform(frame, "persons", ["person_id"], unique=True)


def surnames(
    people: People, events: Events, initial: np.ndarray, marriage: np.ndarray
) -> pl.DataFrame:
    """Birth surname from birth, then every change (marriage, hyphenation, divorce)."""
    wives = initial[(people.sex[initial] == 0) & (marriage[initial] >= 0)]
    wives = wives[people.surname[wives] != people.birth_surname[wives]]
    batches = [
        (initial, people.dob[initial], people.birth_surname[initial]),
        (wives, marriage[wives], people.surname[wives]),
        *events.surname,
    ]
    frame = _stack(batches, ["person", "valid_from", "last_name"])
    frame = frame.unique(["person", "valid_from"], keep="last", maintain_order=True)
    frame = frame.with_columns(
        (pl.col("person") + 1).alias("person_id"), pl.col("valid_from").cast(pl.Date)
    )
    return conform(frame, "surnames", ["person_id", "valid_from"], unique=True)


def _stack(batches: list[tuple], names: list[str]) -> pl.DataFrame:
    cols = {
        name: np.concatenate([np.asarray(b[i]) for b in batches]) for i, name in enumerate(names)
    }
    return pl.DataFrame({k: strs(v) if v.dtype == object else v for k, v in cols.items()})


def address_frame(addresses: Growable) -> pl.DataFrame:
    """address index -> street_address, city, zip, county_fips."""
    zips = reference.il_zips()
    z = addresses.zip
    street = np.array(reference.STREETS, dtype=object)[addresses.street]
    frame = pl.DataFrame(
        {
            "addr": np.arange(addresses.count),
            "house": addresses.house,
            "street": strs(street),
            "apt": addresses.apt,
            "city": strs(zips.city[z]),
            "zip": strs(zips.zip[z]),
            "county_fips": strs(zips.county_fips[z]),
        }
    )
    apt = pl.when(pl.col("apt") > 0).then(pl.format(" APT {}", "apt")).otherwise(pl.lit(""))
    return frame.with_columns(
        pl.format("{} {}{}", "house", "street", apt).alias("street_address")
    ).select("addr", "street_address", "city", "zip", "county_fips")


def residences(people: People, events: Events, addr: pl.DataFrame) -> pl.DataFrame:
    """Address spells: each row runs until the person's next move, death or (open) today.

    Rows are in the order events were simulated; of two rows of one person on one
    day the later one wins (a baby born before a move recorded later that year).
    """
    frame = _stack(events.residence, ["person", "valid_from", "addr"])
    frame = (
        frame.with_row_index("seq")
        .sort(["person", "valid_from", "seq"])
        .unique(["person", "valid_from"], keep="last", maintain_order=True)
    )
    # drop rows that do not change the address
    frame = frame.filter(pl.col("addr").ne_missing(pl.col("addr").shift(1).over("person")))
    death = pl.DataFrame({"person": np.arange(people.count), "death": people.death[: people.count]})
    frame = (
        frame.join(death, on="person", how="left", maintain_order="left")
        .filter(pl.col("valid_from") < pl.col("death"))
        .with_columns(
            (pl.col("valid_from").shift(-1).over("person") - 1)
            .fill_null(pl.when(pl.col("death") < NEVER).then(pl.col("death")))
            .alias("valid_to")
        )
        .join(addr, on="addr", how="left")
        .with_columns(
            (pl.col("person") + 1).alias("person_id"),
            pl.col("valid_from").cast(pl.Date),
            pl.col("valid_to").cast(pl.Date),
        )
    )
    return conform(frame, "residences", ["person_id", "valid_from"], unique=True)


def relations(persons_df: pl.DataFrame) -> pl.DataFrame:
    """Every true parent-child link, from the persons table."""
    parts = [
        persons_df.filter(pl.col(col).is_not_null()).select(
            pl.col("person_id").alias("child_id"),
            pl.col(col).alias("parent_id"),
            pl.lit(role).alias("role"),
        )
        for col, role in (("mother_id", "MOTHER"), ("father_id", "FATHER"))
    ]
    return conform(pl.concat(parts), "relations", ["child_id", "role"], unique=True)


def births(events: Events, addr: pl.DataFrame) -> pl.DataFrame:
    b = events.births
    if not b:
        return pl.DataFrame(schema=SCHEMAS["births"])
    frame = pl.DataFrame(
        {
            "child_id": np.concatenate([e["child"] for e in b]) + 1,
            "mother_id": _ids(np.concatenate([e["mother"] for e in b])),
            "father_id": _ids(np.concatenate([e["father"] for e in b])),
            "birth_date": pl.Series(np.concatenate([e["day"] for e in b])).cast(pl.Date),
            "addr": np.concatenate([e["addr"] for e in b]),
            "plurality": np.concatenate([e["plurality"] for e in b]),
            "father_named": np.concatenate([e["named"] for e in b]),
        }
    ).join(addr.select("addr", "county_fips"), on="addr", how="left")
    frame = frame.with_columns(pl.col("father_named") & pl.col("father_id").is_not_null())
    return conform(frame, "births", ["child_id"], unique=True)


def deaths(persons_df: pl.DataFrame, residences_df: pl.DataFrame) -> pl.DataFrame:
    """Deaths in the window, with the county of the last residence."""
    last = residences_df.group_by("person_id").agg(
        pl.col("county_fips").sort_by("valid_from").last()
    )
    frame = persons_df.filter(pl.col("death_date").is_not_null()).join(
        last, on="person_id", how="left"
    )
    return conform(frame, "deaths", ["person_id"], unique=True)


def person_years(events: Events, addr: pl.DataFrame, people: People) -> pl.DataFrame:
    """One row per person per year present: unit, hardship, county, age, sex."""
    y = events.years
    cols = {
        k: np.concatenate([e[k] for e in y])
        for k in ("person", "year", "unit", "h", "addr", "spouse")
    }
    n = people.count
    frame = pl.DataFrame(cols).with_columns(
        (pl.col("person") + 1).alias("person_id"),
        pl.col("h").cast(pl.Float32),
    )
    info = pl.DataFrame(
        {
            "person": np.arange(n),
            "sex": pl.Series(np.where(people.sex[:n] == 0, "F", "M"), dtype=pl.Categorical),
            "dob": pl.Series(people.dob[:n]).cast(pl.Date),
            "entry": people.entry[:n],
            "death": people.death[:n],
            "mother": people.mother[:n],
            "father": people.father[:n],
        }
    )
    # categorical county: the panel has a row per person-year, so keep it small
    county = addr.select("addr", pl.col("county_fips").cast(pl.Categorical))
    return (
        frame.join(info, on="person", how="left").join(county, on="addr", how="left").drop("addr")
    )
