"""The CLI: one subcommand per pipeline stage, errors as one line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys

import pytest

from enclave import cli

STAGES = ["synthesize", "validate", "link", "evaluate-linkage", "deidentify", "build", "study"]


@pytest.mark.parametrize("command", [*STAGES, "catalog"])
def test_every_stage_has_a_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    assert "--params" in capsys.readouterr().out


def test_bad_params_exit_non_zero(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("synth:\n  persns: 3\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "enclave",
            "synthesize",
            "--params",
            str(params),
            "--landing",
            str(tmp_path / "l"),
            "--truth",
            str(tmp_path / "t"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "unknown key 'synth.persns'" in result.stderr
    assert not (tmp_path / "l").exists()
