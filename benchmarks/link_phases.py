"""Peak memory of ``enclave link`` phase by phase, on an existing workspace.

    python -m benchmarks.link_phases build/bench/persons_1000000

Runs the link stage in this process on the workspace's staged agencies (its own
``params.yaml``), samples RSS every 0.5 s, and at each of the stage's debug log lines
records the wall time and the peak RSS since the previous line. Writes
``benchmarks/results/link_phases.json``. Only the stage's own log messages are kept
(counts and timings; never a row value).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import threading
import time
from pathlib import Path

import psutil

RESULTS = Path(__file__).parent / "results" / "link_phases.json"


def measure(workspace: Path) -> dict:
    from enclave import cli, config

    os.chdir(workspace)
    agencies = [a for a in config.load("params.yaml").agencies if Path("data/staged", a).exists()]
    proc, state, phases = psutil.Process(), {"peak": 0, "all": 0}, []
    start = time.perf_counter()

    def watch() -> None:
        while True:
            rss = proc.memory_info().rss >> 20
            state["peak"], state["all"] = max(state["peak"], rss), max(state["all"], rss)
            time.sleep(0.5)

    class Phase(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name == "enclave.linkage":
                phases.append(
                    {
                        "at_s": round(time.perf_counter() - start, 1),
                        "peak_mib": state["peak"],
                        "log": record.getMessage(),
                    }
                )
                state["peak"] = 0

    threading.Thread(target=watch, daemon=True).start()
    logging.getLogger("enclave.linkage").setLevel(logging.DEBUG)
    logging.getLogger("enclave.linkage").addHandler(Phase())
    out = workspace / "build" / "link_phases"
    code = cli.main(["link", *[f"data/staged/{a}" for a in agencies], "--out", str(out)])
    return {
        "workspace": str(workspace),
        "exit": code,
        "wall_s": round(time.perf_counter() - start, 1),
        "peak_mib": state["all"],
        "phases": phases,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    result = measure(parser.parse_args().workspace.resolve())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    for phase in result["phases"]:
        print(f"{phase['at_s']:7.1f} s  {phase['peak_mib']:6d} MiB  {phase['log']}")
    print(f"wall {result['wall_s']} s, peak {result['peak_mib']} MiB -> {RESULTS}")


if __name__ == "__main__":
    main()
