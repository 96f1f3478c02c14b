"""nbmake runs each study notebook against the small synthetic world of the test suite.

A notebook reads its data through ``enclave.load``, rooted at ``ENCLAVE_ROOT``; the
kernel nbmake starts inherits this process's environment, so the variable is set
around each notebook item only (these hooks apply to items under ``notebooks/``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import world

from enclave.paths import ROOT_ENV

_saved: dict[str, str | None] = {}


def pytest_runtest_setup(item):
    _saved[item.nodeid] = os.environ.get(ROOT_ENV)
    os.environ[ROOT_ENV] = str(world.build("build"))


def pytest_runtest_teardown(item):
    before = _saved.pop(item.nodeid, None)
    if before is None:
        os.environ.pop(ROOT_ENV, None)
    else:
        os.environ[ROOT_ENV] = before
