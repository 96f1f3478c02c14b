"""Root pytest configuration: notebooks run against a small synthetic world.

When notebooks are collected (``pytest --nbmake notebooks``), the small world of
``tests/world.py`` is built (or reused) and ``ENCLAVE_ROOT`` points at it, so a
notebook's ``enclave.load`` reads that world's research zone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))


def pytest_collection_finish(session):
    if any(str(item.fspath).endswith(".ipynb") for item in session.items):
        import world

        os.environ["ENCLAVE_ROOT"] = str(world.build("build"))
