"""The typed view of params.yaml: strict, frozen, and faithful to the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import world

from enclave import config

ROOT = Path(__file__).resolve().parents[2]


#: a study section as params.yaml writes one (fixed here: an experiment may change the
#: repository's, ``dvc exp run -S studies.service_overlap.period_start=...``)
STUDY = world.OVERLAP_STUDY


def test_repository_params_load():
    params = config.load(ROOT / "params.yaml")
    assert params.agencies == config.AGENCIES
    # the agreement: HFS data shows no count below 11 (an experiment may only raise it)
    assert params.disclosure.min_cell >= 11


def test_a_study_section_reads_lists_as_tuples():
    section = config.from_mapping({"studies": {"service_overlap": STUDY}}).studies.service_overlap
    assert section.age_groups == (0, 18, 26, 45, 65)
    assert section.period_start == "2019-01-01"
    assert section.min_match_probability == 0.9


def test_params_are_frozen():
    params = config.from_mapping({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        params.synth.persons = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"synth": {"persns": 1}}, "unknown key 'synth.persns'"),
        ({"synth": {"errors": {"tpyo": 0.1}}}, "unknown key 'synth.errors.tpyo'"),
        ({"linkage": {"threshold": "high"}}, "'linkage.threshold': expected float, got str"),
        ({"synth": {"persons": True}}, "'synth.persons': expected int, got bool"),
        ({"linkage": {"backend": "oracle"}}, "'linkage.backend' must be one of"),
        ({"deid": {"projects": "demo"}}, "'deid.projects': expected a list"),
        ({"agencies": ["hfs", "nasa"]}, "unknown agency"),
        ({"bogus": 1}, "unknown key 'bogus'"),
    ],
)
def test_bad_params_name_the_key(raw, message):
    with pytest.raises(config.ConfigError, match=message.replace("(", r"\(")):
        config.from_mapping(raw)


def test_int_is_accepted_for_float():
    assert config.from_mapping({"linkage": {"threshold": 1}}).linkage.threshold == 1.0


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(config.ConfigError, match="file not found"):
        config.load(tmp_path / "nope.yaml")
    bad = tmp_path / "params.yaml"
    bad.write_text("synth: [unclosed")
    with pytest.raises(config.ConfigError, match="not valid YAML"):
        config.load(bad)


def test_to_mapping_round_trips():
    params = config.load(ROOT / "params.yaml")
    assert config.from_mapping(config.to_mapping(params)) == params


def test_unquoted_yaml_dates_read_as_iso_strings(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(
        "studies:\n  service_overlap:\n    project: demo\n    period_start: 2015-01-01\n"
    )
    assert config.load(path).studies.service_overlap.period_start == "2015-01-01"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"deid": {"k_min": 0}}, "'deid.k_min' must be at least 2, got 0"),
        ({"deid": {"k_min": -2}}, "'deid.k_min' must be at least 2, got -2"),
        ({"deid": {"k_min": 1}}, "'deid.k_min' must be at least 2, got 1"),
        ({"linkage": {"memory_gb": 0}}, "'linkage.memory_gb' must be at least 1, got 0"),
        ({"disclosure": {"min_cell": -3}}, "'disclosure.min_cell' must be at least 1, got -3"),
        ({"disclosure": {"min_cell": 0}}, "'disclosure.min_cell' must be at least 1, got 0"),
        ({"linkage": {"threshold": 1.5}}, "'linkage.threshold' must be at most 1, got 1.5"),
        ({"linkage": {"edge_floor": -0.1}}, "'linkage.edge_floor' must be at least 0"),
        ({"synth": {"errors": {"typo": 2}}}, "'synth.errors.typo' must be at most 1"),
        ({"ingest": {"batch_rows": 0}}, "'ingest.batch_rows' must be at least 1, got 0"),
        ({"linkage": {"threads": 0}}, "'linkage.threads' must be at least 1"),
    ],
)
def test_safeguards_have_floors_no_parameter_goes_below(raw, message):
    with pytest.raises(config.ConfigError, match=message.replace("(", r"\(")):
        config.from_mapping(raw)


def test_floors_hold_for_sections_built_in_code_too():
    with pytest.raises(config.ConfigError, match="'k_min' must be at least 2"):
        config.DeidParams(k_min=0)
    with pytest.raises(config.ConfigError, match="'min_cell' must be at least 1"):
        config.DisclosureParams(min_cell=-3)
    assert config.DeidParams(k_min=2).k_min == 2  # the floor itself is allowed


def test_a_floor_error_names_the_params_file(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("deid:\n  k_min: 0\n")
    with pytest.raises(config.ConfigError, match=r"params.yaml: 'deid.k_min' must be at least 2"):
        config.load(path)
