"""Generators of test data used by tests and benchmarks (never by a pipeline stage)."""
