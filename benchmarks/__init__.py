"""Speed and memory benchmarks, run by ``make bench``; results go to benchmarks/results/."""

import enclave  # noqa: F401  (first: its allocator setting must precede polars)
