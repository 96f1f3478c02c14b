"""Invariants of the identifier errors over generated names, SSNs and dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from enclave.config import ErrorRates
from enclave.synth import noise

names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'-", min_size=1, max_size=20
)
unit = st.floats(min_value=0.0, max_value=0.999999)


@settings(max_examples=200, deadline=None)
@given(name=names, a=unit, b=unit, c=unit)
def test_a_typo_is_one_keystroke_away(name, a, b, c):
    frame = pl.DataFrame({"n": [name], "a": [a], "b": [b], "c": [c]})
    out = frame.select(noise.typo(pl.col("n"), pl.col("a"), pl.col("b"), pl.col("c")))["n"][0]
    assert out is not None
    assert abs(len(out) - len(name)) <= 1
    if len(out) == len(name):  # substitution or transposition
        assert sum(x != y for x, y in zip(out, name, strict=True)) <= 2
    else:  # a dropped letter: the rest in order
        assert any(name[:i] + name[i + 1 :] == out for i in range(len(name)))


@settings(max_examples=200, deadline=None)
@given(ssn=st.from_regex(r"\A\d{9}\Z"), a=unit, b=unit)
def test_a_digit_typo_changes_exactly_one_digit(ssn, a, b):
    frame = pl.DataFrame({"s": [ssn], "a": [a], "b": [b]})
    out = frame.select(noise.digit_typo(pl.col("s"), pl.col("a"), pl.col("b")))["s"][0]
    assert len(out) == 9 and out.isdigit()
    assert sum(x != y for x, y in zip(out, ssn, strict=True)) == 1


@settings(max_examples=200, deadline=None)
@given(d=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
def test_day_month_swap_keeps_the_year_and_swaps_the_parts(d):
    out = pl.DataFrame({"d": [d]}).select(noise.day_month_swap(pl.col("d")).alias("d"))["d"][0]
    assert out.year == d.year
    assert out == d or (out.day, out.month) == (d.month, d.day)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40))
def test_zero_rates_change_nothing(seed, n):
    rng = np.random.default_rng(seed)
    frame = pl.DataFrame(
        {
            "first_name": rng.choice(["Ann", "William", "José"], n),
            "middle_name": [None] * n,
            "last_name": rng.choice(["Ng", "Smith"], n),
            "birth_last_name": rng.choice(["Ng", "Brown"], n),
            "dob": [dt.date(1990, 5, 4)] * n,
            "ssn": [f"{100000000 + i:09d}" for i in range(n)],
            "family_ssn": [None] * n,
        }
    )
    zero = ErrorRates(**dict.fromkeys(ErrorRates.__dataclass_fields__, 0.0))
    out, flags = noise.apply_identifier_errors(
        frame, zero, rng, np.arange(n), {"name", "dob", "ssn", "alias"}
    )
    assert out.drop("alias_first_name", "alias_last_name").equals(frame)
    assert not flags.select(pl.any_horizontal(pl.all()).any()).item()
