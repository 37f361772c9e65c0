"""Metrics shared by `--workers N` processes: prometheus_client's multiprocess mode.

Each worker is a separate interpreter with its own counters; a scrape reaches one of
them. With `PROMETHEUS_MULTIPROC_DIR` set before the workers start, prometheus_client
keeps every value in a memory-mapped file of that folder, and `RouterMetrics.exposition`
sums the folder, so every worker answers a scrape with the whole router's numbers. Each
worker binds the metrics listener with SO_REUSEPORT (`router.telemetry.metrics_server`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

__all__ = ["MULTIPROCESS_VARIABLE", "shared_metrics_folder"]

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def shared_metrics_folder() -> Iterator[str]:
    """A fresh folder for the workers' metric files, named in the environment they
    inherit, and removed once they have exited."""
    folder = tempfile.mkdtemp(prefix="router-metrics-")
    previous = os.environ.get(MULTIPROCESS_VARIABLE)
    os.environ[MULTIPROCESS_VARIABLE] = folder
    try:
        yield folder
    finally:
        if previous is None:
            os.environ.pop(MULTIPROCESS_VARIABLE, None)
        else:
            os.environ[MULTIPROCESS_VARIABLE] = previous
        shutil.rmtree(folder, ignore_errors=True)
