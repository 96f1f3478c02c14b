"""Run every benchmark module (``benchmarks/bench_*.py``) or those named.

    python -m benchmarks                 # all, at their default sizes
    python -m benchmarks synth linkage   # only these

Each module exposes ``main()`` and writes its JSON results to benchmarks/results/.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = argv or sorted(p.stem.removeprefix("bench_") for p in here.glob("bench_*.py"))
    for name in names:
        print(f"== benchmark {name}", flush=True)
        importlib.import_module(f"benchmarks.bench_{name}").main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
