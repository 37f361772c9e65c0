"""`router serve` as a user runs it: a real process on loopback, in front of the real
example subgraphs (each `python -m subgraphs.<name> --port 0`), spoken to over HTTP.

This folder has no ``__init__.py``; helpers live in `server_harness`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from server_harness import (
    Router,
    write_config,
)


@pytest.fixture(scope="session")
def subgraph_urls(example_urls: dict[str, str]) -> dict[str, str]:
    """The five example subgraphs, shared by the session (tests/conftest.py)."""
    return example_urls


@pytest.fixture
def start_router(tmp_path: Path) -> Iterator[Callable[..., Router]]:
    """Starts `router serve <args>` in tmp_path on a free port; stopped after the test."""
    started: list[Router] = []

    def start(*args: str, ready: bool = True) -> Router:
        router = Router([*args, "--listen", "127.0.0.1:0"], tmp_path)
        started.append(router)
        return router.wait_ready() if ready else router

    yield start
    for router in started:
        router.stop()


@pytest.fixture(scope="module")
def shared_router(
    subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    """One router per module over the example graph, introspection and batching on."""
    folder = tmp_path_factory.mktemp("router")
    config = write_config(
        folder,
        subgraph_urls,
        "batching:\n  enabled: true\n  maximum_size: 3\n"
        "include_subgraph_errors:\n  all: true\n"
        # Plain GETs (the graphql-http audit's) need CSRF prevention off.
        "csrf:\n  unsafe_disabled: true\n",
        introspection=True,
    )
    router = Router(["--config", str(config), "--listen", "127.0.0.1:0"], folder)
    try:
        yield router.wait_ready()
    finally:
        router.stop()
