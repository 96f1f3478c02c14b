"""Helpers shared by the benchmarks: run a callable in a fresh process and measure it."""

from __future__ import annotations

import json
import multiprocessing as mp
import platform
import resource
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _child(func: Callable[..., Any], args: tuple, queue: Any) -> None:
    start = time.perf_counter()
    extra = func(*args)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put({"seconds": seconds, "peak_rss_mib": peak_mib, "extra": extra})


def measure(func: Callable[..., Any], *args: Any, repeat: int = 1) -> dict[str, Any]:
    """Run ``func(*args)`` ``repeat`` times, each in a fresh process; median time, max memory.

    A fresh interpreter (``spawn``), as a pipeline stage starts: a forked child inherits
    the parent's polars and allocator state, and ran deidentify 40% slower than
    the same call in a new process.
    """
    ctx = mp.get_context("spawn")
    runs = []
    for _ in range(repeat):
        queue = ctx.Queue()
        proc = ctx.Process(target=_child, args=(func, args, queue))
        proc.start()
        runs.append(queue.get())
        proc.join()
    return {
        "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "runs_seconds": [round(r["seconds"], 3) for r in runs],
        "peak_rss_mib": round(max(r["peak_rss_mib"] for r in runs), 1),
        "extra": runs[-1]["extra"],
    }


def write(name: str, results: dict[str, Any]) -> Path:
    """Write results with the machine they were measured on."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    results = {
        "machine": {"cpus": mp.cpu_count(), "python": platform.python_version()},
        **results,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return path
