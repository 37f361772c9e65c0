"""Traffic to subgraph instances (router.traffic), end to end: `router serve` in front
of several `echo` subgraph instances, each a real process on loopback that counts what
reaches it and misbehaves on demand (`fakes/instance.py`).

This folder has no ``__init__.py``; helpers live in `traffic_harness`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from traffic_harness import Instance, start_instances


@pytest.fixture(scope="module")
def instances() -> Iterator[dict[str, Instance]]:
    """Three instances for the module: blue, green and canary."""
    started = start_instances("blue", "green", "canary")
    try:
        yield {instance.name: instance for instance in started}
    finally:
        for instance in started:
            instance.stop()


@pytest.fixture
def fresh(instances: dict[str, Instance]) -> dict[str, Instance]:
    """The module's instances, counters zeroed and answering normally."""
    for instance in instances.values():
        instance.reset()
    return instances
