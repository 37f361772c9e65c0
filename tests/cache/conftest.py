"""APQ and persisted-query lists end to end: `router serve` as a real process in front
of the real example subgraphs, spoken to over HTTP (and by Apollo Client in node).

This folder has no ``__init__.py``; helpers live in `cache_harness`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cache_harness import Router, start_router


@pytest.fixture
def router_with(
    example_urls: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., Router]]:
    """`router_with(yaml, folder=None, introspection=False)` starts a router over the
    example subgraphs in `folder` (a fresh one by default); all stop after the test."""
    started: list[Router] = []

    def start(
        extra: str, folder: Path | None = None, introspection: bool = False
    ) -> Router:
        where = folder or tmp_path / f"r{len(started)}"
        where.mkdir(exist_ok=True)
        router = start_router(where, example_urls, extra, introspection)
        started.append(router)
        return router

    yield start
    for router in started:
        router.stop()


@pytest.fixture(scope="module")
def module_router_with(
    example_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., Router]]:
    """`router_with` whose routers live for the module, one per distinct config."""
    started: dict[str, Router] = {}

    def start(extra: str) -> Router:
        if extra not in started:
            folder = tmp_path_factory.mktemp("router")
            started[extra] = start_router(folder, example_urls, extra)
        return started[extra]

    yield start
    for router in started.values():
        router.stop()
