"""Identifier data sets unlike the default synthetic world, each with its truth.

The linkage model was tuned on one world (:mod:`enclave.synth`: US census names, eight
agencies, an SSN on most records). These generators make data sets of other shapes,
each with a population and an error model of its own, to measure whether the same
configuration holds on data it has never seen (``benchmarks/bench_generalisation.py``):

* :func:`no_ssn_two_files`: a hospital registry and a voter-style file of one
  population, no SSN anywhere; nicknames, typos, day/month swaps, moves, married names.
* :func:`dedupe_heavy_typos`: one file, 1-8 records a person, a fifth of the names
  mistyped once or twice, DOB missing on some records, the SSN's last four on some,
  twins (same surname, DOB and address) to punish over-merging.
* :func:`other_names`: Mexican, Vietnamese, Brazilian, Polish, Turkish and Finnish
  names (Faker), compound surnames cut or hyphenated, accents kept, folded or lost,
  four in ten Vietnamese named Nguyen or Tran; three sources, SSN on some records.

Each returns a :class:`World`: ``frames``, one frame per source in the standard
identifier columns (``record_key``, unique across the frames; ``agency``, the source;
only the identifier columns the shape has; ``dob`` a Date), and ``truth``
(``record_key``, ``person_id``). All draws come from one numpy Generator seeded with
``seed``, and the name pools from Faker seeded with :data:`POOL_SEED`, so a size and a
seed always give the same world.

>>> world = no_ssn_two_files(300, seed=1)
>>> [frame.get_column("agency")[0] for frame in world.frames]
['hospital', 'voter']
>>> world.truth.height == sum(frame.height for frame in world.frames)
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import polars as pl
from faker import Faker
from nicknames import NickNamer
from unidecode import unidecode

#: seed of the Faker name pools (fixed: the world's seed varies the draws from them)
POOL_SEED = 20240601
#: draws of a Faker name method per pool; Faker's own name frequencies survive as repeats
POOL_SIZE = 3000
LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


class World(NamedTuple):
    frames: list[pl.DataFrame]  # one per source, standard identifier columns
    truth: pl.DataFrame  # record_key, person_id


# --------------------------------------------------------------------------- name pools


@functools.cache
def _pool(locale: str, method: str) -> tuple[str, ...]:
    """:data:`POOL_SIZE` draws of one Faker method (``first_name_female``...): Faker is
    slow per call, so each pool is drawn once per process and sampled with numpy."""
    fake = Faker(locale)
    fake.seed_instance(POOL_SEED)
    draw = getattr(fake, method)
    return tuple(draw() for _ in range(POOL_SIZE))


def _sample(rng: np.random.Generator, locale: str, method: str, n: int) -> np.ndarray:
    """``n`` names with Faker's frequencies (uniform draws from the pool)."""
    pool = np.array(_pool(locale, method), dtype=object)
    return pool[rng.integers(0, pool.size, n)]


def _skewed(rng: np.random.Generator, locale: str, method: str, n: int, skew: float) -> np.ndarray:
    """``n`` names with Zipf-like frequencies (``1 / rank ** skew``, ranked by first
    appearance in the pool): a few names are common, as in any real population, where
    Faker's lists for most locales are uniform."""
    values = np.array(list(dict.fromkeys(_pool(locale, method))), dtype=object)
    weights = 1.0 / np.arange(1, values.size + 1) ** skew
    return values[rng.choice(values.size, size=n, p=weights / weights.sum())]


def _by_sex(rng: np.random.Generator, sex: np.ndarray, draw: Callable[[str, int], np.ndarray]):
    """A name per person from the female or the male list, by ``sex``."""
    out = np.empty(sex.size, dtype=object)
    for code, kind in (("F", "female"), ("M", "male")):
        rows = np.flatnonzero(sex == code)
        out[rows] = draw(kind, rows.size)
    return out


# --------------------------------------------------------------------------- population


def _dobs(rng: np.random.Generator, n: int, first_year: int, last_year: int) -> np.ndarray:
    start = np.datetime64(f"{first_year}-01-01")
    days = (np.datetime64(f"{last_year + 1}-01-01") - start).astype(int)
    return start + rng.integers(0, days, n).astype("timedelta64[D]")


def _zips(rng: np.random.Generator, n: int, places: int = 300) -> np.ndarray:
    """ZIP codes of ``places`` places, a few of them large: many people share a ZIP."""
    codes = rng.choice(np.arange(10_000, 100_000), places, replace=False).astype(str)
    weights = 1.0 / np.arange(1, places + 1)
    return codes[rng.choice(places, size=n, p=weights / weights.sum())]


def _streets(rng: np.random.Generator, n: int) -> pl.Series:
    numbers = pl.Series(rng.integers(1, 9_999, n)).cast(pl.String)
    names = pl.Series(_sample(rng, "en_US", "street_name", n).tolist(), dtype=pl.String)
    return (numbers + " " + names).alias("street_address")


def _ssns(rng: np.random.Generator, n: int) -> pl.Series:
    """Distinct numbers that could have been issued: area 001-665, group 01-99, serial
    0001-9999."""
    index = rng.choice(665 * 99 * 9_999, size=n, replace=False)
    area, rest = np.divmod(index, 99 * 9_999)
    group, serial = np.divmod(rest, 9_999)
    digits = (area + 1) * 10**6 + (group + 1) * 10**4 + serial + 1
    return pl.Series("ssn", digits).cast(pl.String).str.zfill(9)


def _twins(
    people: pl.DataFrame, rng: np.random.Generator, share: float, shared: list[str]
) -> pl.DataFrame:
    """About ``share`` of the persons in a twin pair: a person at an odd position takes
    the ``shared`` columns (surname, DOB, address...) of the person before them, with a
    first name of their own (where the two collide, another of their sex's)."""
    n = people.height
    twin = (np.arange(n) % 2 == 1) & (rng.random(n) < share)
    source = np.where(twin, np.arange(n) - 1, np.arange(n))
    out = people.with_columns(pl.col(c).gather(source) for c in shared)
    first = out.get_column("first_name").to_numpy().copy()
    sex = out.get_column("sex").to_numpy()
    for _ in range(10):
        clash = twin & (first == first[source])
        if not clash.any():
            break
        for code in ("F", "M"):
            rows, alike = np.flatnonzero(clash & (sex == code)), np.flatnonzero(sex == code)
            if rows.size:
                first[rows] = first[alike[rng.integers(0, alike.size, rows.size)]]
    return out.with_columns(first_name=pl.Series(first.tolist(), dtype=pl.String))


# --------------------------------------------------------------------------- errors


def _lit(values: np.ndarray) -> pl.Expr:
    return pl.lit(pl.Series(values))


def _edit(name: pl.Expr, u_pos: pl.Expr, u_kind: pl.Expr, letter: pl.Expr) -> pl.Expr:
    """One edit: a letter substituted (40%), inserted (20%) or dropped (20%, names of
    four or more letters), or two neighbours transposed."""
    n = name.str.len_chars()
    pos = (u_pos * n).floor().cast(pl.Int64).clip(0, pl.max_horizontal(n - 1, 0))
    ch = name.str.slice(pos, 1)
    letter = pl.when(ch == ch.str.to_lowercase()).then(letter.str.to_lowercase()).otherwise(letter)
    head, tail = name.str.slice(0, pos), name.str.slice(pos + 1)
    at = pl.min_horizontal(pos, n - 2).clip(0)
    swapped = (
        name.str.slice(0, at) + name.str.slice(at + 1, 1) + name.str.slice(at, 1)
    ) + name.str.slice(at + 2)
    return (
        pl.when(u_kind < 0.4)
        .then(head + letter + tail)
        .when(u_kind < 0.6)
        .then(head + letter + ch + tail)
        .when((u_kind < 0.8) & (n > 3))
        .then(head + tail)
        .otherwise(swapped)
    )


def _typos(
    frame: pl.DataFrame, column: str, rng: np.random.Generator, rate: float, two: float = 0.0
) -> pl.DataFrame:
    """``rate`` of the values get one edit, and ``two`` of those a second."""
    n = frame.height
    u = rng.random((n, 6))
    letters = LETTERS[rng.integers(0, LETTERS.size, (n, 2))]
    hit = u[:, 0] < rate
    # the second edit works on the first's output column: nesting the expressions
    # would evaluate the first edit once per use inside the second
    once = _edit(pl.col(column), _lit(u[:, 1]), _lit(u[:, 2]), _lit(letters[:, 0]))
    edited = frame.select(pl.when(_lit(hit)).then(once).otherwise(pl.col(column)).alias("_e"))
    twice = _edit(pl.col("_e"), _lit(u[:, 3]), _lit(u[:, 4]), _lit(letters[:, 1]))
    second = edited.select(pl.when(_lit(hit & (u[:, 5] < two))).then(twice).otherwise("_e"))
    return frame.with_columns(second.to_series().alias(column))


@functools.cache
def _nickname_table() -> pl.DataFrame:
    """``key`` (a lower-case formal name) -> ``nicknames`` (sorted, Title case)."""
    lookup = NickNamer().nickname_lookup
    keys = sorted(lookup)
    return pl.DataFrame(
        {"key": keys, "nicknames": [sorted(n.title() for n in lookup[k]) for k in keys]},
        schema={"key": pl.String, "nicknames": pl.List(pl.String)},
    )


def _nicknames(frame: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """``rate`` of the first names given as one of their nicknames (William -> Bill);
    names without one are unchanged."""
    u = rng.random((frame.height, 2))
    keyed = frame.select(key=pl.col("first_name").str.to_lowercase()).join(
        _nickname_table(), on="key", how="left", maintain_order="left"
    )
    pick = (_lit(u[:, 1]) * pl.col("nicknames").list.len()).floor().cast(pl.Int64)
    nick = keyed.select(pl.col("nicknames").list.get(pick, null_on_oob=True)).to_series()
    return frame.with_columns(
        first_name=pl.when(_lit(u[:, 0] < rate) & pl.lit(nick).is_not_null())
        .then(pl.lit(nick))
        .otherwise("first_name")
    )


def _dob_errors(
    frame: pl.DataFrame,
    rng: np.random.Generator,
    missing: float = 0.0,
    swap: float = 0.0,
    slip: float = 0.0,
) -> pl.DataFrame:
    """DOB left out (``missing``), day and month transposed where both can be months
    (``swap``), or one keying slip: a day or a year off, or ten years off (``slip``)."""
    u = rng.random((frame.height, 2))
    dob, kind = pl.col("dob"), _lit(u[:, 1])
    day, month = dob.dt.day(), dob.dt.month()
    swapped = pl.when((day <= 12) & (day != month)).then(pl.date(dob.dt.year(), day, month))
    slipped = (
        pl.when(kind < 0.4)
        .then(dob.dt.offset_by("1d"))
        .when(kind < 0.6)
        .then(dob.dt.offset_by("-1d"))
        .when(kind < 0.8)
        .then(dob.dt.offset_by("1y"))
        .otherwise(dob.dt.offset_by("-10y"))
    )
    draw = _lit(u[:, 0])
    return frame.with_columns(
        dob=pl.when(draw < missing)
        .then(None)
        .when(draw < missing + swap)
        .then(pl.coalesce(swapped, dob))
        .when(draw < missing + swap + slip)
        .then(slipped)
        .otherwise(dob)
    )


def _digit_slip(frame: pl.DataFrame, column: str, rng: np.random.Generator, rate: float):
    """``rate`` of the values with one digit replaced by another."""
    u = rng.random((frame.height, 2))
    digit = pl.Series(rng.integers(0, 10, frame.height)).cast(pl.String)
    value = pl.col(column)
    pos = (_lit(u[:, 1]) * value.str.len_chars()).floor().cast(pl.Int64)
    slipped = value.str.slice(0, pos) + pl.lit(digit) + value.str.slice(pos + 1)
    return frame.with_columns(
        pl.when(_lit(u[:, 0] < rate)).then(slipped).otherwise(value).alias(column)
    )


def _blank(frame: pl.DataFrame, column: str, rng: np.random.Generator, rate: float):
    """``rate`` of the values left out."""
    gone = _lit(rng.random(frame.height) < rate)
    return frame.with_columns(pl.when(gone).then(None).otherwise(pl.col(column)).alias(column))


def _middle(frame: pl.DataFrame, rng: np.random.Generator, full: float, initial: float):
    """The middle name in full (``full``), as its initial (``initial``) or left out."""
    u = _lit(rng.random(frame.height))
    middle = pl.col("middle_name")
    return frame.with_columns(
        middle_name=pl.when(u < full)
        .then(middle)
        .when(u < full + initial)
        .then(middle.str.slice(0, 1))
    )


# --------------------------------------------------------------------------- sources


def _fold(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """Names as ASCII upper case (accents folded), computed on distinct values."""
    out = []
    for column in columns:
        values = frame.get_column(column).drop_nulls().unique().sort()
        folded = pl.Series([unidecode(v).upper() for v in values.to_list()], dtype=pl.String)
        out.append(pl.col(column).replace_strict(values, folded, default=None))
    return frame.with_columns(out)


def _upper(frame: pl.DataFrame, columns: list[str], rng: np.random.Generator, share: float = 1.0):
    """``share`` of the records keyed in upper case, the rest as written."""
    upper = _lit(rng.random(frame.height) < share)
    return frame.with_columns(
        pl.when(upper).then(pl.col(c).str.to_uppercase()).otherwise(pl.col(c)).alias(c)
        for c in columns
    )


def _rows(members: np.ndarray, rng: np.random.Generator, most: int) -> np.ndarray:
    """Person positions repeated 1 to ``most`` times each, in random order."""
    rows = np.repeat(members, rng.integers(1, most + 1, members.size))
    return rows[rng.permutation(rows.size)]


def _source(
    people: pl.DataFrame, rows: np.ndarray, agency: str, columns: list[str]
) -> tuple[pl.DataFrame, Callable[[pl.DataFrame], pl.DataFrame]]:
    """The records of one source (a person's row once per record, still carrying every
    population column) and the function that turns them into the delivered frame:
    ``record_key``, ``agency``, ``columns`` and, apart, the truth."""
    records = people.select(pl.all().gather(rows))

    def deliver(frame: pl.DataFrame) -> pl.DataFrame:
        key = pl.lit(f"{agency}-") + pl.int_range(pl.len()).cast(pl.String).str.zfill(7)
        return frame.select(
            key.alias("record_key"), pl.lit(agency).alias("agency"), *columns, "person_id"
        )

    return records, deliver


def _world(delivered: list[pl.DataFrame]) -> World:
    truth = pl.concat([f.select("record_key", "person_id") for f in delivered])
    return World([f.drop("person_id") for f in delivered], truth)


# --------------------------------------------------------------------------- (a) no SSN


#: what both files of :func:`no_ssn_two_files` carry (no SSN, no last four)
NO_SSN_COLUMNS = [
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "sex",
    "zip",
    "street_address",
]


def _english_people(rng: np.random.Generator, n: int, locale: str) -> pl.DataFrame:
    """Persons with English names from Faker's ``locale``, DOB, sex, ZIP and address."""
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    first = _by_sex(rng, sex, lambda k, m: _sample(rng, locale, f"first_name_{k}", m))
    middle = _by_sex(rng, sex, lambda k, m: _sample(rng, locale, f"first_name_{k}", m))
    return pl.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "sex": sex,
            "first_name": first.tolist(),
            "middle_name": middle.tolist(),
            "last_name": _sample(rng, locale, "last_name", n).tolist(),
            "dob": _dobs(rng, n, 1930, 2006),
            "zip": _zips(rng, n),
        },
        schema_overrides={"dob": pl.Date, "first_name": pl.String, "middle_name": pl.String},
    ).with_columns(_streets(rng, n))


def _married(people: pl.DataFrame, rng: np.random.Generator, locale: str, share: float):
    """``share`` of adult women married: ``maiden`` keeps the birth surname and
    ``last_name`` becomes another (null ``maiden`` for everyone else)."""
    n = people.height
    adult = pl.col("dob") < pl.date(2002, 1, 1)
    married = (pl.col("sex") == "F") & adult & _lit(rng.random(n) < share)
    spouse = pl.Series(_sample(rng, locale, "last_name", n).tolist(), dtype=pl.String)
    return people.with_columns(
        maiden=pl.when(married).then("last_name"),
        last_name=pl.when(married & (pl.lit(spouse) != pl.col("last_name")))
        .then(pl.lit(spouse))
        .otherwise("last_name"),
    )


def _movers(people: pl.DataFrame, rng: np.random.Generator, share: float) -> pl.DataFrame:
    """``share`` of the persons moved: ``old_zip`` and ``old_street`` hold the earlier
    address (null for those who did not move)."""
    n = people.height
    moved = _lit(rng.random(n) < share)
    return people.with_columns(
        old_zip=pl.when(moved).then(pl.lit(pl.Series(_zips(rng, n)))),
        old_street=pl.when(moved).then(pl.lit(_streets(rng, n))),
    )


def _surname_as_of(frame: pl.DataFrame, rng: np.random.Generator, maiden: float, hyphen: float):
    """A married woman's record under her maiden name (``maiden``), or both joined with a
    hyphen (``hyphen``)."""
    u = _lit(rng.random(frame.height))
    has = pl.col("maiden").is_not_null()
    return frame.with_columns(
        last_name=pl.when(has & (u < maiden))
        .then("maiden")
        .when(has & (u < maiden + hyphen))
        .then(pl.col("maiden") + "-" + pl.col("last_name"))
        .otherwise("last_name")
    )


def _address_as_of(frame: pl.DataFrame, rng: np.random.Generator, old: float) -> pl.DataFrame:
    """A mover's record at the earlier address (``old`` of them)."""
    earlier = _lit(rng.random(frame.height) < old) & pl.col("old_zip").is_not_null()
    return frame.with_columns(
        zip=pl.when(earlier).then("old_zip").otherwise("zip"),
        street_address=pl.when(earlier).then("old_street").otherwise("street_address"),
    )


def no_ssn_two_files(persons: int, seed: int) -> World:
    """A hospital registry (1-3 visits a person, as the patient gave their name) and a
    voter-style file (legal names, upper case, sex on six in ten) of one population; 15%
    of the persons only in the registry, 15% only in the voter file. No SSN anywhere.

    Errors: nicknames (10% of visits, 3% of voters), typos (4% and 2% of names),
    day/month swaps and keying slips, a fifth of the persons moved (the registry has
    the old address on half of their visits), 45% of adult women married (the registry
    has the maiden name on 35% of their visits), twins (1%).
    """
    rng = np.random.default_rng(seed)
    people = _english_people(rng, persons, "en_US")
    people = _twins(people, rng, 0.01, ["last_name", "dob", "zip", "street_address"])
    people = _movers(_married(people, rng, "en_US", 0.45), rng, 0.2)
    where = rng.random(persons)
    hospital, deliver_h = _source(
        people, _rows(np.flatnonzero(where >= 0.15), rng, 3), "hospital", NO_SSN_COLUMNS
    )
    hospital = _surname_as_of(_address_as_of(hospital, rng, 0.5), rng, 0.35, 0.05)
    hospital = _dob_errors(_nicknames(hospital, rng, 0.10), rng, missing=0.01, swap=0.02, slip=0.01)
    hospital = _typos(_typos(hospital, "first_name", rng, 0.04), "last_name", rng, 0.04)
    hospital = _middle(hospital, rng, full=0.2, initial=0.5)
    voter, deliver_v = _source(
        people,
        _rows(np.flatnonzero((where < 0.15) | (where >= 0.3)), rng, 1),
        "voter",
        NO_SSN_COLUMNS,
    )
    voter = _surname_as_of(_address_as_of(voter, rng, 0.2), rng, 0.05, 0.0)
    voter = _dob_errors(_nicknames(voter, rng, 0.03), rng, swap=0.005, slip=0.005)
    voter = _typos(_typos(voter, "first_name", rng, 0.02), "last_name", rng, 0.02)
    voter = _blank(_middle(voter, rng, full=0.7, initial=0.2), "sex", rng, 0.4)
    voter = _upper(voter, ["first_name", "middle_name", "last_name", "street_address"], rng)
    return _world([deliver_h(hospital), deliver_v(voter)])


# --------------------------------------------------------------------------- (b) one file


#: the columns of :func:`dedupe_heavy_typos`'s one file
DEDUPE_COLUMNS = [
    "first_name",
    "middle_name",
    "last_name",
    "dob",
    "sex",
    "ssn_last4",
    "zip",
    "street_address",
]


def dedupe_heavy_typos(persons: int, seed: int) -> World:
    """One registry file, 1-8 records a person (British names from Faker ``en_GB``).

    Errors, per record: 20% of first names and 20% of surnames mistyped (a third of
    those twice), nicknames (5%), DOB missing (8%), swapped or slipped (2% each); the
    SSN's last four on 45% of the records (a digit slipped on 1% of those), no full
    SSN; sex missing on 5%, ZIP and address on 15%; a sixth of the persons moved; case
    as keyed (half upper case). Twins: 4% of the persons are in a twin pair sharing
    surname, DOB and address, with first names of their own.
    """
    rng = np.random.default_rng(seed)
    people = _english_people(rng, persons, "en_GB").with_columns(
        ssn_last4=_ssns(rng, persons).str.slice(5, 4)
    )
    people = _twins(people, rng, 0.04, ["last_name", "dob", "zip", "street_address"])
    people = _movers(people, rng, 1 / 6)
    records, deliver = _source(
        people, _rows(np.arange(persons), rng, 8), "registry", DEDUPE_COLUMNS
    )
    records = _nicknames(_address_as_of(records, rng, 0.5), rng, 0.05)
    records = _typos(records, "first_name", rng, 0.2, two=1 / 3)
    records = _typos(records, "last_name", rng, 0.2, two=1 / 3)
    records = _dob_errors(records, rng, missing=0.08, swap=0.02, slip=0.02)
    records = _digit_slip(_blank(records, "ssn_last4", rng, 0.55), "ssn_last4", rng, 0.01)
    records = _middle(_blank(records, "sex", rng, 0.05), rng, full=0.0, initial=0.4)
    for column in ("zip", "street_address"):
        records = _blank(records, column, rng, 0.15)
    records = _upper(
        records, ["first_name", "middle_name", "last_name", "street_address"], rng, 0.5
    )
    return _world([deliver(records)])


# --------------------------------------------------------------------------- (c) other names


#: share of the population by Faker locale
LOCALES: dict[str, float] = {
    "es_MX": 0.35,
    "vi_VN": 0.25,
    "pt_BR": 0.12,
    "pl_PL": 0.10,
    "tr_TR": 0.10,
    "fi_FI": 0.08,
}
#: Vietnamese surnames and their shares in Vietnam (%, commonly cited figures; Faker's
#: vi_VN list has ten, uniform); Nguyen and Tran are half the population
VI_SURNAMES: dict[str, float] = {
    "Nguyễn": 38.4,
    "Trần": 12.1,
    "Lê": 9.5,
    "Phạm": 7.0,
    "Hoàng": 2.6,
    "Huỳnh": 2.5,
    "Phan": 4.5,
    "Vũ": 2.0,
    "Võ": 1.9,
    "Đặng": 2.1,
    "Bùi": 2.0,
    "Đỗ": 1.4,
    "Hồ": 1.3,
    "Ngô": 1.3,
    "Dương": 1.0,
    "Lý": 0.5,
}
#: the middle names most Vietnamese men and women carry
VI_MIDDLE = {"M": "Văn", "F": "Thị"}
#: the three sources of :func:`other_names` and their columns
OTHER_COLUMNS = {
    "clinic": ["first_name", "middle_name", "last_name", "dob", "sex", "ssn", "zip"],
    "benefits": ["first_name", "middle_name", "last_name", "dob", "sex", "ssn", "zip"],
    "county": ["first_name", "middle_name", "last_name", "dob", "sex", "zip"],
}


def _locale_people(rng: np.random.Generator, locale: str, n: int) -> pl.DataFrame:
    """Persons of one locale: given name (Faker's, some compound), ``middle_name``
    (Vietnamese only), first and second surname (``last_b``: Mexican and Brazilian)."""
    sex = np.where(rng.random(n) < 0.5, "F", "M")
    first = _by_sex(rng, sex, lambda k, m: _skewed(rng, locale, f"first_name_{k}", m, 0.7))
    last_b = np.full(n, None, dtype=object)
    middle = np.full(n, None, dtype=object)
    if locale == "vi_VN":
        names, shares = zip(*VI_SURNAMES.items(), strict=True)
        p = np.array(shares) / sum(shares)
        last_a = np.array(names, dtype=object)[rng.choice(len(names), size=n, p=p)]
        other = _sample(rng, locale, "middle_name", n)
        common = np.where(sex == "F", VI_MIDDLE["F"], VI_MIDDLE["M"])
        middle = np.where(rng.random(n) < 0.6, common, other)
    else:
        last_a = _by_sex(rng, sex, lambda k, m: _skewed(rng, locale, f"last_name_{k}", m, 0.9))
        if locale in ("es_MX", "pt_BR"):
            last_b = _skewed(rng, locale, "last_name", n, 0.9)
    return pl.DataFrame(
        {
            "locale": [locale] * n,
            "sex": sex,
            "first_name": first.tolist(),
            "middle_name": middle.tolist(),
            "last_a": last_a.tolist(),
            "last_b": last_b.tolist(),
        },
        schema=dict.fromkeys(
            ("locale", "sex", "first_name", "middle_name", "last_a", "last_b"), pl.String
        ),
    )


def _other_people(rng: np.random.Generator, n: int) -> pl.DataFrame:
    counts = rng.multinomial(n, list(LOCALES.values()))
    parts = [_locale_people(rng, loc, k) for loc, k in zip(LOCALES, counts, strict=True)]
    people = pl.concat(parts).sample(fraction=1.0, shuffle=True, seed=int(rng.integers(2**31)))
    return people.with_columns(
        person_id=pl.int_range(pl.len(), dtype=pl.Int64),
        dob=pl.Series(_dobs(rng, n, 1935, 2018)).cast(pl.Date),
        zip=pl.Series(_zips(rng, n)),
        ssn=pl.when(_lit(rng.random(n) < 0.7)).then(pl.lit(_ssns(rng, n))),
    )


def _as_written(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """The name as one record writes it.

    Mexican: both surnames (55%), the first only (25%), hyphenated (12%), or the second
    put in the middle name. Brazilian: both (55%), the last only (35%), the first only.
    Vietnamese: given and family name swapped (8%), or the middle name written into
    the first name (12%). A compound given name cut to its first word (30%).
    """
    draws = rng.random((frame.height, 2))
    u, cut = _lit(draws[:, 0]), _lit(draws[:, 1] < 0.3)
    loc, a, b = pl.col("locale"), pl.col("last_a"), pl.col("last_b")
    es, pt, vi = loc == "es_MX", loc == "pt_BR", loc == "vi_VN"
    both = a + " " + b
    last = (
        pl.when(es & (u < 0.55))
        .then(both)
        .when(es & (u < 0.92))
        .then(pl.when(u < 0.8).then(a).otherwise(a + "-" + b))
        .when(pt & (u < 0.55))
        .then(both)
        .when(pt & (u < 0.9))
        .then(b)
        .when(vi & (u < 0.08))
        .then(pl.col("first_name"))
        .otherwise(a)
    )
    first = (
        pl.when(vi & (u < 0.08))
        .then(a)
        .when(vi & (u < 0.2))
        .then(pl.concat_str("middle_name", "first_name", separator=" ", ignore_nulls=True))
        .when(cut & pl.col("first_name").str.contains(" "))
        .then(pl.col("first_name").str.split(" ").list.first())
        .otherwise("first_name")
    )
    middle = (
        pl.when(es & (u >= 0.92))
        .then(b)
        .when(vi & (u >= 0.08) & (u < 0.2))
        .then(None)
        .otherwise("middle_name")
    )
    return frame.with_columns(last_name=last, first_name=first, middle_name=middle)


def _lost_accents(frame: pl.DataFrame, rng: np.random.Generator, rate: float) -> pl.DataFrame:
    """``rate`` of the records keyed through a system without accents: each accented
    letter became ``?``; the rest folded to ASCII upper case."""
    names = ["first_name", "middle_name", "last_name"]
    lost = _lit(rng.random(frame.height) < rate)
    broken = frame.select(pl.col(c).str.replace_all(r"[^\x00-\x7F]", "?") for c in names)
    folded = _fold(frame, names)
    return folded.with_columns(
        pl.when(lost).then(pl.lit(broken.get_column(c).str.to_uppercase())).otherwise(c).alias(c)
        for c in names
    )


def _other_source(
    people: pl.DataFrame, rows: np.ndarray, agency: str, rng: np.random.Generator, ssn: float
) -> pl.DataFrame:
    """One source of :func:`other_names`: names as written, typos (3% of names), the
    SSN on ``ssn`` of the records of persons with one (a digit slipped on 1%), DOB
    errors (day/month swaps 4% where the clerk reads dates DD/MM: ``benefits``)."""
    records, deliver = _source(people, rows, agency, OTHER_COLUMNS[agency])
    records = _as_written(records, rng)
    for column in ("first_name", "last_name"):
        records = _typos(records, column, rng, 0.03)
    swap = 0.04 if agency == "benefits" else 0.01
    missing = 0.03 if agency == "clinic" else 0.0
    records = _dob_errors(records, rng, missing=missing, swap=swap, slip=0.01)
    records = _digit_slip(_blank(records, "ssn", rng, 1 - ssn), "ssn", rng, 0.01)
    if agency == "benefits":
        records = _fold(records, ["first_name", "middle_name", "last_name"])
    if agency == "county":
        records = _lost_accents(records, rng, 0.3)
    return deliver(records)


def other_names(persons: int, seed: int) -> World:
    """Three sources (a clinic, a benefits office, county services) of a population
    named unlike the default world's: Mexican 35%, Vietnamese 25%, Brazilian 12%,
    Polish and Turkish 10% each, Finnish 8% (Faker locales, Zipf-like frequencies).

    The clinic (70% of the persons, 1-2 records) writes names with their accents and
    the SSN on 40% of the records; benefits (60%, 1-3 records) folds them to ASCII upper
    case, SSN on 90%; county services (35%, one record) have no SSN and lose the accented
    letters on 30% of records. 70% of the persons have an SSN; twins 1%.
    """
    rng = np.random.default_rng(seed)
    people = _other_people(rng, persons)
    people = _twins(people, rng, 0.01, ["locale", "last_a", "last_b", "dob", "zip"])
    where = rng.random((persons, 3)) < np.array([0.7, 0.6, 0.35])
    where[~where.any(axis=1), 1] = True  # everyone is somewhere: benefits
    frames = [
        _other_source(people, _rows(np.flatnonzero(where[:, i]), rng, most), agency, rng, ssn)
        for i, (agency, most, ssn) in enumerate(
            (("clinic", 2, 0.4), ("benefits", 3, 0.9), ("county", 1, 0.0))
        )
    ]
    return _world(frames)


#: the data sets, by name
WORLDS: dict[str, Callable[[int, int], World]] = {
    "no_ssn_two_files": no_ssn_two_files,
    "dedupe_heavy_typos": dedupe_heavy_typos,
    "other_names": other_names,
}
