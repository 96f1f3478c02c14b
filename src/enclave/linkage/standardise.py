"""Standardise identifier tables before comparison, and collapse rows to identity records.

Everything here is a pure function of polars frames. Per-value Python work (unidecode,
nickname lookup, soundex) runs over the *distinct* values of a column only, which are
bounded by the name vocabulary, never over rows.
"""

from __future__ import annotations

from functools import cache

import polars as pl
from nicknames import NickNamer
from unidecode import unidecode

from enclave.contracts.base import conform_identifiers

#: columns of a standardised identity record (the comparison columns); their
#: distinct combinations are the identity records Splink compares
IDENTITY_COLUMNS: tuple[str, ...] = (
    "role",
    "first_name",
    "first_initial",
    "middle_initial",
    "last_name",
    "last_sdx",
    "suffix",
    "dob",
    "birth_year",
    "sex",
    "ssn",
    "ssn4",
    "zip",
    "alias_first_name",
    "alias_last_name",
    "maiden_name",
    "last_parts",
)

#: suffix spellings -> canonical suffix code
_SUFFIXES = {
    "JR": "JR",
    "JUNIOR": "JR",
    "SR": "SR",
    "SENIOR": "SR",
    "II": "II",
    "2ND": "II",
    "III": "III",
    "3RD": "III",
    "IV": "IV",
    "4TH": "IV",
}
_SUFFIX_TAIL = r"\s+(JR|SR|II|III|IV|JUNIOR|SENIOR)$"

_SOUNDEX_CODES = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}


def soundex(name: str) -> str:
    """American soundex of an upper-case A-Z name.

    >>> soundex("ROBERT"), soundex("RUPERT"), soundex("TYMCZAK"), soundex("PFISTER")
    ('R163', 'R163', 'T522', 'P236')
    """
    if not name:
        return ""
    out, last = [name[0]], _SOUNDEX_CODES.get(name[0], "")
    for ch in name[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != last:
            out.append(code)
        if ch not in "HW":
            last = code
    return ("".join(out) + "000")[:4]


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


def name_equivalents(name: str) -> list[str]:
    """The name and its canonical forms (``BOB`` -> ``BERT``, ``BOB``, ``BOBBY``, ``ROBERT``)."""
    canon = _nicknamer().canonicals_of(name.lower()) if name else set()
    return sorted({name, *(c.upper() for c in canon)})


def _map_unique(expr: pl.Expr, func, dtype: pl.DataType) -> pl.Expr:
    """Apply a Python function to each distinct value only (names repeat heavily)."""
    return _map_distinct(expr, lambda uniq: pl.Series([func(v) for v in uniq.to_list()]), dtype)


def _map_distinct(expr: pl.Expr, func, dtype: pl.DataType) -> pl.Expr:
    """``func`` (distinct values, sorted -> as many results, in order) applied to the
    distinct non-null values only, its results mapped back onto every row."""
    return expr.map_batches(
        lambda s: _map_series(s, func, dtype), return_dtype=dtype, is_elementwise=True
    )


def _map_series(series: pl.Series, func, dtype: pl.DataType) -> pl.Series:
    uniq = series.drop_nulls().unique().sort()
    mapped = func(uniq).cast(dtype)
    return series.replace_strict(uniq, mapped, default=None, return_dtype=dtype)


def clean_text(expr: pl.Expr) -> pl.Expr:
    """ASCII upper case; apostrophes and dots dropped; other punctuation -> one space.

    Worked out once per distinct value: the text expressions over every row of a
    dozen name columns were most of standardising."""
    return _map_distinct(expr, _clean_values, pl.String())


def _clean_values(values: pl.Series) -> pl.Series:
    """:func:`clean_text` of distinct values."""
    ascii_ = pl.Series(values.name, [unidecode(v) for v in values.to_list()], dtype=pl.String)
    return (
        ascii_.str.to_uppercase()
        .str.replace_all(r"['.`]", "")
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def valid_ssn(ssn: pl.Expr) -> pl.Expr:
    """The SSN if it could have been issued, else null (000/666/9xx area, 00 group,
    0000 serial, one repeated digit, 123456789).

    A 9xx number is never an SSN (it is the ITIN range), so it is nulled too: the
    synthetic wage records carry SSNs only, as UI wage reports are keyed on them.
    """
    digits = ssn.str.replace_all(r"\D", "")
    bad = (
        ~digits.str.contains(r"^\d{9}$")
        | digits.str.slice(0, 3).is_in(["000", "666"])
        | (digits.str.slice(3, 2) == "00")
        | (digits.str.slice(5, 4) == "0000")
        | digits.is_in([d * 9 for d in "0123456789"])
        | (digits == "123456789")
        | digits.str.starts_with("9")
    )
    return pl.when(bad).then(None).otherwise(digits)


def _split_suffix(name: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(name without a trailing suffix token, the suffix token found or null)."""
    tail = name.str.extract(_SUFFIX_TAIL, 1)
    return name.str.replace(_SUFFIX_TAIL, "").replace("", None), tail


def standardise(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Standard identifier rows (any agency) -> one standardised row per record.

    Output columns: ``record_key``, ``agency`` and :data:`IDENTITY_COLUMNS`.
    """
    f = conform_identifiers(frame)
    f = f.with_columns(
        [clean_text(pl.col(c)).alias(c) for c in _TEXT_COLUMNS],
        ssn=valid_ssn(pl.col("ssn")),
        ssn_last4=pl.col("ssn_last4").str.replace_all(r"\D", ""),
        zip=pl.col("zip").str.slice(0, 5),
        sex=pl.col("sex").str.to_uppercase(),
    )
    return _person_rows(f)


_TEXT_COLUMNS = (
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "alias_first_name",
    "alias_last_name",
    "mother_first_name",
    "mother_last_name",
    "mother_maiden_name",
    "father_first_name",
    "father_last_name",
)


def _person_rows(f: pl.LazyFrame) -> pl.LazyFrame:
    last, last_tail = _split_suffix(pl.col("last_name"))
    first, first_tail = _split_suffix(pl.col("first_name"))
    suffix = pl.coalesce(pl.col("suffix"), last_tail, first_tail)
    return f.select(
        "record_key",
        "agency",
        pl.lit(None, pl.String).alias("role"),
        first.alias("first_name"),
        pl.col("middle_name").str.slice(0, 1).alias("middle_initial"),
        last.alias("last_name"),
        suffix.replace_strict(_SUFFIXES, default=None, return_dtype=pl.String).alias("suffix"),
        "dob",
        "sex",
        "ssn",
        pl.coalesce(pl.col("ssn").str.slice(5, 4), pl.col("ssn_last4")).alias("ssn4"),
        "zip",
        "alias_first_name",
        "alias_last_name",
        pl.lit(None, pl.String).alias("maiden_name"),
    ).pipe(finish)


def parent_rows(frame: pl.LazyFrame) -> pl.LazyFrame:
    """A birth record's named parents as identity records of their own.

    ``record_key`` stays the birth record's; ``role`` is MOTHER or FATHER. The ZIP of
    the birth is the parents' ZIP (they live with the newborn, mostly).
    """
    named = pl.col("mother_first_name").is_not_null() | pl.col("father_first_name").is_not_null()
    # most records name no parent: they are left out before any text is cleaned
    f = (
        conform_identifiers(frame)
        .filter(named)
        .with_columns(clean_text(pl.col(c)).alias(c) for c in _TEXT_COLUMNS)
    )
    common = [pl.col("record_key"), pl.col("agency"), pl.col("zip").str.slice(0, 5).alias("zip")]
    mother = f.filter(pl.col("mother_first_name").is_not_null()).select(
        *common,
        pl.lit("MOTHER").alias("role"),
        pl.col("mother_first_name").alias("first_name"),
        pl.col("mother_last_name").alias("last_name"),
        pl.col("mother_maiden_name").alias("maiden_name"),
        pl.col("mother_dob").alias("dob"),
        pl.lit("F").alias("sex"),
    )
    father = f.filter(pl.col("father_first_name").is_not_null()).select(
        *common,
        pl.lit("FATHER").alias("role"),
        pl.col("father_first_name").alias("first_name"),
        pl.col("father_last_name").alias("last_name"),
        pl.lit(None, pl.String).alias("maiden_name"),
        pl.col("father_dob").alias("dob"),
        pl.lit("M").alias("sex"),
    )
    parents = pl.concat([mother, father], how="vertical_relaxed")
    nulls = {
        c: pl.lit(None, pl.String)
        for c in ("middle_initial", "suffix", "ssn", "ssn4", "alias_first_name", "alias_last_name")
    }
    return parents.with_columns(**nulls).pipe(finish)


def finish(f: pl.LazyFrame) -> pl.LazyFrame:
    """Derived comparison and blocking columns, in the standard order.

    ``last_parts`` holds every part (2+ letters) of the surname, alias surname and
    maiden name, sorted and space-joined (a list again in :func:`for_comparison`), so
    hyphenated, compound and married surnames overlap.
    """
    first = pl.col("first_name").str.replace_all(" ", "")
    last = pl.col("last_name").str.replace_all(" ", "")
    return (
        _with_last_parts(f)
        .with_columns(
            first_name=first,
            first_initial=first.str.slice(0, 1),
            last_name=last,
            last_sdx=_map_unique(last, soundex, pl.String()),
            birth_year=pl.col("dob").dt.year().cast(pl.Int32),
            dob=pl.col("dob").cast(pl.Date),
        )
        .select("record_key", "agency", *IDENTITY_COLUMNS)
    )


#: the surnames ``last_parts`` is made of
_SURNAMES = ["last_name", "alias_last_name", "maiden_name"]


def _with_last_parts(f: pl.LazyFrame) -> pl.LazyFrame:
    """``f`` with ``last_parts`` (see :func:`finish`), made once per distinct triple of
    surnames: list expressions over every row cost more than the join."""
    parts = pl.concat_list(pl.col(c).str.split(" ").fill_null([]) for c in _SURNAMES)
    triples = (
        f.select(_SURNAMES)
        .unique()
        .with_columns(
            last_parts=parts.list.eval(pl.element().filter(pl.element().str.len_chars() >= 2))
            .list.unique()
            .list.sort()
            .list.join(" ")
        )
    )
    return f.join(triples, on=_SURNAMES, how="left", nulls_equal=True, maintain_order="left")


def for_comparison(identities: pl.DataFrame) -> pl.DataFrame:
    """Add the array columns the comparisons need, on distinct identities only:
    ``first_equiv`` (the first name and its canonical forms) and ``last_parts`` as a list."""
    names = identities.get_column("first_name").drop_nulls().unique().sort()
    lookup = pl.DataFrame(
        {
            "first_name": names,
            "first_equiv": pl.Series(
                [name_equivalents(n) for n in names.to_list()], dtype=pl.List(pl.String())
            ),
        }
    )
    return identities.join(lookup, on="first_name", how="left", maintain_order="left").with_columns(
        last_parts=pl.col("last_parts").str.split(" ")
    )
