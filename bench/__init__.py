"""Benchmarks: each reports a ratio against a reference peer measured in the same run."""
