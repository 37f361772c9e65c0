"""Telemetry tests: `router serve` as a real process in front of real example subgraphs,
exporting to a real OTLP receiver and scraped over HTTP. Helpers: `telemetry_harness`.

Starting a router costs seconds, so tests whose assertions do not depend on what other
tests sent share one router per configuration (`shared_router`); tests that count
exactly (metrics, access-log lines) start their own (`start_router`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from telemetry_harness import (
    OtlpReceiver,
    RecordingProxy,
    Router,
)

# What the three-subgraph join below needs (products -> reviews -> users).
JOINED = ("products", "reviews", "users")


@pytest.fixture(scope="session")
def subgraph_urls(example_urls: dict[str, str]) -> dict[str, str]:
    """The three joined subgraphs of the session's shared set (tests/conftest.py)."""
    return {name: example_urls[name] for name in JOINED}


@pytest.fixture(scope="session")
def _session_proxies(
    subgraph_urls: dict[str, str],
) -> Iterator[dict[str, RecordingProxy]]:
    made = {name: RecordingProxy(url) for name, url in subgraph_urls.items()}
    yield made
    for proxy in made.values():
        proxy.stop()


@pytest.fixture
def proxies(
    _session_proxies: dict[str, RecordingProxy],
) -> dict[str, RecordingProxy]:
    """A header-recording proxy in front of each subgraph, its records emptied."""
    for proxy in _session_proxies.values():
        proxy.requests.clear()
    return _session_proxies


@pytest.fixture(scope="session")
def session_receiver() -> Iterator[OtlpReceiver]:
    """One gRPC OTLP receiver for the shared tracing router (filter spans by trace id)."""
    made = OtlpReceiver("grpc")
    yield made
    made.stop()


@pytest.fixture(scope="session")
def _router_pool() -> Iterator[dict[str, Router]]:
    pool: dict[str, Router] = {}
    yield pool
    for router in pool.values():
        router.stop()


@pytest.fixture
def shared_router(
    _router_pool: dict[str, Router],
    proxies: dict[str, RecordingProxy],
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], Router]:
    """The session's router for `extra` (YAML), in front of the recording proxies."""

    def get(extra: str) -> Router:
        router = _router_pool.get(extra)
        if router is None:
            router = Router(
                tmp_path_factory.mktemp("router"),
                {name: proxy.url for name, proxy in proxies.items()},
                extra,
            )
            _router_pool[extra] = router
        return router

    return get


@pytest.fixture
def start_router(tmp_path: Path) -> Iterator[Callable[..., Router]]:
    """A router of this test's own, stopped after it."""
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
