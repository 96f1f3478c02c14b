"""The typed view of params.yaml: strict, frozen, and faithful to the file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from enclave import config

ROOT = Path(__file__).resolve().parents[2]


def test_repository_params_load():
    params = config.load(ROOT / "params.yaml")
    assert params.agencies == config.AGENCIES
    assert params.disclosure.min_cell == 10
    assert params.studies.service_overlap.age_groups == (0, 18, 26, 45, 65)


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
    path.write_text("studies:\n  service_overlap:\n    period_start: 2015-01-01\n")
    assert config.load(path).studies.service_overlap.period_start == "2015-01-01"
