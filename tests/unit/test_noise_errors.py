"""Identifier error functions: each error does what its name says, at its rate, and
only to identifiers the agency carries."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl
import pytest

from enclave.config import ConfigError, ErrorRates, SynthParams
from enclave.synth import noise


def _apply(expr: pl.Expr, **columns) -> list:
    return pl.DataFrame(columns).select(expr.alias("out"))["out"].to_list()


def test_typo_substitutes_transposes_or_drops_one_letter():
    n = 300
    rng = np.random.default_rng(0)
    names = ["Katherine"] * n
    out = _apply(
        noise.typo(pl.col("name"), pl.col("a"), pl.col("b"), pl.col("c")),
        name=names,
        a=rng.random(n),
        b=rng.random(n),
        c=rng.random(n),
    )
    for new in out:
        assert new != "Katherine"
        assert len(new) in (8, 9)
        if len(new) == 9:  # substitution or transposition: same letters but at most two moved
            assert sum(x != y for x, y in zip(new, "Katherine", strict=True)) <= 2
    assert {len(x) for x in out} == {8, 9}


def test_substitution_uses_a_keyboard_neighbour_and_keeps_case():
    out = _apply(noise.typo(pl.col("n"), pl.lit(0.0), pl.lit(0.0), pl.lit(0.0)), n=["Sam"])
    assert out[0][0] in noise.KEYBOARD["s"].upper() and out[0][1:] == "am"


def test_nickname_of_a_formal_name():
    frame = pl.DataFrame({"first_name": ["William", "Zyx", None]})
    out = noise.nickname(frame, "first_name", np.array([0.5, 0.5, 0.5])).to_list()
    nicknames = set(noise.nickname_table().filter(pl.col("key") == "william")["nicknames"][0])
    assert out[0] in nicknames and out[1:] == ["Zyx", None]


def test_day_month_swap_only_where_it_gives_another_date():
    dates = [dt.date(1980, 3, 5), dt.date(1980, 3, 25), dt.date(1980, 4, 4)]
    out = _apply(noise.day_month_swap(pl.col("d")), d=dates)
    assert out == [dt.date(1980, 5, 3), dt.date(1980, 3, 25), dt.date(1980, 4, 4)]


def test_digit_typo_changes_exactly_one_digit():
    n = 200
    rng = np.random.default_rng(1)
    out = _apply(
        noise.digit_typo(pl.col("s"), pl.col("a"), pl.col("b")),
        s=["123456789"] * n,
        a=rng.random(n),
        b=rng.random(n),
    )
    for new in out:
        assert len(new) == 9 and new.isdigit()
        assert sum(x != y for x, y in zip(new, "123456789", strict=True)) == 1


def test_accent_marks_the_first_accentable_letter():
    assert _apply(noise.accent(pl.col("n")), n=["Jose", "Zzz"]) == ["José", "Zzz"]


def test_agency_overrides_replace_common_rates():
    params = SynthParams(errors=ErrorRates(typo=0.1), agency_errors={"ides": {"typo": 0.5}})
    assert noise.rates_for(params, "ides").typo == 0.5
    assert noise.rates_for(params, "hfs").typo == 0.1
    with pytest.raises(ConfigError, match="unknown error kind"):
        noise.rates_for(SynthParams(agency_errors={"hfs": {"tpyo": 0.1}}), "hfs")


def test_unit_draws_are_shared_within_a_unit():
    units = np.array([0, 1, 0, 2, 1])
    u = noise.unit_draws(np.random.default_rng(0), units, 3)
    assert u.shape == (5, 3)
    assert (u[0] == u[2]).all() and (u[1] == u[4]).all() and not (u[0] == u[1]).all()


def _people(n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "first_name": ["William", "Katherine", "Robert", "Maria"] * (n // 4),
            "middle_name": ["Lee", None] * (n // 2),
            "last_name": ["Smith", "Kowalski", "Nguyen", "Garcia"] * (n // 4),
            "birth_last_name": ["Jones", "Kowalski", "Brown", "Lopez"] * (n // 4),
            "dob": [dt.date(1980, 3, 5), dt.date(1990, 12, 25)] * (n // 2),
            "ssn": [f"{100000000 + i:09d}" for i in range(n)],
            "family_ssn": [f"{200000000 + i:09d}" for i in range(n)],
        }
    )


def test_observed_rates_match_params_and_flags_mark_real_changes():
    n = 8000
    rates = ErrorRates(typo=0.1, name_swap=0.05, ssn_missing=0.2, missing_dob=0.03, alias=0.0)
    frame = _people(n)
    out, flags = noise.apply_identifier_errors(
        frame, rates, np.random.default_rng(5), np.arange(n), {"name", "dob", "ssn"}
    )
    assert set(flags.columns) == {f"err_{k}" for k in noise.IDENTIFIER_KINDS}
    for kind in ("typo", "name_swap", "ssn_missing", "missing_dob"):
        assert flags[f"err_{kind}"].mean() == pytest.approx(getattr(rates, kind), abs=0.015)
    assert (
        out.filter(flags["err_ssn_missing"])["ssn"].null_count() == flags["err_ssn_missing"].sum()
    )
    untouched = ~pl.any_horizontal(pl.all())
    clean = flags.select(untouched.alias("clean"))["clean"]
    assert out.filter(clean).equals(
        frame.with_columns(
            alias_first_name=pl.lit(None, pl.String), alias_last_name=pl.lit(None, pl.String)
        ).filter(clean)
    )
    assert flags["err_alias"].sum() == 0


def test_kinds_on_identifiers_not_carried_are_never_applied():
    n = 400
    rates = ErrorRates(**{f.name: 0.5 for f in dataclasses.fields(ErrorRates)})
    out, flags = noise.apply_identifier_errors(
        _people(n), rates, np.random.default_rng(2), np.arange(n), {"name"}
    )
    for kind in ("missing_dob", "dob_typo", "ssn_typo", "ssn_missing", "alias"):
        assert flags[f"err_{kind}"].sum() == 0
    assert out["ssn"].equals(_people(n)["ssn"])
    assert flags["err_typo"].sum() > 0
