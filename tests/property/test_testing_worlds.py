"""The generators of :mod:`enclave.testing.worlds`: deterministic for a seed, keys unique,
the truth covering every record once, frames in the standard identifier schema, and
each data set of the shape it claims. Failure messages carry counts and rates only."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandera import errors

from enclave.contracts.base import IDENTIFIER_DTYPES, StagedIdentifiers, conform_identifiers
from enclave.testing.worlds import WORLDS, World

SIZE = 2_000


@pytest.fixture(scope="module", params=list(WORLDS))
def made(request) -> tuple[str, World]:
    return request.param, WORLDS[request.param](SIZE, 5)


def _rows(world: World) -> pl.DataFrame:
    return pl.concat(world.frames, how="diagonal_relaxed").join(world.truth, on="record_key")


def _invariants(world: World, persons: int) -> None:
    """Checked on counts computed first, so a failure shows numbers, never a value."""
    keys = pl.concat([f.get_column("record_key") for f in world.frames])
    records, distinct = keys.len(), keys.n_unique()
    assert distinct == records, f"{records - distinct} repeated keys"
    truth = world.truth
    assert truth.columns == ["record_key", "person_id"]
    in_truth = truth.get_column("record_key").n_unique()
    known = int(truth.get_column("record_key").is_in(keys.implode()).sum())
    assert truth.height == in_truth == known == records
    assert truth.get_column("person_id").n_unique() <= persons
    for frame in world.frames:
        assert frame.columns[:2] == ["record_key", "agency"]
        agencies = frame.get_column("agency").n_unique()
        assert agencies == (1 if frame.height else 0)
        wrong = [c for c in frame.columns if frame.schema[c] != IDENTIFIER_DTYPES[c]]
        assert not wrong, f"{len(wrong)} column(s) off the standard dtypes"


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(list(WORLDS)), st.integers(1, 80), st.integers(0, 2**32 - 1))
def test_any_size_and_seed_gives_keyed_records_with_their_truth(name, persons, seed):
    world = WORLDS[name](persons, seed)
    _invariants(world, persons)
    records = world.truth.height
    assert records >= 1


def test_same_seed_same_world_and_another_seed_another(made):
    name, world = made
    again = WORLDS[name](SIZE, 5)
    same = [a.equals(b) for a, b in zip(world.frames, again.frames, strict=True)]
    assert all(same)
    same_truth = world.truth.equals(again.truth)
    assert same_truth
    other = WORLDS[name](SIZE, 6)
    differs = not world.frames[0].equals(other.frames[0])
    assert differs


def test_frames_conform_to_the_standard_identifier_schema(made):
    _, world = made
    _invariants(world, SIZE)
    for frame in world.frames:
        try:
            StagedIdentifiers.validate(conform_identifiers(frame.lazy()).collect(), lazy=True)
        except errors.SchemaErrors as exc:  # the message embeds values: counts only
            pytest.fail(f"{len(exc.failure_cases)} failure case(s) against the schema")
        without_dob = frame.get_column("dob").null_count()
        assert without_dob < frame.height


def test_no_ssn_two_files_has_two_files_without_ssn_and_people_in_one_only():
    world = WORLDS["no_ssn_two_files"](SIZE, 5)
    assert [f.get_column("agency")[0] for f in world.frames] == ["hospital", "voter"]
    with_ssn = [c for f in world.frames for c in f.columns if c in ("ssn", "ssn_last4")]
    assert not with_ssn
    rows = _rows(world)
    files = rows.group_by("person_id").agg(pl.col("agency").n_unique().alias("files"))
    alone = (files.get_column("files") == 1).mean()
    assert 0.2 < alone < 0.4, f"share of persons in one file only: {alone:.3f}"
    persons = files.height
    assert persons == SIZE


def test_dedupe_heavy_typos_is_one_file_of_repeated_persons_with_twins():
    world = WORLDS["dedupe_heavy_typos"](SIZE, 5)
    (frame,) = world.frames
    assert "ssn" not in frame.columns
    per_person = world.truth.group_by("person_id").len().get_column("len")
    fewest, most, mean = int(per_person.min()), int(per_person.max()), per_person.mean()
    assert fewest >= 1 and most <= 8
    assert 4 < mean < 5, f"records per person {mean:.2f}"
    last4 = 1 - frame.get_column("ssn_last4").null_count() / frame.height
    no_dob = frame.get_column("dob").null_count() / frame.height
    assert 0.35 < last4 < 0.55, f"share with the last four {last4:.3f}"
    assert 0.05 < no_dob < 0.11, f"share without DOB {no_dob:.3f}"
    # twins share DOB and address (a chance collision of both is negligible)
    rows = _rows(world).drop_nulls(["dob", "street_address"])
    shared = rows.group_by(pl.col("dob"), pl.col("street_address").str.to_uppercase()).agg(
        pl.col("person_id").n_unique().alias("persons")
    )
    twins = int((shared.get_column("persons") == 2).sum())
    assert 0.01 * SIZE < twins < 0.03 * SIZE, f"{twins} twin pairs"


def test_other_names_has_three_sources_other_names_and_few_surnames():
    world = WORLDS["other_names"](SIZE, 5)
    assert [f.get_column("agency")[0] for f in world.frames] == ["clinic", "benefits", "county"]
    assert "ssn" not in world.frames[2].columns
    rows = pl.concat(world.frames, how="diagonal_relaxed")
    last = rows.get_column("last_name")
    accented = last.str.contains(r"[^\x00-\x7F]").mean()
    compound = last.str.contains(r"[ -]").mean()
    nguyen_tran = last.str.to_uppercase().str.contains(r"^(NGUY|TR[AẦ]N\b)").mean()
    with_ssn = 1 - rows.get_column("ssn").null_count() / rows.height
    assert accented > 0.05, f"share of surnames with accents {accented:.3f}"
    assert compound > 0.1, f"share of compound surnames {compound:.3f}"
    assert nguyen_tran > 0.08, f"share named Nguyen or Tran {nguyen_tran:.3f}"
    assert 0.2 < with_ssn < 0.8, f"share with an SSN {with_ssn:.3f}"
