"""nbmake runs each study notebook against the small synthetic world of the test suite.

A notebook reads its data through ``enclave.load``, rooted at ``ENCLAVE_ROOT``; the
kernel nbmake starts inherits this process's environment, so the variable is set
around each notebook item only (these hooks apply to items under ``notebooks/``).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import world

from enclave.governance.audit import STATE_ENV, USER_ENV
from enclave.paths import ROOT_ENV

#: the demo project's lead (governance/projects/demo.yaml): a researcher running the study
RESEARCHER = "ana_researcher"
_saved: dict[str, dict[str, str | None]] = {}


def pytest_runtest_setup(item):
    values = {ROOT_ENV: str(world.build("build")), USER_ENV: RESEARCHER}
    values[STATE_ENV] = os.environ.get(STATE_ENV) or tempfile.mkdtemp(prefix="enclave-nb-state-")
    _saved[item.nodeid] = {name: os.environ.get(name) for name in values}
    os.environ.update(values)


def pytest_runtest_teardown(item):
    for name, before in _saved.pop(item.nodeid, {}).items():
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
