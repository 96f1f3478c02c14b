"""Identifier errors, injected the way administrative data really carries them.

Every function is vectorised over polars columns and driven by uniform draws the
caller makes from a seeded numpy generator, so the same params give the same
errors. Draws are made per *unit* (an agency's identity record: a case member, a
worker at one employer...) so that the rows an agency copies from one identity
record repeat the same error, as real monthly extracts do.

:func:`apply_identifier_errors` applies every kind at its rate and returns, next
to the noisy frame, one boolean ``err_<kind>`` column per kind that is true
exactly where the error changed the record.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Collection

import numpy as np
import polars as pl
from nicknames import NickNamer

from enclave.config import ConfigError, ErrorRates, SynthParams

#: error kinds applied to identifiers, in the order they are applied
IDENTIFIER_KINDS = (
    "old_surname",
    "name_swap",
    "nickname",
    "first_initial",
    "typo",
    "diacritics_case_spacing",
    "alias",
    "missing_dob",
    "dob_day_month_swap",
    "dob_typo",
    "ssn_shared_in_family",
    "ssn_typo",
    "ssn_missing",
)
#: row-level faults added by the emitter after formatting
#: any identifier error in a birth record's parent names or dates (at the same rates)
PARENT_KIND = "parent_identifiers"
ROW_KINDS = ("invalid_row", "duplicate_row")
KINDS = (*IDENTIFIER_KINDS, PARENT_KIND, *ROW_KINDS)

#: which identifier a kind needs the agency to deliver
_NEEDS = {
    "old_surname": "name",
    "name_swap": "name",
    "nickname": "name",
    "first_initial": "name",
    "typo": "name",
    "diacritics_case_spacing": "name",
    "alias": "alias",
    "missing_dob": "dob",
    "dob_day_month_swap": "dob",
    "dob_typo": "dob",
    "ssn_shared_in_family": "ssn",
    "ssn_typo": "ssn",
    "ssn_missing": "ssn",
}

#: chance that a keystroke error in a first name hits its first letter (names average
#: about six letters), i.e. survives when the agency delivers the initial only
INITIAL_TYPO_SHARE = 1 / 6

#: US keyboard neighbours of each letter, for substitution typos
KEYBOARD = {
    "a": "qwsz",
    "b": "vghn",
    "c": "xdfv",
    "d": "serfcx",
    "e": "wsdr",
    "f": "drtgvc",
    "g": "ftyhbv",
    "h": "gyujnb",
    "i": "ujko",
    "j": "huikmn",
    "k": "jiolm",
    "l": "kop",
    "m": "njk",
    "n": "bhjm",
    "o": "iklp",
    "p": "ol",
    "q": "wa",
    "r": "edft",
    "s": "awedxz",
    "t": "rfgy",
    "u": "yhji",
    "v": "cfgb",
    "w": "qase",
    "x": "zsdc",
    "y": "tghu",
    "z": "asx",
}
#: plain letter -> accented form, tried in this order (José, Zoë, Peña...)
ACCENTS = (("e", "é"), ("a", "á"), ("o", "ó"), ("i", "í"), ("u", "ú"), ("n", "ñ"))


def rates_for(params: SynthParams, agency: str) -> ErrorRates:
    """The error rates of one agency: the common rates with its overrides applied."""
    overrides = params.agency_errors.get(agency, {})
    known = {f.name for f in dataclasses.fields(ErrorRates)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"synth.agency_errors.{agency}: unknown error kind {unknown}")
    return dataclasses.replace(params.errors, **overrides)


def unit_draws(rng: np.random.Generator, units: np.ndarray, k: int) -> np.ndarray:
    """``k`` uniform draws per row, equal for rows of the same unit (shape ``(n, k)``)."""
    n_units = int(units.max()) + 1 if len(units) else 0
    return rng.random((n_units, k))[units]


# --------------------------------------------------------------------------- string errors


def typo(name: pl.Expr, u_pos: pl.Expr, u_kind: pl.Expr, u_char: pl.Expr) -> pl.Expr:
    """One keystroke error: a keyboard-neighbour substitution (half the time), a
    transposition of two adjacent letters, or a dropped letter."""
    n = name.str.len_chars()
    pos = (u_pos * n).floor().cast(pl.Int64).clip(0, pl.max_horizontal(n - 1, 0))
    ch = name.str.slice(pos, 1)
    neighbours = ch.str.to_lowercase().replace(KEYBOARD)
    pick = neighbours.str.slice((u_char * neighbours.str.len_chars()).floor().cast(pl.Int64), 1)
    pick = pl.when(ch != ch.str.to_lowercase()).then(pick.str.to_uppercase()).otherwise(pick)
    substitute = name.str.slice(0, pos) + pick + name.str.slice(pos + 1)
    tpos = pl.min_horizontal(pos, n - 2).clip(0)
    transpose = (
        name.str.slice(0, tpos)
        + name.str.slice(tpos + 1, 1)
        + name.str.slice(tpos, 1)
        + name.str.slice(tpos + 2)
    )
    drop = name.str.slice(0, pos) + name.str.slice(pos + 1)
    return (
        pl.when((u_kind < 0.5) | (n < 3))
        .then(substitute)
        .when(u_kind < 0.75)
        .then(transpose)
        .otherwise(drop)
    )


@functools.cache
def nickname_table() -> pl.DataFrame:
    """``key`` (lower-case formal name) -> ``nicknames`` (sorted list, Title case)."""
    lookup = NickNamer().nickname_lookup
    keys = sorted(lookup)
    return pl.DataFrame(
        {
            "key": keys,
            "nicknames": [sorted(n.title() for n in lookup[k]) for k in keys],
        },
        schema={"key": pl.String, "nicknames": pl.List(pl.String)},
    )


def nickname(frame: pl.DataFrame, column: str, u: np.ndarray) -> pl.Series:
    """The column with each name replaced by one of its nicknames (William -> Bill);
    names without a nickname are unchanged."""
    table = nickname_table()
    keyed = frame.select(pl.col(column).str.to_lowercase().alias("key")).with_columns(
        _u=pl.Series(u)
    )
    joined = keyed.join(table, on="key", how="left", maintain_order="left")
    idx = (pl.col("_u") * pl.col("nicknames").list.len()).floor().cast(pl.Int64)
    return joined.select(
        pl.coalesce(pl.col("nicknames").list.get(idx, null_on_oob=True), frame[column]).alias(
            column
        )
    ).to_series()


def accent(name: pl.Expr) -> pl.Expr:
    """The first accentable letter given its accent (Jose -> José)."""
    out = pl.lit(None, dtype=pl.String)
    for plain, accented in reversed(ACCENTS):
        out = (
            pl.when(name.str.contains(plain, literal=True))
            .then(name.str.replace(plain, accented, literal=True, n=1))
            .otherwise(out)
        )
    return pl.coalesce(out, name)


def case_spacing(name: pl.Expr, u_kind: pl.Expr) -> pl.Expr:
    """Diacritics (a third), case changes (a third) or a stray inner space."""
    n = name.str.len_chars()
    half = (n / 2).floor().cast(pl.Int64)
    spaced = name.str.slice(0, half) + " " + name.str.slice(half)
    return (
        pl.when(u_kind < 1 / 3)
        .then(accent(name))
        .when(u_kind < 1 / 2)
        .then(name.str.to_lowercase())
        .when(u_kind < 2 / 3)
        .then(name.str.to_uppercase())
        .otherwise(spaced)
    )


# --------------------------------------------------------------------------- dates and SSNs


def day_month_swap(dob: pl.Expr) -> pl.Expr:
    """Day and month exchanged, where that gives another valid date (else unchanged)."""
    day, month = dob.dt.day(), dob.dt.month()
    swapped = pl.date(dob.dt.year(), day, month)
    return pl.when((day <= 12) & (day != month)).then(swapped).otherwise(dob)


def date_typo(dob: pl.Expr, u: pl.Expr) -> pl.Expr:
    """A one-digit slip: the year, month or day off by one."""
    return (
        pl.when(u < 1 / 6)
        .then(dob.dt.offset_by("1y"))
        .when(u < 2 / 6)
        .then(dob.dt.offset_by("-1y"))
        .when(u < 3 / 6)
        .then(dob.dt.offset_by("1mo"))
        .when(u < 4 / 6)
        .then(dob.dt.offset_by("-1mo"))
        .when(u < 5 / 6)
        .then(dob.dt.offset_by("1d"))
        .otherwise(dob.dt.offset_by("-1d"))
    )


def digit_typo(ssn: pl.Expr, u_pos: pl.Expr, u_digit: pl.Expr) -> pl.Expr:
    """One digit of a digit string replaced by a different digit."""
    n = ssn.str.len_chars()
    pos = (u_pos * n).floor().cast(pl.Int64)
    old = ssn.str.slice(pos, 1).cast(pl.Int64, strict=False).fill_null(0)
    new = ((old + 1 + (u_digit * 9).floor().cast(pl.Int64)) % 10).cast(pl.String)
    return ssn.str.slice(0, pos) + new + ssn.str.slice(pos + 1)


# --------------------------------------------------------------------------- orchestration


@dataclasses.dataclass(frozen=True)
class KindDraws:
    """One error kind's draws: which units it hits, and their three extra uniforms."""

    #: per unit: the kind hits it
    hit: np.ndarray
    #: per unit: its row in ``u`` (meaningful where ``hit``)
    pos: np.ndarray
    #: per hit unit: the uniforms ``u1``, ``u2``, ``u3`` the kind's change uses
    u: np.ndarray


@dataclasses.dataclass(frozen=True)
class Draws:
    """Every random draw :func:`apply_identifier_errors` makes for one frame, made up
    front so that the errors can be applied to the frame's rows in pieces
    (:func:`apply_drawn`) with the result of applying them all at once."""

    #: rows of the frame
    n: int
    kinds: dict[str, KindDraws]
    #: per row, the row the alias error borrows names from (only when alias applies)
    perm: np.ndarray | None


def draw_identifier_errors(
    rates: ErrorRates,
    rng: np.random.Generator,
    units: np.ndarray,
    carries: Collection[str],
) -> Draws:
    """The draws for a frame whose rows belong to ``units`` (see :func:`apply_identifier_errors`).

    The generator is used exactly as applying the errors at once would use it: a
    permutation of the rows, then four uniforms per unit for each kind in order.
    """
    n = len(units)
    perm = rng.permutation(n) if n else np.zeros(0, dtype=np.int64)
    kinds = {}
    for kind in IDENTIFIER_KINDS:
        rate = getattr(rates, kind) if _NEEDS[kind] in carries else 0.0
        n_units = int(units.max()) + 1 if n else 0
        u = rng.random((n_units, 4))  # per kind, so memory stays at four draws a unit
        hit = u[:, 0] < rate
        kinds[kind] = KindDraws(hit, np.cumsum(hit) - 1, u[hit, 1:])
    alias = "alias" in carries and rates.alias > 0
    return Draws(n, kinds, perm if alias else None)


def apply_identifier_errors(
    frame: pl.DataFrame,
    rates: ErrorRates,
    rng: np.random.Generator,
    units: np.ndarray,
    carries: Collection[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Inject identifier errors into a canonical record frame.

    ``frame`` has ``first_name``, ``middle_name``, ``last_name``, ``birth_last_name``
    (for the old-surname error), ``dob``, ``ssn`` and ``family_ssn`` (a parent's SSN,
    for the shared-SSN error). ``carries`` names the identifiers the agency delivers
    (``name``, ``dob``, ``ssn``, ``alias``): kinds touching others are not applied.
    Returns the noisy frame (same columns, plus ``alias_first_name`` and
    ``alias_last_name``) and a frame of ``err_<kind>`` booleans, row-aligned.
    """
    return apply_drawn(frame, draw_identifier_errors(rates, rng, units, carries), units)


def apply_drawn(
    frame: pl.DataFrame, draws: Draws, units: np.ndarray, offset: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Apply drawn errors to ``frame``, rows ``offset`` onwards of the frame they were
    drawn for (``units``: those rows' units). Errors change a row from its own values
    and draws only, so pieces give the rows of the whole; the alias error borrows
    names from other rows, so it needs the whole frame in one piece."""
    if draws.perm is not None and (offset, frame.height) != (0, draws.n):
        raise ValueError("the alias error needs the whole frame in one piece")
    work = frame.with_columns(
        alias_first_name=pl.lit(None, dtype=pl.String),
        alias_last_name=pl.lit(None, dtype=pl.String),
    )
    flags: dict[str, np.ndarray] = {}
    for kind, d in draws.kinds.items():
        rows = np.flatnonzero(d.hit[units])
        u = d.u[d.pos[units[rows]]]
        perm = draws.perm[rows] if draws.perm is not None else rows
        work, flags[f"err_{kind}"] = _apply_to_rows(kind, work, rows, u, perm)
    return work, pl.DataFrame({k: pl.Series(k, v, dtype=pl.Boolean) for k, v in flags.items()})


def draw_parent_errors(rates: ErrorRates, rng: np.random.Generator, n: int) -> list[Draws]:
    """The draws of :func:`apply_parent_errors` for ``n`` records: the mother's, the father's."""
    return [draw_identifier_errors(rates, rng, np.arange(n), {"name", "dob"}) for _ in range(2)]


def apply_parent_errors(
    frame: pl.DataFrame, rates: ErrorRates, rng: np.random.Generator
) -> tuple[pl.DataFrame, pl.Series]:
    """Name and date errors in the parents a birth record names (``mother_first``,
    ``mother_last``, ``mother_maiden``, ``mother_dob``, and the father's): the informant
    misspells, uses a nickname, gives the maiden name as the surname... Returns the frame
    and ``err_parent_identifiers``, true where any parent identifier changed."""
    return apply_parent_drawn(frame, draw_parent_errors(rates, rng, frame.height))


def apply_parent_drawn(
    frame: pl.DataFrame, draws: list[Draws], offset: int = 0
) -> tuple[pl.DataFrame, pl.Series]:
    """:func:`apply_parent_errors` with the draws made, for rows ``offset`` onwards."""
    changed = np.zeros(frame.height, dtype=bool)
    units = np.arange(offset, offset + frame.height)
    for role, drawn in zip(("mother", "father"), draws, strict=True):
        maiden = f"{role}_maiden" if f"{role}_maiden" in frame.columns else f"{role}_last"
        parent = frame.select(
            pl.col(f"{role}_first").alias("first_name"),
            pl.lit(None, pl.String).alias("middle_name"),
            pl.col(f"{role}_last").alias("last_name"),
            pl.col(maiden).alias("birth_last_name"),
            pl.col(f"{role}_dob").alias("dob"),
            pl.lit(None, pl.String).alias("ssn"),
            pl.lit(None, pl.String).alias("family_ssn"),
        )
        noisy, flags = apply_drawn(parent, drawn, units, offset)
        changed |= flags.select(pl.any_horizontal(pl.all())).to_series().to_numpy()
        frame = frame.with_columns(
            noisy["first_name"].alias(f"{role}_first"),
            noisy["last_name"].alias(f"{role}_last"),
            noisy["dob"].alias(f"{role}_dob"),
        )
    return frame, pl.Series(f"err_{PARENT_KIND}", changed, dtype=pl.Boolean)


def _apply_to_rows(
    kind: str, work: pl.DataFrame, rows: np.ndarray, u: np.ndarray, perm: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray]:
    """Apply one kind to the drawn rows only (a few percent), scatter the result back,
    and return the flag: drawn and really changed. ``u``: the rows' uniforms u1-u3;
    ``perm``: the rows whose names the alias error borrows."""
    flag = np.zeros(work.height, dtype=bool)
    if len(rows) == 0:
        return work, flag
    before = work[rows]
    sub = before.with_columns(
        pl.lit(True).alias("_hit"), *(pl.Series(f"_u{j + 1}", u[:, j]) for j in range(3))
    )
    after = _apply(kind, sub, perm, work).select(before.columns)
    changed = np.zeros(len(rows), dtype=bool)
    updated = {}
    for col in before.columns:
        differs = before[col].ne_missing(after[col]).fill_null(False).to_numpy()
        if differs.any():
            changed |= differs
            updated[col] = work[col].clone().scatter(rows, after[col])
    flag[rows] = changed
    return (work.with_columns(**updated) if updated else work), flag


def _apply(kind: str, w: pl.DataFrame, perm: np.ndarray, whole: pl.DataFrame) -> pl.DataFrame:
    """One kind on the drawn rows ``w``; ``perm`` picks, per row, another row of
    ``whole`` (the alias error borrows that row's names)."""
    hit, u1, u2, u3 = pl.col("_hit"), pl.col("_u1"), pl.col("_u2"), pl.col("_u3")
    first, last = pl.col("first_name"), pl.col("last_name")

    def where(col: str, value: pl.Expr) -> pl.Expr:
        return pl.when(hit & value.is_not_null()).then(value).otherwise(pl.col(col)).alias(col)

    if kind == "old_surname":
        return w.with_columns(where("last_name", pl.col("birth_last_name")))
    if kind == "name_swap":
        return w.with_columns(where("first_name", last), where("last_name", first))
    if kind == "nickname":
        nick = nickname(w, "first_name", w["_u1"].to_numpy())
        return w.with_columns(where("first_name", pl.lit(nick)))
    if kind == "first_initial":
        return w.with_columns(where("first_name", first.str.slice(0, 1)))
    if kind == "typo":
        on_first = u3 < 0.5
        # a keystroke error falls on one letter of the name as keyed: when only the
        # initial is delivered, it survives only if it hit the first letter
        keyed = (first.str.len_chars() > 1) | (u1 < INITIAL_TYPO_SHARE)
        return w.with_columns(
            where("first_name", pl.when(on_first & keyed).then(typo(first, u1, u2, u3 * 2))),
            where("last_name", pl.when(~on_first).then(typo(last, u1, u2, u3 * 2 - 1))),
        )
    if kind == "diacritics_case_spacing":
        on_first = u2 < 0.5
        return w.with_columns(
            where("first_name", pl.when(on_first).then(case_spacing(first, u1))),
            where("last_name", pl.when(~on_first).then(case_spacing(last, u1))),
        )
    if kind == "alias":
        other_first = whole["first_name"].gather(perm)
        other_last = whole["last_name"].gather(perm)
        alias_last = pl.when(u1 < 0.5).then(last).otherwise(pl.lit(other_last))
        return w.with_columns(
            where("alias_first_name", pl.lit(other_first)),
            where("alias_last_name", alias_last),
        )
    if kind == "missing_dob":
        return w.with_columns(pl.when(hit).then(None).otherwise(pl.col("dob")).alias("dob"))
    if kind == "dob_day_month_swap":
        return w.with_columns(where("dob", day_month_swap(pl.col("dob"))))
    if kind == "dob_typo":
        return w.with_columns(where("dob", date_typo(pl.col("dob"), u1)))
    if kind == "ssn_shared_in_family":
        return w.with_columns(where("ssn", pl.col("family_ssn")))
    if kind == "ssn_typo":
        return w.with_columns(where("ssn", digit_typo(pl.col("ssn"), u1, u2)))
    if kind == "ssn_missing":
        return w.with_columns(pl.when(hit).then(None).otherwise(pl.col("ssn")).alias("ssn"))
    raise ValueError(f"unknown error kind {kind}")
