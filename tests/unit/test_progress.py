"""Progress bars: drawn in an interactive terminal, never in CI or into a file, and
never with a row value."""

from __future__ import annotations

import io

import pytest

from enclave import progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def auto(monkeypatch):
    monkeypatch.delenv(progress.ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)


def test_on_in_a_terminal_off_in_a_file(auto):
    assert progress.enabled(_Terminal())
    assert not progress.enabled(io.StringIO())


def test_never_in_ci(auto, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert not progress.enabled(_Terminal())


@pytest.mark.parametrize(("setting", "expected"), [("off", False), ("on", True)])
def test_the_setting_wins(auto, monkeypatch, setting, expected):
    monkeypatch.setenv(progress.ENV, setting)
    assert progress.enabled(_Terminal()) is expected
    assert progress.enabled(io.StringIO()) is expected


def test_without_a_terminal_the_iterable_is_returned_unchanged(monkeypatch):
    monkeypatch.setenv(progress.ENV, "off")
    items = [1, 2, 3]
    assert progress.steps(items, "years") is items


def test_a_bar_counts_steps_and_shows_no_value(monkeypatch, capsys):
    monkeypatch.setenv(progress.ENV, "on")
    secret = "123-45-6789"
    assert list(progress.steps([secret] * 3, "validate hfs", unit="batch")) == [secret] * 3
    phases = progress.Phases("link", ["collapse", "score"])
    phases.start("collapse")
    phases.start("score")
    phases.close()
    drawn = capsys.readouterr().err
    assert "validate hfs" in drawn and "/3" in drawn and "score" in drawn
    assert secret not in drawn


def test_an_unknown_phase_is_an_error(monkeypatch):
    monkeypatch.setenv(progress.ENV, "off")
    with pytest.raises(ValueError, match="unknown phase 'x'"):
        progress.Phases("link", ["collapse"]).start("x")
