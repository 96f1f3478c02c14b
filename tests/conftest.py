"""Shared fixtures. ``small_world`` is a small synthetic world run through the pipeline."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import world
from hypothesis import settings

# Property tests explore new random examples on every local run (failures found that way
# are kept as @example). CI replays a fixed set derived from each test (``derandomize``),
# so a clean clone passes or fails the same way each time, and drops the per-example
# deadline, which a loaded 2-core runner would turn into flaky failures.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# every read and approval is audited (enclave.governance.audit): the tests' entries go to
# a log of their own, never to the user's state directory
os.environ.setdefault("ENCLAVE_STATE", tempfile.mkdtemp(prefix="enclave-test-state-"))


@pytest.fixture(scope="session")
def small_world() -> Path:
    """Root of a small world run through every stage (see tests/world.py)."""
    return world.build("build")


@pytest.fixture(scope="session")
def small_world_upto():
    """Build the small world only up to a named stage: ``small_world_upto("link")``."""
    return world.build


@pytest.fixture(autouse=True)
def _fresh_disclosure_rules():
    """The rules in force follow the data a process has read (enclave.disclosure.rules):
    each test starts with none read."""
    from enclave.disclosure import rules

    rules.reset()
    yield
    rules.reset()
