"""Identifier tables with planted matches and errors, for known-answer tests and the
benchmark while (and besides) the full synthetic world exists.

``planted(persons, seed)`` returns ``(identifiers, truth_records, truth_persons)``:
standard identifier rows from several agencies (each person's identifiers repeated on
several rows, as agencies do), and the truth in the shapes of ``data/truth``. Planted
hard cases: twins, Jr/Sr father-son pairs, married names, nicknames, typos, missing and
mistyped SSNs, transposed dates, missing DOBs, wage records with initials and no DOB,
and birth records naming the parents.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import names
import numpy as np
import polars as pl

from enclave.contracts.base import conform_identifiers

NICKNAMES = {
    "WILLIAM": "BILL",
    "ROBERT": "BOB",
    "JAMES": "JIM",
    "MICHAEL": "MIKE",
    "ELIZABETH": "LIZ",
    "JENNIFER": "JENNY",
    "RICHARD": "DICK",
    "MARGARET": "PEGGY",
    "THOMAS": "TOM",
    "KATHERINE": "KATE",
    "JOSEPH": "JOE",
    "PATRICIA": "PATTY",
    "CHRISTOPHER": "CHRIS",
    "SUSAN": "SUE",
    "DANIEL": "DAN",
}
AGENCIES = ("hfs", "idhs", "aging", "dcfs", "isbe", "ides", "idoc")
#: per agency: share of rows without SSN, whether DOB is carried, SSN last four only
_AGENCY_SSN_MISSING = {"hfs": 0.1, "idhs": 0.3, "aging": 0.0, "dcfs": 0.9, "isbe": 1.0}
_AGENCY_SSN_MISSING |= {"ides": 0.02, "idoc": 0.5}


@cache
def _name_list(file: str, top: int) -> tuple[list[str], np.ndarray]:
    path = Path(names.__file__).parent / file
    lines = path.read_text().splitlines()[:top]
    words = [ln.split()[0] for ln in lines]
    freq = np.array([float(ln.split()[1]) for ln in lines])
    return words, freq / freq.sum()


def _draw(rng: np.random.Generator, file: str, n: int, top: int = 400) -> np.ndarray:
    words, p = _name_list(file, top)
    return np.array(words, dtype=object)[rng.choice(len(words), size=n, p=p)]


def _persons(n: int, rng: np.random.Generator) -> pl.DataFrame:
    """Base population with twins, Jr/Sr pairs and parents."""
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    first = np.where(
        sex == "F", _draw(rng, "dist.female.first", n), _draw(rng, "dist.male.first", n)
    )
    last = _draw(rng, "dist.all.last", n, top=2000)
    dob = np.datetime64("1940-01-01") + rng.integers(0, 365 * 80, n).astype("timedelta64[D]")
    ssn = 1_001_0001 + rng.choice(664_990_000, size=n, replace=False)
    zips = rng.integers(60001, 62999, n).astype(str)
    frame = pl.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "first_name": first.astype(str),
            "last_name": last.astype(str),
            "sex": sex,
            "dob": dob,
            "ssn": [f"{s:09d}" for s in ssn],
            "zip": zips,
        }
    ).with_columns(
        pl.col("dob").cast(pl.Date),
        suffix=pl.lit(None, pl.String),
        twin_id=pl.lit(None, pl.Int64),
        father_id=pl.lit(None, pl.Int64),
        mother_id=pl.lit(None, pl.Int64),
        married_name=pl.lit(None, pl.String),
    )
    return _plant_families(frame, rng)


def _plant_families(p: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Twins copy surname, DOB and ZIP of the person before them; Jr copies his father's
    names; every tenth woman takes a married name; children get parents."""
    n = p.height
    idx = np.arange(n)
    twin = (idx % 50 == 1) & (idx > 0)
    junior = (idx % 50 == 7) & (idx > 0)
    prev = np.maximum(idx - 1, 0)
    sex = p.get_column("sex").to_numpy()
    women, men = np.flatnonzero(sex == "F"), np.flatnonzero(sex == "M")
    father = np.where(idx % 5 == 0, men[rng.integers(0, men.size, n)], -1)
    mother = np.where(idx % 5 == 0, women[rng.integers(0, women.size, n)], -1)
    col = {c: p.get_column(c).to_numpy().copy() for c in ("last_name", "first_name", "sex", "zip")}
    dob = p.get_column("dob").to_numpy().copy()
    for c in ("last_name", "zip"):
        col[c][twin] = col[c][prev[twin]]
    dob[twin] = dob[prev[twin]]
    col["first_name"][junior] = col["first_name"][prev[junior]]
    col["last_name"][junior] = col["last_name"][prev[junior]]
    col["sex"][junior] = col["sex"][prev[junior]] = "M"
    dob[junior] = dob[prev[junior]] + np.timedelta64(365 * 26, "D")
    suffix = np.full(n, None, dtype=object)
    suffix[junior], suffix[prev[junior]] = "JR", "SR"
    married = np.where((col["sex"] == "F") & (idx % 10 == 3), col["last_name"][(idx + 7) % n], None)
    return p.with_columns(
        last_name=pl.Series(col["last_name"].tolist(), dtype=pl.String),
        first_name=pl.Series(col["first_name"].tolist(), dtype=pl.String),
        sex=pl.Series(col["sex"].tolist(), dtype=pl.String),
        zip=pl.Series(col["zip"].tolist(), dtype=pl.String),
        dob=pl.Series(dob).cast(pl.Date),
        suffix=pl.Series(suffix.tolist(), dtype=pl.String),
        twin_id=pl.Series(np.where(twin, prev, None).tolist(), dtype=pl.Int64),
        father_id=pl.Series(np.where(father >= 0, father, None).tolist(), dtype=pl.Int64),
        mother_id=pl.Series(np.where(mother >= 0, mother, None).tolist(), dtype=pl.Int64),
        married_name=pl.Series(married.tolist(), dtype=pl.String),
    ).with_columns(
        # the other twin points back, and the father of a Jr is the Sr
        twin_id=pl.coalesce("twin_id", pl.Series(_twin_back(twin).tolist(), dtype=pl.Int64)),
        father_id=pl.when(pl.Series(junior)).then(pl.Series(prev)).otherwise("father_id"),
        first_name=pl.when(
            pl.Series(twin)
            & (pl.col("first_name") == pl.Series(col["first_name"][prev].tolist(), dtype=pl.String))
        )
        .then(pl.col("first_name") + "A")
        .otherwise("first_name"),
    )


def _twin_back(twin: np.ndarray) -> np.ndarray:
    back = np.full(twin.size, None, dtype=object)
    pos = np.flatnonzero(twin)
    back[pos - 1] = pos
    return back


def _typo(s: pl.Expr, hit: pl.Expr, pos: pl.Expr) -> pl.Expr:
    """Drop one character at a pseudo-random position where ``hit``."""
    p = pos % s.str.len_chars().clip(1)
    return (
        pl.when(hit & (s.str.len_chars() > 3))
        .then(s.str.slice(0, p) + s.str.slice(p + 1))
        .otherwise(s)
    )


def _records(p: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Each person in 1-4 agencies, 1-6 identical rows per agency delivery, with errors."""
    n = p.height
    k = rng.integers(1, 5, n)
    person = np.repeat(np.arange(n), k)
    agency = np.array(AGENCIES)[rng.integers(0, len(AGENCIES), person.size)]
    m = person.size
    u = pl.DataFrame({f"u{i}": rng.random(m) for i in range(10)})
    rec = (
        pl.DataFrame({"person_id": person, "agency": agency})
        .hstack(u)
        .with_columns(pos=pl.Series(rng.integers(0, 10, m)))
        .join(p, on="person_id", how="left", maintain_order="left")
        .unique(["person_id", "agency"], keep="first", maintain_order=True)
    )
    nick = pl.col("first_name").replace(NICKNAMES)
    missing_rate = pl.col("agency").replace_strict(_AGENCY_SSN_MISSING, default=0.0)
    swapped = pl.coalesce(
        pl.col("dob").dt.strftime("%Y-%d-%m").str.to_date("%Y-%m-%d", strict=False), "dob"
    )
    return rec.with_columns(
        first_name=_typo(
            pl.when(pl.col("u0") < 0.1).then(nick).otherwise("first_name"),
            pl.col("u1") < 0.04,
            pl.col("pos"),
        ),
        last_name=_typo(
            pl.when((pl.col("u2") < 0.6) & pl.col("married_name").is_not_null())
            .then("married_name")
            .otherwise("last_name"),
            pl.col("u3") < 0.04,
            pl.col("pos") + 3,
        ),
        ssn=pl.when(pl.col("u4") < missing_rate)
        .then(None)
        .when(pl.col("u5") < 0.02)
        .then(pl.col("ssn").str.slice(0, 8) + pl.col("pos").cast(pl.String))
        .when(pl.col("u5") < 0.03)
        .then(pl.lit("999999999"))
        .otherwise("ssn"),
        dob=pl.when(pl.col("agency") == "ides")
        .then(None)
        .when(pl.col("u6") < 0.02)
        .then(swapped)
        .when(pl.col("u6") < 0.03)
        .then(None)
        .otherwise("dob"),
        suffix=pl.when(pl.col("u7") < 0.5).then("suffix"),
    ).with_columns(
        first_name=pl.when((pl.col("agency") == "ides") & (pl.col("u8") < 0.5))
        .then(pl.col("first_name").str.slice(0, 1))
        .otherwise("first_name"),
        ssn_last4=pl.when(pl.col("agency") == "aging").then(pl.col("ssn").str.slice(5, 4)),
        ssn=pl.when(pl.col("agency") == "aging").then(None).otherwise("ssn"),
        sex=pl.when(pl.col("agency").is_in(["ides"])).then(None).otherwise("sex"),
        middle_name=pl.lit(None, pl.String),
        reps=(pl.col("u9") * 6).cast(pl.Int64) + 1,
    )


def _births(p: pl.DataFrame) -> pl.DataFrame:
    """One idph birth record per person with parents, naming them."""
    parent = p.select("person_id", "first_name", "last_name", "dob", "married_name")
    kids = p.filter(pl.col("mother_id").is_not_null() | pl.col("father_id").is_not_null())
    mom = parent.rename({c: f"mother_{c}" for c in parent.columns})
    dad = parent.rename({c: f"father_{c}" for c in parent.columns})
    return (
        kids.join(mom, left_on="mother_id", right_on="mother_person_id", how="left")
        .join(dad, left_on="father_id", right_on="father_person_id", how="left")
        .select(
            "person_id",
            pl.lit("idph").alias("agency"),
            "first_name",
            "last_name",
            "sex",
            "dob",
            "zip",
            "mother_first_name",
            pl.coalesce("mother_married_name", "mother_last_name").alias("mother_last_name"),
            pl.col("mother_last_name").alias("mother_maiden_name"),
            "mother_dob",
            "father_first_name",
            "father_last_name",
            "father_dob",
            "mother_id",
            "father_id",
            pl.lit(1, pl.Int64).alias("reps"),
        )
    )


def planted(persons: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(identifiers, truth records, truth persons) for ``persons`` people."""
    rng = np.random.default_rng(seed)
    p = _persons(persons, rng)
    rec = pl.concat([_records(p, rng), _births(p)], how="diagonal_relaxed")
    rec = (
        rec.with_columns(rep=pl.int_ranges(0, "reps"))
        .explode("rep")
        .sort("agency", "person_id", "rep")
    )
    rec = rec.with_columns(
        record_key=pl.col("agency")
        + "-"
        + (pl.int_range(pl.len()).over("agency") + 1).cast(pl.String).str.zfill(9)
    )
    ident = conform_identifiers(rec.lazy()).collect()
    truth = rec.select("record_key", "agency", "person_id", "mother_id", "father_id").with_columns(
        pl.when(pl.col("agency") == "idph").then(pl.col(c)).alias(c)
        for c in ("mother_id", "father_id")
    )
    persons_truth = p.select(
        "person_id",
        "first_name",
        "last_name",
        "suffix",
        "sex",
        "dob",
        "ssn",
        "mother_id",
        "father_id",
        "twin_id",
    )
    return ident.sort("record_key"), truth.sort("record_key"), persons_truth
