"""Telemetry tests: `router serve` as a real process in front of real example subgraphs,
exporting to a real OTLP receiver and scraped over HTTP. Helpers: `telemetry_harness`."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from telemetry_harness import Process, RecordingProxy, Router, start_subgraph

# What the three-subgraph join below needs (products -> reviews -> users).
JOINED = ("products", "reviews", "users")


@pytest.fixture(scope="session")
def subgraph_urls() -> Iterator[dict[str, str]]:
    started: dict[str, Process] = {}
    try:
        for name in JOINED:
            started[name] = start_subgraph(name)
        yield {name: process.url for name, process in started.items()}
    finally:
        for process in started.values():
            process.stop()


@pytest.fixture
def proxies(subgraph_urls: dict[str, str]) -> Iterator[dict[str, RecordingProxy]]:
    """A header-recording proxy in front of each subgraph, fresh for each test."""
    made = {name: RecordingProxy(url) for name, url in subgraph_urls.items()}
    yield made
    for proxy in made.values():
        proxy.stop()


@pytest.fixture
def start_router(tmp_path: Path) -> Iterator[Callable[..., Router]]:
    started: list[Router] = []

    def start(
        urls: Mapping[str, str],
        extra: str,
        *,
        whole: bool = False,
        args: tuple[str, ...] = (),
    ) -> Router:
        router = Router(tmp_path, urls, extra, whole=whole, args=args)
        started.append(router)
        return router

    yield start
    for router in started:
        router.stop()
