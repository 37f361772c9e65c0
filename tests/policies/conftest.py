"""Edge policies end to end: `router serve` as a real process in front of the real
example subgraphs, each policy configured in router.yaml and exercised over HTTP.

This folder has no ``__init__.py``; helpers live in `policy_harness`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from policy_harness import Router, start_router

# `redis_prefix` and REDIS_URL are shared by every folder (tests/conftest.py).
REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture(scope="session")
def subgraphs(example_urls: dict[str, str]) -> dict[str, str]:
    """The five example subgraphs, shared by the session (tests/conftest.py)."""
    return example_urls


@pytest.fixture
def router_with(
    subgraphs: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., Router]]:
    """`router_with(yaml, urls=None, folder=None)` starts a router; all stop after."""
    started: list[Router] = []

    def start(
        extra: str, urls: dict[str, str] | None = None, folder: Path | None = None
    ) -> Router:
        where = folder or tmp_path / f"r{len(started)}"
        where.mkdir(exist_ok=True)
        router = start_router(where, {**subgraphs, **(urls or {})}, extra)
        started.append(router)
        return router

    yield start
    for router in started:
        router.stop()


@pytest.fixture(scope="module")
def module_router_with(
    subgraphs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Router]]:
    """`router_with` whose routers live for the module, one per distinct config."""
    started: dict[str, Router] = {}

    def start(extra: str) -> Router:
        if extra not in started:
            folder = tmp_path_factory.mktemp("router")
            started[extra] = start_router(folder, subgraphs, extra)
        return started[extra]

    yield start
    for router in started.values():
        router.stop()
