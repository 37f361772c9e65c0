"""Fixtures of the gateway differential (helpers in ``gateway_harness``).

The five example subgraphs run once for the session, both gateways once per module:
our router (``router serve --supergraph FILE``) and Apollo Gateway (``node
oracle/gateway.mjs``), reading the same supergraph file. Apollo Gateway starts only
when a test asks for it: its answers to the query corpus come from the test cache when
nothing they depend on changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gateway_harness import (
    Service,
    launch_apollo,
    launch_router,
    ready,
    start_subgraphs,
    stop_all,
    write_supergraph,
)
from support.oracle import require_oracle


@pytest.fixture(scope="session")
def node() -> str:
    return require_oracle()


@pytest.fixture(scope="session")
def subgraph_urls(node: str, example_urls: dict[str, str]) -> dict[str, str]:
    """The five example subgraphs, shared by the session (queries only read them)."""
    return example_urls


@pytest.fixture(scope="module")
def gateway_supergraph(
    subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The committed supergraph pointed at the module's subgraphs, read by both."""
    return write_supergraph(tmp_path_factory.mktemp("gateways"), subgraph_urls)


@pytest.fixture(scope="module")
def our_gateway(gateway_supergraph: Path) -> Iterator[str]:
    """Our router's URL over the module's subgraphs."""
    service = launch_router(gateway_supergraph.parent, gateway_supergraph)
    try:
        yield ready(service).url
    finally:
        stop_all([service])


@pytest.fixture(scope="module")
def apollo_gateway(gateway_supergraph: Path, node: str) -> Iterator[str]:
    """Apollo Gateway's URL over the same subgraphs (started only when a test asks)."""
    service = launch_apollo(gateway_supergraph.parent, gateway_supergraph, node)
    try:
        yield ready(service).url
    finally:
        stop_all([service])


@pytest.fixture(scope="module")
def gateways(our_gateway: str, apollo_gateway: str) -> tuple[str, str]:
    """(our router's URL, Apollo Gateway's URL) over the same subgraphs, both live (the
    refusals module compares every answer, with nothing cached)."""
    return our_gateway, apollo_gateway


@pytest.fixture(scope="module")
def mutation_gateways(
    subgraph_urls: dict[str, str],
    node: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """(our router's URL, Apollo Gateway's URL) for mutations: each gateway has a fresh
    orders subgraph of its own (``placeOrder`` numbers orders per process) and shares
    the module's other subgraphs, which mutations only read."""
    orders = start_subgraphs(("orders", "orders"))
    services: list[Service] = []
    try:
        ours_folder = tmp_path_factory.mktemp("mutations-ours")
        apollo_folder = tmp_path_factory.mktemp("mutations-apollo")
        ours_graph = write_supergraph(
            ours_folder, {**subgraph_urls, "orders": orders[0].url}
        )
        apollo_graph = write_supergraph(
            apollo_folder, {**subgraph_urls, "orders": orders[1].url}
        )
        services.append(launch_router(ours_folder, ours_graph))
        services.append(launch_apollo(apollo_folder, apollo_graph, node))
        ours, apollo = (ready(service) for service in services)
        yield ours.url, apollo.url
    finally:
        stop_all(services)
        stop_all(orders)
