"""Named points in a stage where a crash test can stop it (fail points).

A stage calls :func:`reached` at the moments a crash would hurt most: identifiable
scratch files on disk, an output half written. Normally that does nothing. With
``ENCLAVE_FAILPOINT=<name>`` set, the process pauses at that point for good, after
writing its process id to the file named by ``ENCLAVE_FAILPOINT_READY``; the crash
test (tests/pipeline/test_crash_leftovers.py) then kills it from outside, with
SIGKILL, at exactly that point, or holds it there to try a second run beside it.

Nothing else reads these variables; a deployment never sets them.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

FAILPOINT_ENV = "ENCLAVE_FAILPOINT"
READY_ENV = "ENCLAVE_FAILPOINT_READY"


def reached(name: str) -> None:
    """Pause here for good if ``ENCLAVE_FAILPOINT`` names this point."""
    if os.environ.get(FAILPOINT_ENV) != name:
        return
    ready = os.environ.get(READY_ENV)
    if ready:
        part = Path(ready + ".part")
        part.write_text(f"{os.getpid()}\n")
        os.replace(part, ready)
    # short sleeps, not one long one: a signal is handled on the main thread, but the
    # kernel may deliver it to any thread (polars' workers); a long sleep on the main
    # thread would then hold the handler back until it ends
    while True:  # until killed
        time.sleep(0.05)
