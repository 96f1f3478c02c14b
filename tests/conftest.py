"""Shared fixtures. ``small_world`` is a small synthetic world run through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
import world


@pytest.fixture(scope="session")
def small_world() -> Path:
    """Root of a small world run through every stage (see tests/world.py)."""
    return world.build("build")


@pytest.fixture(scope="session")
def small_world_upto():
    """Build the small world only up to a named stage: ``small_world_upto("link")``."""
    return world.build
