"""The synthetic world at scale: ``simulate`` (and ``run``, with the agency emitters)
timed per population size, each run in a fresh process for a clean peak-memory figure.

    python -m benchmarks.bench_synth 100000 1000000   # -> benchmarks/results/synth.json
    python -m benchmarks.bench_synth --repeat 3 20000

Targets: 100k persons within 60 s and 1M within 10 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, measure, write
from enclave.config import SynthParams


def _simulate(persons: int) -> dict[str, int]:
    from enclave.synth import simulate

    world = simulate(SynthParams(persons=persons))
    return {name: frame.height for name, frame in world.tables.items()}


def _run(persons: int) -> dict[str, int]:
    from enclave.synth import run

    root = Path(tempfile.mkdtemp(prefix="bench_synth_"))
    try:
        run(SynthParams(persons=persons), landing=root / "landing", truth=root / "truth")
        sizes = {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}
        return {"files": len(sizes), "bytes": sum(sizes.values())}
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _emit_available() -> bool:
    try:
        import enclave.synth.emit  # noqa: F401
    except ImportError:
        return False
    return True


def main(
    sizes: tuple[int, ...] = (100_000,), repeat: int = 1, with_run: bool = True
) -> dict[str, Any]:
    """Time ``simulate`` (and ``run``) at each size; writes benchmarks/results/synth.json.

    Sizes measured earlier stay in the file unless measured again (a 1M run is costly).
    """
    previous = RESULTS / "synth.json"
    old = json.loads(previous.read_text()).get("sizes", {}) if previous.exists() else {}
    results: dict[str, Any] = {"sizes": dict(old)}
    for persons in sizes:
        entry = {"simulate": measure(_simulate, persons, repeat=repeat)}
        entry["rows"] = entry["simulate"].pop("extra")
        if with_run and _emit_available():
            entry["run"] = measure(_run, persons, repeat=repeat)
            entry["output"] = entry["run"].pop("extra")
        results["sizes"][str(persons)] = entry
        print(f"persons={persons}: {json.dumps(entry, sort_keys=True)}", flush=True)
    write("synth", results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-run", action="store_true", help="time simulate only")
    args = parser.parse_args()
    main(tuple(args.sizes), repeat=args.repeat, with_run=not args.no_run)
